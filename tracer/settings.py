"""Where settings come from: the shipped ``config/`` directory, or ``TRACER_CONFIG``.

Layering (scrapy-style): shipped defaults in ``config/*.toml`` → a directory named by the
``TRACER_CONFIG`` environment variable (whole files replace the shipped ones) → command
line options.  Secrets never live in these files; they come from the environment.
"""

from __future__ import annotations

import copy

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError


def config_path(name: str) -> Path:
    override = os.environ.get("TRACER_CONFIG")
    if override:
        candidate = Path(override) / name
        if candidate.exists():
            return candidate
    return shipped_config_path(name)


def shipped_config_path(name: str) -> Path:
    """The settings file tracer ships (what applies without ``TRACER_CONFIG``)."""
    try:
        return Path(str(resources.files("tracer.config").joinpath(name)))
    except ModuleNotFoundError:  # running from a source checkout that is not installed
        return Path(__file__).resolve().parent.parent / "config" / name


#: Parsed config files by (path, mtime, size): a server reads its settings on every
#: lookup (so an edit takes effect at the next one) without parsing them every time.
_PARSED: dict[tuple[str, int, int], tuple[dict[str, Any], str]] = {}


def load_toml(name: str) -> tuple[dict[str, Any], str, Path]:
    """Parse one config file; returns (data, text, path).  Syntax errors name the line.
    The data is the caller's to change (a copy of the cached parse)."""
    path = config_path(name)
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        cached = _PARSED.get(key)
        if cached is not None:
            return copy.deepcopy(cached[0]), cached[1], path
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if len(_PARSED) > 64:
        _PARSED.clear()
    _PARSED[key] = (copy.deepcopy(data), text)
    return data, text, path


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """1-based line of the ``occurrence``-th line that starts with ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(needle):
            if seen == occurrence:
                return number
            seen += 1
    return 0
