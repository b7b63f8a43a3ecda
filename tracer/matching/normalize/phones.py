"""Phone numbers to E.164, with the line type a collector needs (TCPA treats mobiles apart).

phonenumbers does the parsing and validation.  Two things we add: letters are refused
(phonenumbers would read ``1-800-FLOWERS`` as digits, but in a record extract letters
mean a garbled cell), and a line type declared by the source beats phonenumbers' guess,
which for US numbers is almost always "fixed line or mobile".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType

from .dates import as_text, redact

__all__ = ["LINE_TYPES", "PhoneResult", "normalize_phone", "normalize_phone_type"]

LINE_TYPES = ("mobile", "landline", "voip", "unknown")


@dataclass(frozen=True)
class PhoneResult:
    e164: str | None
    line_type: str | None
    problems: tuple[str, ...] = ()


_TYPE_NAMES = {
    "mobile": "mobile", "cell": "mobile", "cellular": "mobile", "wireless": "mobile",
    "cell phone": "mobile", "mobile phone": "mobile", "m": "mobile", "c": "mobile",
    "landline": "landline", "land line": "landline", "land": "landline", "fixed": "landline",
    "fixed line": "landline", "fixed_line": "landline", "wireline": "landline",
    "residential": "landline", "home": "landline", "l": "landline", "h": "landline",
    "voip": "voip", "voice over ip": "voip", "v": "voip",
    "unknown": "unknown", "": "unknown", "u": "unknown", "other": "unknown",
}

_FROM_LIBRARY = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.VOIP: "voip",
}

# An extension at the end: "x12", "ext. 12", "extension 12", "#12".
_EXTENSION = re.compile(r"\s*(?:e?xt?\.?|extension|ext|#)\s*\d{1,6}\s*$", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*(?:tel|phone|ph|cell|mobile|home|work)\s*[:.]?\s*", re.IGNORECASE)
_LETTER = re.compile(r"[A-Za-z]")


def normalize_phone_type(text: object) -> str | None:
    """A source's phone type as one of LINE_TYPES, or None when we do not recognise it."""
    return _TYPE_NAMES.get(" ".join(as_text(text).lower().replace("-", " ").split()))


def normalize_phone(text: object, region: str = "US", declared_type: object = None) -> PhoneResult:
    """Parse a phone number; ``declared_type`` (mobile/landline/voip) overrides the guess."""
    raw, region, declared = as_text(text), as_text(region).upper() or "US", as_text(declared_type)
    if region == "US" and (m := _SIMPLE_NANP.fullmatch(raw)):
        # "(217) 555-0134", "217.555.0134", "+1 217 555 0134" share one cache entry; a
        # valid number's problems never quote the raw text, so the result is the same.
        result = _normalize(m[1] + m[2] + m[3], region, declared)
        if result.e164:
            return result
    return _normalize(raw, region, declared)


_SIMPLE_NANP = re.compile(r"(?:\+?1[\s.-]*)?\(?(\d{3})\)?[\s.-]*(\d{3})[\s.-]*(\d{4})")


@lru_cache(maxsize=65536)
def _normalize(raw: str, region: str, declared: str) -> PhoneResult:
    problems: list[str] = []
    declared_type = normalize_phone_type(declared)
    if declared and declared_type is None:
        problems.append(f"unknown phone type '{redact(declared, 20)}'")
    if not raw:
        return PhoneResult(None, None, tuple(problems))

    text = _EXTENSION.sub("", _PREFIX.sub("", raw))
    if _LETTER.search(text):
        return PhoneResult(None, None, (*problems, f"letters in phone number '{redact(raw)}'"))
    if sum(ch.isdigit() for ch in text) > 17:  # longer than any E.164 number plus a prefix
        return PhoneResult(None, None, (*problems, f"too many digits for a phone number '{redact(raw)}'"))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return PhoneResult(None, None, (*problems, f"unparseable phone number '{redact(raw)}'"))
    if not phonenumbers.is_valid_number(number):
        reason = "invalid" if phonenumbers.is_possible_number(number) else "impossible"
        return PhoneResult(None, None, (*problems, f"{reason} phone number '{redact(raw)}'"))

    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if declared_type in ("mobile", "landline", "voip"):
        line_type = declared_type
    else:
        line_type = _FROM_LIBRARY.get(phonenumbers.number_type(number), "unknown")
    return PhoneResult(e164, line_type, tuple(problems))
