"""Keeping full SSNs and full dates of birth out of everything tracer writes.

The guarantee is structural (no code path puts a full SSN or DOB into an audit payload,
a log line, an export or an error message); the helpers here are the second line:
masks for display and a log filter that scrubs SSN-shaped text if one ever slips in.
Free text a user types (a lookup's reason, a note) is the one way in that structure
cannot close, so :func:`refuse_sensitive_text` checks it before anything is written.

Every other edge asks :func:`sensitive_in_value` with the kind of value it holds:

* ``identifier`` (account and record ids, user ids, source names): an SSN anywhere, a
  labelled date of birth, or a value that is wholly a plausible date;
* ``field`` (names, street, unit, city, employer, email, phone, event): the same, and a
  full date with a four-digit year anywhere in it (no street or employer holds one);
* ``text`` (a reason, a note, a file name): an SSN, or a date next to a birth label;
  a plain date is fine ("mail returned 01/02/2026", ``accounts-2026-01-02.csv``).

Only the ``dob`` columns hold a date of birth (the matching data it is); an import row
whose other columns hold one is rejected with the column named, never stored.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from .errors import InputError


class SensitiveDataError(InputError):
    """A value that seems to hold a full SSN or date of birth was refused (the message
    names where, never the value)."""

_SSN_DASHED = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_SSN_SPACED = re.compile(r"(?<!\d)\d{3} \d{2} \d{4}(?!\d)")
#: Nine digits, bare or split 3-2-4 by dashes, spaces, dots or underscores (a cleaned
#: header); a ZIP+4 (5-4) is not SSN-shaped.
_SSN_SEP = r"[-\u2010-\u2015\s._]"
_SSN_ANY = re.compile(rf"(?<!\d)(?:\d{{9}}|\d{{3}}{_SSN_SEP}\d{{2}}{_SSN_SEP}\d{{4}})(?!\d)")

_MONTH = r"(?<![a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_SEP = r"\s*[-/._]\s*"
#: A full date as people type one: ISO, US numeric (2- or 4-digit year), compact, or
#: with a month name.  Only ever matched next to a birth label, or as a whole header.
_DATE = (rf"(?<!\d)(?:\d{{4}}{_SEP}\d{{1,2}}{_SEP}\d{{1,2}}"
         rf"|\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}(?:\d{{4}}|\d{{2}})"
         rf"|\d{{8}}|\d{{6}}"
         rf"|{_MONTH}[\s,._-]*{_DAY}[\s,._-]*\d{{4}}"
         rf"|{_DAY}[\s,._-]*(?:of\s+)?{_MONTH}[\s,._-]*\d{{4}})(?!\d)")
_BIRTH = r"(?<![a-z])(?:d\.?\s?o\.?\s?b\.?|born|birth\s?(?:day|date)?s?|b-?day)(?![a-z])"
#: What may stand between a label and its date: punctuation and a few filler words
#: ("born on", "date of birth is", "01/02/1980 (her dob)").
_GAP = (r"[^a-z0-9]{0,5}(?:(?:is|was|on|of|the|date|dt|as|listed|given|per|reported|"
        r"verified|confirmed|debtor|customer|consumer|his|her|their|s)[^a-z0-9]{1,5}){0,4}")
_DOB_AFTER_LABEL = re.compile(rf"({_BIRTH}{_GAP})({_DATE})", re.IGNORECASE)
_DOB_BEFORE_LABEL = re.compile(rf"({_DATE})({_GAP}{_BIRTH})", re.IGNORECASE)
_WHOLE_DATE = re.compile(_DATE, re.IGNORECASE)


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_NUMERIC_DATE = re.compile(r"(?<!\d)(?:(?P<y1>\d{4})(?P<s1>[-/._ ])(?P<m1>\d{1,2})(?P=s1)"
                           r"(?P<d1>\d{1,2})|(?P<a2>\d{1,2})(?P<s2>[-/._ ])(?P<b2>\d{1,2})"
                           r"(?P=s2)(?P<y2>\d{4}))(?!\d)")
_NAMED_DATE = re.compile(rf"(?:(?P<mon1>{_MONTH})[\s,._-]*(?P<day1>\d{{1,2}})(?:st|nd|rd|th)?"
                         rf"[\s,._-]*(?P<yr1>\d{{4}})|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?"
                         rf"[\s,._-]*(?:of\s+)?(?P<mon2>{_MONTH})[\s,._-]*(?P<yr2>\d{{4}}))"
                         r"(?!\d)", re.IGNORECASE)
_SHORT_DATE = re.compile(r"(\d{1,2})([-/._])(\d{1,2})\2(\d{2})")


def _real_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _birth_year(year: int) -> bool:
    return 1880 <= year <= date.today().year


def _numeric_date_ok(m: re.Match) -> bool:
    if m["y1"]:
        return _birth_year(int(m["y1"])) and _real_day(int(m["y1"]), int(m["m1"]), int(m["d1"]))
    year, a, b = int(m["y2"]), int(m["a2"]), int(m["b2"])
    return _birth_year(year) and (_real_day(year, a, b) or _real_day(year, b, a))


def _named_date_ok(m: re.Match) -> bool:
    month = _MONTHS.get((m["mon1"] or m["mon2"])[:3].lower())
    year, day = int(m["yr1"] or m["yr2"]), int(m["day1"] or m["day2"])
    return bool(month) and _birth_year(year) and _real_day(year, month, day)


def _full_date_in(text: str) -> bool:
    """A real calendar date with a four-digit birth-range year anywhere in ``text``
    (``1961-03-05``, ``3/5/1961``, ``March 5, 1961``)."""
    return any(_numeric_date_ok(m) for m in _NUMERIC_DATE.finditer(text)) \
        or (_MONTH_WORD.search(text) is not None
            and any(_named_date_ok(m) for m in _NAMED_DATE.finditer(text)))


def _wholly_a_date(text: str) -> bool:
    """``text`` is one plausible date and nothing else: the separated and named forms,
    ``M/D/YY``, and eight digits that read as YYYYMMDD or MMDDYYYY (an account number
    such as ``12345678`` reads as neither)."""
    text = text.strip()
    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        return _numeric_date_ok(m)
    m = _NAMED_DATE.fullmatch(text) if _MONTH_WORD.search(text) else None
    if m:
        return _named_date_ok(m)
    m = _SHORT_DATE.fullmatch(text)
    if m:
        a, b = int(m[1]), int(m[3])
        return _real_day(2000, a, b) or _real_day(2000, b, a)
    if re.fullmatch(r"\d{8}", text):
        y, mo, d = int(text[:4]), int(text[4:6]), int(text[6:])
        if _birth_year(y) and _real_day(y, mo, d):
            return True
        mo, d, y = int(text[:2]), int(text[2:4]), int(text[4:])
        return _birth_year(y) and _real_day(y, mo, d)
    return False


_FOUR_DIGITS = re.compile(r"(?:\D*\d){4}")
#: Cheap tests before the costly patterns: a birth label, a month's name.
_BIRTH_WORD = re.compile(r"d\.?\s?o\.?\s?b|born|birth|b-?day", re.IGNORECASE)
_MONTH_WORD = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)
#: The kinds of value :func:`sensitive_in_value` tells apart (see the module docstring).
VALUE_KINDS = ("identifier", "field", "text")


def sensitive_in_value(value: str | None, kind: str = "field") -> str | None:
    """What full identifier ``value`` seems to hold ("an SSN ...", "a date of birth",
    "a full date"), or None."""
    if not value or not _FOUR_DIGITS.match(value):        # every shape needs 4 digits
        return None
    if kind == "text":
        return sensitive_in_text(value)
    if _SSN_ANY.search(value):
        return "an SSN (or another nine-digit number)"
    if _BIRTH_WORD.search(value) and (_DOB_AFTER_LABEL.search(value)
                                      or _DOB_BEFORE_LABEL.search(value)):
        return "a date of birth"
    if _wholly_a_date(value) or (kind == "field" and _full_date_in(value)):
        return "a full date (a date of birth?)"
    return None


#: The columns an account or record row stores as given (not parsed into a date, a
#: number or a code), by kind: an SSN or a date of birth there would be at rest outside
#: its own column.
_FIELDS = ("first_name", "middle_name", "last_name", "suffix", "street", "unit", "city",
           "phone", "email", "employer")
ACCOUNT_TEXT = {"account_id": "identifier", "assigned_to": "identifier",
                # a nine-digit balance is stored (and shown) as a number: as an SSN
                "balance": "identifier", **dict.fromkeys(_FIELDS, "field")}
RECORD_TEXT = {"record_id": "identifier", **dict.fromkeys((*_FIELDS, "full_name", "event"),
                                                          "field")}


def record_problem(row) -> str | None:
    """The first stored-as-given column of a record that seems to hold a full SSN or
    DOB (``"street: an SSN ..."``), or None."""
    for column, kind in RECORD_TEXT.items():
        value = row.get(column)
        found = sensitive_in_value(value, kind) if isinstance(value, str) else None
        if found:
            return f"{column}: {found}"
    return None


def refuse_sensitive_value(value: str | None, what: str, kind: str = "identifier") -> str | None:
    """Refuse ``value`` (WHAT names it, e.g. ``the account id``) when it seems to hold a
    full SSN or DOB; the message never repeats the value."""
    found = sensitive_in_value(value, kind)
    if found:
        raise SensitiveDataError(
            f"{what} seems to hold {found}; full SSNs and dates of birth are never stored "
            "outside their own columns")
    return value


def mask_field(value: str) -> str:
    """:func:`mask_identifiers`, and full dates masked too: for a value shown outside the
    workspace whose column has no business holding a date."""
    value = mask_identifiers(value)
    value = _NUMERIC_DATE.sub(lambda m: "XX-XX-XXXX" if _numeric_date_ok(m) else m.group(),
                              value)
    value = _NAMED_DATE.sub(lambda m: "XX-XX-XXXX" if _named_date_ok(m) else m.group(), value)
    return "XX-XX-XXXX" if _wholly_a_date(value) else value


def safe_file_name(name: str) -> str:
    """A file name as the audit trail records it: SSN-shaped runs and labelled dates of
    birth masked (``912-34-5678.csv`` -> ``XXX-XX-5678.csv``); plain dates kept."""
    return mask_identifiers(name)


def mask_ssn_last4(last4: str | None) -> str:
    return f"XXX-XX-{last4}" if last4 else ""


def dob_year(dob: str | None) -> str:
    """The only form of a date of birth tracer ever shows: its year."""
    return dob[:4] if dob else ""


def mask_dob(dob: str | None) -> str:
    return f"{dob[:4]}-XX-XX" if dob and len(dob) >= 4 else ""


def mask_text(text: str) -> str:
    """Replace SSN-shaped runs (``123-45-6789``, ``123 45 6789``) by a mask."""
    text = _SSN_DASHED.sub(lambda m: "XXX-XX-" + m.group()[-4:], text)
    return _SSN_SPACED.sub(lambda m: "XXX-XX-" + m.group()[-4:], text)


def mask_identifiers(text: str) -> str:
    """Like :func:`mask_text`, but also bare 9-digit runs and dates labelled as a birth:
    for text nobody vetted (cells of a rejected row, free text in a file)."""
    text = _SSN_ANY.sub(lambda m: "XXX-XX-" + m.group()[-4:], text)
    text = _DOB_AFTER_LABEL.sub(lambda m: m.group(1) + "XX-XX-XXXX", text)
    return _DOB_BEFORE_LABEL.sub(lambda m: "XX-XX-XXXX" + m.group(2), text)


def is_full_date(text: str) -> bool:
    """True for text that is one whole date (a data row read as a header, say)."""
    return bool(_WHOLE_DATE.fullmatch(text.strip()))


def sensitive_in_text(text: str) -> str | None:
    """What full identifier free text seems to hold ("an SSN", "a date of birth"), or None.

    A plain date is fine ("mail returned 01/02/2026"); a date next to a birth label is not.
    """
    if _SSN_ANY.search(text):
        return "an SSN (or another nine-digit number)"
    if _DOB_AFTER_LABEL.search(text) or _DOB_BEFORE_LABEL.search(text):
        return "a date of birth"
    return None


def refuse_sensitive_text(text: str | None, what: str) -> str | None:
    """Refuse free text a user typed (WHAT names it, e.g. ``--reason``) that holds a full
    SSN or DOB: the audit trail is permanent, so the check runs before anything is written.
    The message never repeats the text."""
    found = sensitive_in_text(text) if text else None
    if found:
        raise InputError(f"{what} seems to contain {found}; the audit trail is permanent, "
                         "so leave full SSNs and dates of birth out (the last four digits "
                         "or the birth year are fine)")
    return text


def refuse_sensitive_option(ctx, param, value: str | None) -> str | None:
    """:func:`refuse_sensitive_text` as a click option callback (runs at parse time)."""
    return refuse_sensitive_text(value, param.opts[0] if param.opts else param.name)


def assert_no_sensitive(text: str, *, where: str) -> None:
    """Refuse to write SSN-shaped text (dashed or spaced: hashes and ids hold bare digit
    runs) into WHERE; the edges should have refused it first."""
    if _SSN_DASHED.search(text) or _SSN_SPACED.search(text):
        raise SensitiveDataError(f"refusing to write an SSN-shaped value into {where}")


class MaskingFilter(logging.Filter):
    """A logging filter that masks SSN-shaped text in every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = mask_text(msg)
        if masked != msg:
            record.msg, record.args = masked, ()
        return True
