"""Per-vendor column and value mappings saved in ``config/vendors.toml``.

A vendor's batch return or a county's bulk extract arrives in the same layout every
month; saving its mapping once means `tracer records import FILE --source NAME` needs no
``--map`` options, and the mapping in force is on record in the settings.  A vendor's
codes are mapped too (``[vendors.NAME.values.event]`` ``Y = "deceased"``,
``[vendors.NAME.values.phone_type]`` ``cell = "mobile"``): a value neither mapped nor
known is reported by the import, never kept as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .csvio import clean_header
from .errors import ConfigError
from .models import PHONE_TYPES, RECORD_EVENTS, RECORD_FIELDS
from .settings import load_toml

VENDOR_KINDS = ("vendor_file", "public_record", "internal")
#: The columns whose values a vendor's codes may be mapped to, and what they may become
#: ("" for "nothing": a deceased column's N).
VALUE_COLUMNS = {"event": RECORD_EVENTS, "phone_type": PHONE_TYPES}


@dataclass(frozen=True)
class VendorLayout:
    name: str
    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    description: str = ""
    terms: str = ""
    #: column -> {their code, lower-case: our value or ""}
    values: dict[str, dict[str, str]] = field(default_factory=dict)


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
                                 entry.get("terms", ""),
                                 _values(entry.get("values") or {}, f"{path}: [vendors.{name}.values"))
    return out


def _values(table: dict, where: str) -> dict[str, dict[str, str]]:
    out = {}
    for column, codes in table.items():
        if column not in VALUE_COLUMNS or not isinstance(codes, dict):
            raise ConfigError(f"{where}]: maps values of {', '.join(VALUE_COLUMNS)} only, "
                              f"each as a table ([...values.{column}] CODE = \"value\")")
        allowed = VALUE_COLUMNS[column]
        out[column] = {}
        for code, ours in codes.items():
            if not isinstance(ours, str) or (ours and ours not in allowed):
                raise ConfigError(f"{where}.{column}] maps {code!r} to {ours!r}; use one of "
                                  f"{', '.join(allowed)} or \"\" for none")
            out[column][str(code).strip().lower()] = ours
    return out


def values_for(source: str) -> dict[str, dict[str, str]]:
    """The value maps saved for ``source`` (none when it has no layout)."""
    layout = load_vendors().get(source)
    return layout.values if layout else {}


def mapping_for(source: str, explicit: dict[str, str]) -> dict[str, str]:
    """The saved mapping for ``source`` (if any) overlaid with the command line's."""
    layout = load_vendors().get(source)
    return {**(layout.columns if layout else {}), **explicit}
