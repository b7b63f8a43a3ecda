"""US postal addresses in USPS Publication 28 form, plus a key for blocking and comparing.

usaddress labels the parts of the street line; we rebuild it with Pub 28 abbreviations
(``123 NORTH MAIN STREET APT 4`` -> ``123 N MAIN ST`` + ``APT 4``) so two sources that
typed the same place differently produce the same text.  The matching key keeps only
what survives sloppy typing (house number, street name, ZIP) and leaves out the unit,
which sources drop or garble most often.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import usaddress

from . import pub28
from .dates import as_text, redact

__all__ = [
    "AddressResult", "address_identity", "normalize_address", "normalize_state",
    "normalize_unit", "normalize_zip", "valid_state",
]


@dataclass(frozen=True)
class AddressResult:
    street: str | None
    unit: str | None
    city: str | None
    state: str | None
    zip5: str | None
    one_line: str | None
    key: str | None
    problems: tuple[str, ...] = ()


# Pub 28 keeps '#', '/' in fractions and '-' in ranges; other punctuation goes.
_PUNCT = re.compile(r"[^A-Z0-9#/\-&' ]")
_APOSTROPHE = re.compile(r"'")
_PO_BOX = re.compile(
    r"^(?:(?:P\s*O|POST(?:\s+OFFICE)?)\s*(?:BOX|BX|B)?|BOX|BX)\s*#?\s*(\d[A-Z0-9\-]*)$")
_TRAILING_UNIT = re.compile(r"\s+(BSMT|BASEMENT|FRNT|FRONT|REAR|UPPR|UPPER|LOWR|LOWER|PH|"
                            r"PENTHOUSE|LBBY|LOBBY|OFC|OFFICE|SIDE)$")
_ORDINAL_FLOOR = re.compile(r"^(\d+)(?:ST|ND|RD|TH)$")
_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?|(\d{4})|(\d{4})\d{4}")
_CITY_JUNK = re.compile(r"[^A-Z\- ]")

_ORDINAL_WORDS = {
    "FIRST": "1ST", "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH",
    "SIXTH": "6TH", "SEVENTH": "7TH", "EIGHTH": "8TH", "NINTH": "9TH", "TENTH": "10TH",
    "ELEVENTH": "11TH", "TWELFTH": "12TH", "THIRTEENTH": "13TH",
}
_UNIT_LABELS = ("SubaddressType", "SubaddressIdentifier", "OccupancyType", "OccupancyIdentifier")
_PLACE_LABELS = ("PlaceName", "StateName", "ZipCode")


def _clean(text: str) -> str:
    """Upper-case, drop apostrophes ("O'HARE" -> "OHARE"), other punctuation to spaces."""
    text = _APOSTROPHE.sub("", text.upper())
    return " ".join(_PUNCT.sub(" ", text).split())


@lru_cache(maxsize=4096)
def _state(text: str) -> str | None:
    return pub28.state_code(text)


def normalize_state(text: object) -> str | None:
    """Two-letter USPS code for a code or a full name ("Illinois" -> "IL"), else None."""
    return _state(_clean(as_text(text)))


def valid_state(code: object) -> bool:
    """True for a two-letter USPS state, territory or military code."""
    text = as_text(code).upper()
    return len(text) == 2 and text in pub28.STATE_CODES


@lru_cache(maxsize=65536)
def _zip(text: str) -> str | None:
    m = _ZIP.fullmatch(text.replace(" ", "").removesuffix(".0").rstrip("-"))
    if not m:
        return None
    zip5 = m[1] or ("0" + (m[2] or m[3]))  # Excel drops the leading zero of 02134
    return None if zip5 == "00000" else zip5


def normalize_zip(text: object) -> str | None:
    """Five-digit ZIP from ZIP, ZIP+4 or a ZIP that lost its leading zero, else None."""
    return _zip(as_text(text))


def normalize_unit(text: object) -> tuple[str | None, str | None]:
    """(Pub 28 unit, problem): "Apartment #4" -> "APT 4", "#5" -> "# 5", "2nd Floor" -> "FL 2"."""
    return _unit(as_text(text))


@lru_cache(maxsize=65536)
def _unit(text: str) -> tuple[str | None, str | None]:
    words = _clean(text).replace("#", " # ").split()
    if not words:
        return None, None
    if len(words) == 2 and (m := _ORDINAL_FLOOR.match(words[0])) and pub28.unit_designator(words[1]) == "FL":
        return f"FL {m[1]}", None
    groups: list[list[str]] = []
    for word in words:
        designator = pub28.unit_designator(word)
        if designator == "#" and groups and len(groups[-1]) == 1 and groups[-1][0] != "#":
            continue  # "APT # 4": the designator is already known
        if designator and not (groups and groups[-1][0] == "#" and len(groups[-1]) == 1):
            groups.append([designator])
        elif groups:
            groups[-1].append(word)
        else:
            groups.append(["#", word])
    parts = []
    for designator, *ident in groups:
        if not ident and designator not in pub28.UNITS_WITHOUT_ID:
            return None, f"unit without a number '{redact(text)}'"
        parts.append(" ".join([designator, "".join(ident)]) if ident else designator)
    return " ".join(parts), None


def _tag(text: str) -> tuple[dict[str, str], str, list[str]]:
    """usaddress labels for a street line; repeated labels are joined, not fatal."""
    try:
        tagged, kind = usaddress.tag(text)
        return dict(tagged), kind, []
    except usaddress.RepeatedLabelError as error:
        pairs = error.parsed_string
    except Exception:  # usaddress is a CRF model; never let it take a batch down
        return {}, "Ambiguous", [f"unparseable street '{redact(text)}'"]
    parts: dict[str, list[str]] = {}
    unit: list[str] = []
    for token, label in pairs:
        (unit if label in _UNIT_LABELS else parts.setdefault(label, [])).append(token)
    tags = {label: " ".join(tokens) for label, tokens in parts.items()}
    if unit:
        tags["OccupancyType"], tags["OccupancyIdentifier"] = " ".join(unit), ""
    # Several units ("FL 3 RM 5") are fine; a street part that comes back is not.
    labels = [label for _, label in pairs if label not in _UNIT_LABELS]
    runs = sum(1 for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label)
    problems = [f"ambiguous street '{redact(text)}'"] if runs > len(set(labels)) else []
    return tags, "Street Address", problems


@lru_cache(maxsize=131072)
def _parse_street(text: str) -> tuple[str | None, str | None, str | None, tuple[str, str, str],
                                      tuple[str, ...]]:
    """(delivery line, unit, key stem "NUMBER|CORE", (city, state, zip) found, problems)."""
    problems: list[str] = []
    trailing_unit = ""
    if (m := _TRAILING_UNIT.search(text)) and " " in text[: m.start()]:
        text, trailing_unit = text[: m.start()], m[1]
    if m := _PO_BOX.match(text):
        return f"PO BOX {m[1]}", None, f"{m[1]}|PO BOX", ("", "", ""), ()
    if not trailing_unit and (fast := _fast_street(text)) is not None:
        return fast
    tags, kind, problems = _tag(text)
    place = tuple(tags.get(label, "") for label in _PLACE_LABELS)
    number = " ".join(filter(None, (tags.get("AddressNumberPrefix"), tags.get("AddressNumber"),
                                    tags.get("AddressNumberSuffix"))))
    if not (tags.get("StreetName") or tags.get("StreetNamePreType") or "USPSBoxID" in tags):
        rest = text.replace(number, "", 1)
        if number and not any(place) and kind != "Intersection" and any(c.isalpha() for c in rest):
            # "7630 4TH AWY": a typo'd suffix made usaddress call it a unit.  Keep the
            # line as typed so a collector can still read it, but give it no key.
            return text, None, None, place, (*problems, f"unrecognised street '{redact(text)}'")
        return None, None, None, place, (*problems, f"unparseable street '{redact(text)}'")
    unit_text = " ".join(tags.get(label, "") for label in _UNIT_LABELS).strip()
    unit, unit_problem = _unit(" ".join((unit_text, trailing_unit)).strip())
    if unit_problem:
        problems.append(unit_problem)

    if "USPSBoxID" in tags:
        group = " ".join(filter(None, (tags.get("USPSBoxGroupType"), tags.get("USPSBoxGroupID"))))
        box_type = "PO BOX" if not group else "BOX"
        line = " ".join(filter(None, (group, box_type, tags["USPSBoxID"])))
        return line, unit, f"{tags['USPSBoxID']}|{group or 'PO BOX'}", place, tuple(problems)
    if kind == "Intersection":
        return text, unit, None, place, (*problems, f"street is an intersection '{redact(text)}'")

    name = tags.get("StreetName", "")
    pre_type = tags.get("StreetNamePreType", "")
    pre_type = pub28.suffix_name(pre_type) or pre_type  # "Hwy 61" and "Highway 61" agree
    post_type = tags.get("StreetNamePostType", "")
    post_type = pub28.street_suffix(post_type) or post_type
    pre_dir = tags.get("StreetNamePreDirectional", "")
    post_dir = tags.get("StreetNamePostDirectional", "")
    core = " ".join(filter(None, (pre_type, name)))
    line = " ".join(filter(None, (
        number, pub28.directional(pre_dir) or pre_dir, tags.get("StreetNamePreModifier"),
        core, post_type, pub28.directional(post_dir) or post_dir,
    )))
    if not number:
        problems.append(f"no house number in street '{redact(text)}'")
        return line, unit, None, place, tuple(problems)
    ignored = " ".join(filter(None, (tags.get("Recipient"), tags.get("NotAddress"))))
    if ignored:
        problems.append(f"ignored '{redact(ignored)}' in street")
    key_core = " ".join(_ORDINAL_WORDS.get(word, word) for word in core.split())
    return line, unit, f"{number}|{key_core}", place, tuple(problems)


_FAST_WORD = re.compile(r"[A-Z]{2,}|\d+(?:ST|ND|RD|TH)")


def _fast_street(text: str):
    """``NUMBER [DIR] NAME [NAME] SUFFIX [UNIT NUMBER]`` without usaddress (~120 µs saved
    per new line).

    Only lines whose every word is unambiguous take this path: a house number of digits,
    an optional one-word directional, one or two name words that are not themselves a
    suffix, directional, unit or state word, and a known suffix.  Anything else goes to
    usaddress; tests/test_matching_normalize_fast.py checks both paths agree.
    """
    words = text.split()
    unit = None
    if len(words) >= 5 and words[-2] in _FAST_UNITS and _FAST_UNIT_ID.fullmatch(words[-1]):
        # "... APT 309", "... SUITE 007", "... # 564": a numbered unit at the end
        unit, unit_problem = _unit(f"{words[-2]} {words[-1]}")
        if unit_problem:
            return None
        words = words[:-2]
    if not 3 <= len(words) <= 5 or not words[0].isdigit() or len(words[0]) > 6:
        return None
    number, *middle, last = words
    suffix = pub28.street_suffix(last)
    if suffix is None or not middle:
        return None
    pre_dir = ""
    if len(middle) > 1 and (d := pub28.DIRECTIONALS.get(middle[0])) and " " not in middle[0]:
        pre_dir, middle = d, middle[1:]
    if not 1 <= len(middle) <= 2:
        return None
    for word in middle:
        if (not _FAST_WORD.fullmatch(word) or word in _FAST_AMBIGUOUS
                or word in pub28.STREET_SUFFIXES or word in pub28.DIRECTIONALS
                or word in pub28.UNIT_DESIGNATORS or word in pub28.STATES):
            return None
    if last != suffix and any(word[0].isdigit() for word in middle):
        return None  # usaddress reads "3RD ROAD" as the name "3RD ROAD"
    core = " ".join(middle)
    line = " ".join(filter(None, (number, pre_dir, core, suffix)))
    key_core = " ".join(_ORDINAL_WORDS.get(word, word) for word in middle)
    return line, unit, f"{number}|{key_core}", ("", "", ""), ()


#: Unit words the fast path reads before a number (as usaddress does there).
_FAST_UNITS = frozenset({"APT", "APARTMENT", "STE", "SUITE", "UNIT", "#"})
_FAST_UNIT_ID = re.compile(r"\d{1,6}[A-Z]?")


#: Words usaddress reads as something other than a street name in this position.
_FAST_AMBIGUOUS = frozenset({"PO", "BOX", "RR", "HC", "ROUTE", "RTE", "HWY", "HIGHWAY",
                             "COUNTY", "STATE", "US", "AND", "OF", "THE", "APT", "UNIT",
                             "SUITE", "STE", "FL", "FLOOR", "RM", "ROOM", "BLDG", "LOT"})


def _clean_city(text: str, problems: list[str]) -> str | None:
    city = _clean(text)
    if not city:
        return None
    if not any(ch.isalpha() for ch in city) or any(ch.isdigit() for ch in city):
        problems.append(f"unreadable city '{redact(text)}'")
        return None
    return " ".join(_CITY_JUNK.sub(" ", city).split()) or None


def address_identity(street: str | None, unit: str | None, zip5: str | None,
                     city: str | None = None) -> str | None:
    """The one place a normalized address stands for, whatever its unit designator:
    ``4138 LOPEZ BLVD # 31`` and ``4138 LOPEZ BLVD UNIT 31`` in 77409 are one address
    (``4138 LOPEZ BLVD|31|77409``); the city stands in for a missing ZIP."""
    if not street or not (zip5 or city):
        return None
    ident = ""
    if unit:
        designator, _, rest = unit.partition(" ")
        ident = (rest if rest else designator).lstrip("0") or "0"
    return f"{street}|{ident}|{zip5 or city}"


def normalize_address(street: object = None, unit: object = None, city: object = None,
                      state: object = None, zip: object = None) -> AddressResult:
    """Normalize one address; parts found inside ``street`` fill missing fields."""
    return _normalize(*(as_text(v) for v in (street, unit, city, state, zip)))


@lru_cache(maxsize=65536)
def _normalize(street_raw: str, unit_raw: str, city_raw: str, state_raw: str,
               zip_raw: str) -> AddressResult:
    problems: list[str] = []
    street = unit = key_stem = None
    found = ("", "", "")
    if cleaned := _clean(street_raw):
        street, unit, key_stem, found, street_problems = _parse_street(cleaned)
        problems.extend(street_problems)
    elif street_raw:
        problems.append(f"unparseable street '{redact(street_raw)}'")

    if unit_raw:
        given_unit, unit_problem = _unit(unit_raw)
        if unit_problem:
            problems.append(unit_problem)
        elif unit and given_unit != unit:
            problems.append(f"unit in street differs from unit field '{redact(given_unit)}'")
        unit = given_unit or unit

    city = _clean_city(city_raw or found[0], problems)
    state = None
    if state_text := state_raw or found[1]:
        state = normalize_state(state_text)
        if state is None:
            problems.append(f"unknown state '{redact(state_text, 30)}'")
    zip5 = None
    if zip_text := zip_raw or found[2]:
        zip5 = normalize_zip(zip_text)
        if zip5 is None:
            problems.append(f"invalid zip '{redact(zip_text, 20)}'")

    one_line = None
    if street:
        delivery = f"{street} {unit}" if unit else street
        last_line = " ".join(filter(None, (state, zip5)))
        one_line = ", ".join(filter(None, (delivery, city, last_line)))
    key = f"{key_stem}|{zip5}" if key_stem and zip5 else None
    return AddressResult(street, unit, city, state, zip5, one_line, key, tuple(problems))
