"""The plugin hooks a source package implements (pluggy, as datasette and sqlite-utils do).

A third-party package declares an entry point in the group ``tracer.sources``::

    [project.entry-points."tracer.sources"]
    county_court = "county_court_tracer.plugin"

and that module implements :func:`register_sources` with ``@hookimpl``.
"""

from __future__ import annotations

import pluggy

PROJECT = "tracer"
ENTRY_POINT_GROUP = "tracer.sources"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_sources():
    """Return a list of :class:`tracer.sources.base.Source` subclasses."""
