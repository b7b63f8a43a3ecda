"""The public-record adapters, registered through the same hook as any plugin.

Each adapter is off until ``config/sources.toml`` enables it: turning one on sends debtor
names or addresses to a third party, which is a compliance decision, not a default.
An enabled adapter whose credentials are missing is listed as disabled with the reason.
"""

from __future__ import annotations

import logging

from ..errors import ConfigError
from .census import CensusGeocoderSource
from .courtlistener import CourtListenerSource
from .hookspecs import hookimpl
from .nppes import NppesSource
from .pacer import PacerSource
from .registry import source_settings
from .socrata import configured_datasets
from .usps import UspsSource

ADAPTERS = (PacerSource, CourtListenerSource, CensusGeocoderSource, UspsSource, NppesSource)
log = logging.getLogger("tracer.sources")


@hookimpl
def register_sources():
    try:
        datasets = configured_datasets(source_settings())
    except ConfigError as exc:  # the registry reports a broken sources.toml on its own
        log.warning("no Socrata datasets registered: %s", exc)
        datasets = []
    return [*ADAPTERS, *datasets]
