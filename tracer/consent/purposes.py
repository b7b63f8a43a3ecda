"""The permissible-purpose catalog (``config/purposes.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import line_of, load_toml

SOURCE_KINDS = ("internal", "public_record", "vendor_file")
FIELD_CLASSES = ("name", "dob", "dob_year", "ssn_last4", "address", "phone", "email")
CONTACT_KINDS = ("address", "phone", "email")
REQUIREMENTS = ("judgment_ref", "flag:deceased")


@dataclass(frozen=True)
class Purpose:
    code: str
    title: str
    legal_basis: tuple[str, ...]
    fcra_based: bool
    contact_seeking: bool
    source_kinds: tuple[str, ...]
    field_classes: tuple[str, ...]
    contact_kinds: tuple[str, ...]
    relatives: bool
    requires: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class PurposeCatalog:
    version: str
    purposes: dict[str, Purpose]

    def get(self, code: str) -> Purpose | None:
        return self.purposes.get(code)


def _check_list(entry: dict, key: str, allowed: tuple[str, ...], where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ConfigError(f"{where}: '{key}' has unknown value(s) {unknown}; "
                          f"allowed: {', '.join(allowed)}")
    return tuple(value)


def parse_catalog(data: dict[str, Any], text: str, path: str) -> PurposeCatalog:
    entries = data.get("purpose")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[purpose]] entries")
    purposes: dict[str, Purpose] = {}
    for index, entry in enumerate(entries):
        where = f"{path}, line {line_of(text, '[[purpose]]', index)}"
        for key in ("code", "title"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{where}: purpose needs a non-empty '{key}'")
        basis = entry.get("legal_basis")
        if not isinstance(basis, list) or not basis or not all(isinstance(b, str) for b in basis):
            raise ConfigError(f"{where}: purpose {entry['code']!r} needs a 'legal_basis' "
                              "list of citations")
        for key in ("fcra_based", "contact_seeking", "relatives"):
            if not isinstance(entry.get(key, False), bool):
                raise ConfigError(f"{where}: '{key}' must be true or false")
        code = entry["code"]
        if code in purposes:
            raise ConfigError(f"{where}: duplicate purpose code {code!r}")
        purposes[code] = Purpose(
            code=code, title=entry["title"], legal_basis=tuple(basis),
            fcra_based=entry.get("fcra_based", False),
            contact_seeking=entry.get("contact_seeking", True),
            source_kinds=_check_list(entry, "source_kinds", SOURCE_KINDS, where),
            field_classes=_check_list(entry, "field_classes", FIELD_CLASSES, where),
            contact_kinds=_check_list(entry, "contact_kinds", CONTACT_KINDS, where),
            relatives=entry.get("relatives", False),
            requires=_check_list(entry, "requires", REQUIREMENTS, where),
        )
    return PurposeCatalog(str(data.get("catalog_version", "unversioned")), purposes)


def load_catalog() -> PurposeCatalog:
    data, text, path = load_toml("purposes.toml")
    return parse_catalog(data, text, str(path))
