"""Discovering sources: built-ins and third-party packages through one pluggy hook.

Built-in sources are registered like any plugin (datasette's ``DEFAULT_PLUGINS``); other
packages are found through the ``tracer.sources`` entry-point group, and modules named
in ``TRACER_PLUGINS``.  A source runs only when ``config/sources.toml`` enables it by
name (``[sources.NAME]`` with ``enabled = true``): an installed plugin that file does
not name is listed as disabled, "not configured", and never queried.  Environment
variables (``TRACER_SOURCE_<NAME>_<KEY>``) may supply a source's settings and
credentials, never ``enabled``.  Each enabled source is then instantiated with its
settings; one that raises :class:`NotConfigured` is kept in the list as disabled, with
its reason, and logged loudly.  Source names are ``[a-z0-9_]{1,40}``.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy

from ..errors import ConfigError
from ..settings import load_toml
from . import hookspecs
from .base import SOURCE_KINDS, NotConfigured, Source, SourceContext, SourceInfo

log = logging.getLogger("tracer.sources")

DEFAULT_PLUGINS = ("tracer.sources.builtin", "tracer.sources.public", "tracer.sources.oscn")
SOURCE_NAME = re.compile(r"[a-z0-9_]{1,40}")
#: Keys the environment may never set: whether a source runs is compliance's decision,
#: on record in sources.toml.
CONFIG_ONLY_KEYS = ("enabled", "disabled_reason", "adapter")
NOT_CONFIGURED = "not configured: sources.toml has no [sources.{name}] enabling it"


_ENTRY_POINTS: dict[tuple, list] = {}


def _entry_points(group: str) -> list:
    """The installed plugins' entry points (pluggy's ``load_setuptools_entrypoints``
    scan, which reads every installed distribution's metadata), found once per
    ``sys.path``: a lookup builds its registry afresh, a scan each time cost 17 ms."""
    import importlib.metadata
    key = (group, tuple(sys.path))
    found = _ENTRY_POINTS.get(key)
    if found is None:
        found = [ep for dist in importlib.metadata.distributions()
                 for ep in dist.entry_points if ep.group == group]
        _ENTRY_POINTS[key] = found
    return found


def plugin_manager(extra_plugins: tuple = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name.rsplit(".", 1)[-1])
    if not os.environ.get("TRACER_NO_PLUGINS"):
        for entry_point in _entry_points(hookspecs.ENTRY_POINT_GROUP):
            if not pm.has_plugin(entry_point.name) and not pm.is_blocked(entry_point.name):
                pm.register(entry_point.load(), name=entry_point.name)
    # Modules named in TRACER_PLUGINS (comma-separated) are registered too: a quick way
    # to try an adapter before packaging it with an entry point.
    for name in filter(None, (n.strip() for n in os.environ.get("TRACER_PLUGINS", "").split(","))):
        if pm.get_plugin(name) is None:
            try:
                pm.register(importlib.import_module(name), name=name)
            except ImportError as exc:
                raise ConfigError(f"TRACER_PLUGINS names {name!r}, which cannot be "
                                  f"imported: {exc}") from exc
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm


def source_settings() -> dict[str, dict[str, Any]]:
    """``config/sources.toml``; ``TRACER_SOURCE_<NAME>_<KEY>`` overrides apply at load."""
    data, _text, path = load_toml("sources.toml")
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(f"{path}: [sources] must be a table of tables")
    for name, table in sources.items():
        if not SOURCE_NAME.fullmatch(name):
            raise ConfigError(f"{path}: [sources.{name}]: a source name is 1-40 lower-case "
                              "letters, digits or _")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [sources.{name}] must be a table")
        if not isinstance(table.get("enabled", False), bool):
            raise ConfigError(f"{path}: [sources.{name}] enabled must be true or false")
    return sources


def _with_env(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """``TRACER_SOURCE_<NAME>_<KEY>`` overrides, except the keys only sources.toml sets."""
    prefix = f"TRACER_SOURCE_{name.upper()}_"
    for key, value in os.environ.items():
        if key.startswith(prefix):
            setting = key[len(prefix):].lower()
            if setting in CONFIG_ONLY_KEYS:
                log.warning("ignored %s: only sources.toml says whether a source runs", key)
                continue
            settings[setting] = value
    return settings


@dataclass
class LoadedSource:
    info: SourceInfo
    adapter: Source | None


class SourceRegistry:
    """The sources available to lookups in one process."""

    def __init__(self, store=None, *, extra_plugins: tuple = (), settings=None,
                 cache_dir: Path | None = None):
        # HTTP caches hold debtor names in their URLs: keep them beside the workspace,
        # under the same protection, rather than in a shared user cache directory.
        self.cache_dir = cache_dir
        self.pm = plugin_manager(extra_plugins)
        self.settings = source_settings() if settings is None else settings
        self.loaded: dict[str, LoadedSource] = {}
        for classes in self.pm.hook.register_sources():
            for cls in classes or ():
                self._load(cls, store)

    def _load(self, cls: type[Source], store) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Source)) or not cls.name:
            raise ConfigError(f"plugin returned {cls!r}, which is not a named Source subclass")
        if not isinstance(cls.name, str) or not SOURCE_NAME.fullmatch(cls.name):
            raise ConfigError(f"plugin source {cls.name!r}: a source name is 1-40 lower-case "
                              "letters, digits or _")
        if cls.kind not in SOURCE_KINDS:
            raise ConfigError(f"source {cls.name}: unknown kind {cls.kind!r}")
        if cls.name in self.loaded:
            raise ConfigError(f"two plugins register a source named {cls.name!r}")
        configured = self.settings.get(cls.name)
        if configured is None or configured.get("enabled") is not True:
            reason = (NOT_CONFIGURED.format(name=cls.name) if configured is None
                      else configured.get("disabled_reason") or "disabled in config")
            self.loaded[cls.name] = LoadedSource(cls.info(enabled=False, reason=reason), None)
            log.info("Disabled source %s: %s", cls.name, reason)
            return
        settings = _with_env(cls.name, dict(configured))
        if self.cache_dir is not None:
            settings.setdefault("cache_path", str(self.cache_dir / f"{cls.name}.sqlite"))
        context = SourceContext(settings=settings, store=store,
                                logger=logging.getLogger(f"tracer.sources.{cls.name}"))
        try:
            adapter = cls(context)
        except NotConfigured as exc:
            self.loaded[cls.name] = LoadedSource(cls.info(enabled=False, reason=str(exc)), None)
            log.warning("Disabled source %s: %s", cls.name, exc)
            return
        self.loaded[cls.name] = LoadedSource(cls.info(), adapter)
        log.debug("Enabled source %s", cls.name)

    def infos(self) -> list[SourceInfo]:
        return [s.info for s in self.loaded.values()]

    def adapter(self, name: str) -> Source | None:
        loaded = self.loaded.get(name)
        return loaded.adapter if loaded else None
