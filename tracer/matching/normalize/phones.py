"""Phone numbers to E.164, with the line type a collector needs (TCPA treats mobiles apart).

phonenumbers does the parsing and validation.  A number of a possible length that no
prefix is assigned to (an unassigned area code) is no contact, but it is still ten digits
two records share or not: :attr:`PhoneResult.undialable` keeps it for matching.  Ten
plain NANP digits skip phonenumbers' parser and go straight to its metadata's patterns
(``_nanp_type``; ``tests/test_normalize.py`` checks both paths agree).  Two things we add: letters are refused
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
    #: A number of a possible length that is not assigned (an unassigned area code), in
    #: E.164 form: nobody can be called on it, but two records showing it agree.
    undialable: str | None = None

    @property
    def digits(self) -> str | None:
        """The number as evidence of identity: the E.164 number, dialable or not.  Only a
        contact to rank needs :attr:`e164`."""
        return self.e164 or self.undialable


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
    if region == "US" and (m := _SIMPLE_NANP.fullmatch(raw)) and m[1][0] not in "01":
        # "(217) 555-0134", "217.555.0134", "+1 217 555 0134": ten NANP digits, read by
        # phonenumbers' own patterns (what _normalize does with them, without its cache:
        # a file's distinct numbers rarely repeat).
        national = m[1] + m[2] + m[3]
        if _NANP:
            declared_type, problems = _declared(declared)
            kind = _nanp_type(national)
            if kind == PhoneNumberType.UNKNOWN:
                return PhoneResult(None, None, (*problems, _invalid(raw, nanp=True)),
                                   "+1" + national)
            return PhoneResult("+1" + national, _line_type(declared_type, kind), problems)
        result = _normalize(national, region, declared)
        if result.e164:
            return result
        if result.undialable:      # the same answer, quoting the text as given
            return PhoneResult(None, None, (*result.problems[:-1], _invalid(raw)),
                               result.undialable)
    return _normalize(raw, region, declared)


_SIMPLE_NANP = re.compile(r"(?:\+?1[\s.-]*)?\(?(\d{3})\)?[\s.-]*(\d{3})[\s.-]*(\d{4})")
_TEN_DIGITS = re.compile(r"[2-9]\d{9}")
#: A phone-shaped text whose digits form one run: ``redact`` masks all but the last four.
_ONE_RUN = re.compile(r"[^\d]{0,4}\d(?:[^A-Za-z0-9]{0,3}\d)*[^\d]{0,4}")
_DIGIT = re.compile(r"\d")


def _invalid(raw: str, nanp: bool = False) -> str:
    """The problem of a number that is not valid; ``nanp`` when ``raw`` is known to
    match :data:`_SIMPLE_NANP`."""
    if len(raw) <= 40 and _ONE_RUN.fullmatch(raw) and (nanp or _SIMPLE_NANP.fullmatch(raw)):
        # what redact() makes of it (no date shape in 3-3-4 digits), at a tenth the cost
        cut = [m.start() for m in _DIGIT.finditer(raw)][-4]
        return f"invalid phone number '{_DIGIT.sub('*', raw[:cut]) + raw[cut:]}'"
    return f"invalid phone number '{redact(raw)}'"


_TYPED_DESCS = (("premium_rate", PhoneNumberType.PREMIUM_RATE),
                ("toll_free", PhoneNumberType.TOLL_FREE),
                ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
                ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
                ("pager", PhoneNumberType.PAGER), ("uan", PhoneNumberType.UAN),
                ("voicemail", PhoneNumberType.VOICEMAIL))


def _ten_digit_pattern(desc):
    """A number description's pattern, compiled, when ten digits may match it."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and 10 not in desc.possible_length:
        return None
    return re.compile(desc.national_number_pattern)


class _NanpRegion:
    """One NANP region's metadata as compiled patterns for ten-digit numbers, tested in
    the order of phonenumbers' own number-type check."""

    def __init__(self, metadata):
        self.lead = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        self.general = _ten_digit_pattern(metadata.general_desc)
        self.typed = [(pattern, kind) for pattern, kind in
                      ((_ten_digit_pattern(getattr(metadata, name)), kind)
                       for name, kind in _TYPED_DESCS) if pattern is not None]
        self.fixed = _ten_digit_pattern(metadata.fixed_line)
        self.mobile = _ten_digit_pattern(metadata.mobile)
        self.same = bool(metadata.same_mobile_and_fixed_line_pattern)

    def kind(self, national: str):
        if self.general is None or not self.general.fullmatch(national):
            return PhoneNumberType.UNKNOWN
        for pattern, kind in self.typed:
            if pattern.fullmatch(national):
                return kind
        mobile = self.mobile is not None and not self.same and self.mobile.fullmatch(national)
        if self.fixed is not None and self.fixed.fullmatch(national):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE if self.same or mobile \
                else PhoneNumberType.FIXED_LINE
        return PhoneNumberType.MOBILE if mobile else PhoneNumberType.UNKNOWN


def _nanp_regions() -> list[_NanpRegion]:
    """Every NANP region, in the order ``region_code_for_number`` tries them."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
    regions = (PhoneMetadata.metadata_for_region(r, None) for r in COUNTRY_CODE_TO_REGION_CODE[1])
    return [_NanpRegion(m) for m in regions if m is not None]


_NANP = _nanp_regions()


def _regions_by_prefix(regions: list[_NanpRegion]) -> tuple[int, dict] | None:
    """(k, per k-digit prefix the regions :func:`_nanp_type` consults, in order: those
    without leading digits, up to the first whose leading digits match).  Exact because a
    leading-digits pattern (no lookaround) reads at most k digits of the number; None
    when one could read more than four."""
    try:
        from re import _parser      # the widths re itself computes (Python 3.11+)
    except ImportError:             # pragma: no cover
        return None
    leads = [r.lead.pattern for r in regions if r.lead is not None]
    if any("(?" in p or "$" in p for p in leads):       # lookarounds, flags, anchors
        return None
    k = max((_parser.parse(p).getwidth()[1] for p in leads), default=0)
    if k > 4:
        return None
    out = {}
    for prefix in (f"{a:0{k}d}" for a in range(10 ** k)):
        chain = []
        for region in regions:
            if region.lead is None:
                chain.append(region)
            elif region.lead.match(prefix):
                chain.append(region)
                break
        out[prefix] = chain
    return k, out


_BY_PREFIX = _regions_by_prefix(_NANP)


def _nanp_type(national: str):
    """phonenumbers' type of a ten-digit NANP number (``PhoneNumberType.UNKNOWN`` when it
    is not valid): the region is the first whose leading digits match, or which the
    number is valid for, as ``region_code_for_number`` decides it."""
    chain = _BY_PREFIX[1][national[:_BY_PREFIX[0]]] if _BY_PREFIX is not None else _NANP
    for region in chain:
        if region.lead is None:
            kind = region.kind(national)
            if kind != PhoneNumberType.UNKNOWN:
                return kind
        elif region.lead.match(national):
            return region.kind(national)
    return PhoneNumberType.UNKNOWN


@lru_cache(maxsize=256)
def _declared(declared: str) -> tuple[str | None, tuple[str, ...]]:
    """(the declared line type, the problem of one we do not recognise)."""
    declared_type = normalize_phone_type(declared)
    if declared and declared_type is None:
        return None, (f"unknown phone type '{redact(declared, 20)}'",)
    return declared_type, ()


def _line_type(declared_type: str | None, kind) -> str:
    if declared_type in ("mobile", "landline", "voip"):
        return declared_type
    return _FROM_LIBRARY.get(kind, "unknown")


@lru_cache(maxsize=65536)
def _normalize(raw: str, region: str, declared: str) -> PhoneResult:
    problems: list[str] = []
    declared_type = normalize_phone_type(declared)
    if declared and declared_type is None:
        problems.append(f"unknown phone type '{redact(declared, 20)}'")
    if not raw:
        return PhoneResult(None, None, tuple(problems))
    if region == "US" and _NANP and _TEN_DIGITS.fullmatch(raw):
        # Ten digits of a NANP number: phonenumbers' patterns without its parser.
        kind = _nanp_type(raw)
        if kind == PhoneNumberType.UNKNOWN:
            return PhoneResult(None, None, (*problems, _invalid(raw)), "+1" + raw)
        return PhoneResult("+1" + raw, _line_type(declared_type, kind), tuple(problems))

    text = _EXTENSION.sub("", _PREFIX.sub("", raw))
    if _LETTER.search(text):
        return PhoneResult(None, None, (*problems, f"letters in phone number '{redact(raw)}'"))
    if sum(ch.isdigit() for ch in text) > 17:  # longer than any E.164 number plus a prefix
        return PhoneResult(None, None, (*problems, f"too many digits for a phone number '{redact(raw)}'"))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return PhoneResult(None, None, (*problems, f"unparseable phone number '{redact(raw)}'"))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
            return PhoneResult(None, None, (*problems, _invalid(raw)), e164)
        if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
            # seven digits without an area code: no number of its own to compare
            return PhoneResult(None, None, (*problems, _invalid(raw)))
        return PhoneResult(None, None, (*problems, f"impossible phone number '{redact(raw)}'"))
    return PhoneResult(e164, _line_type(declared_type, phonenumbers.number_type(number)),
                       tuple(problems))
