"""Per-vendor column mappings saved in ``config/vendors.toml``.

A vendor's batch return or a county's bulk extract arrives in the same layout every
month; saving its mapping once means `tracer records import FILE --source NAME` needs no
``--map`` options, and the mapping in force is on record in the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .csvio import clean_header
from .errors import ConfigError
from .models import RECORD_FIELDS
from .settings import load_toml

VENDOR_KINDS = ("vendor_file", "public_record", "internal")


@dataclass(frozen=True)
class VendorLayout:
    name: str
    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    description: str = ""
    terms: str = ""


def load_vendors() -> dict[str, VendorLayout]:
    data, _text, path = load_toml("vendors.toml")
    out = {}
    for name, entry in (data.get("vendors") or {}).items():
        kind = entry.get("kind", "vendor_file")
        if kind not in VENDOR_KINDS:
            raise ConfigError(f"{path}: [vendors.{name}] kind must be one of {', '.join(VENDOR_KINDS)}")
        columns = {}
        for theirs, ours in (entry.get("columns") or {}).items():
            if ours not in RECORD_FIELDS:
                raise ConfigError(f"{path}: [vendors.{name}.columns] maps {theirs!r} to "
                                  f"{ours!r}, which is not a FORMATS.md section 2 column")
            columns[clean_header(theirs)] = ours
        out[name] = VendorLayout(name, kind, columns, entry.get("description", ""),
                                 entry.get("terms", ""))
    return out


def mapping_for(source: str, explicit: dict[str, str]) -> dict[str, str]:
    """The saved mapping for ``source`` (if any) overlaid with the command line's."""
    layout = load_vendors().get(source)
    return {**(layout.columns if layout else {}), **explicit}
