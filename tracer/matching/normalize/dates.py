"""Dates of birth and event dates, parsed strictly from the forms US records use.

No fuzzy parsing: a string either matches one of the formats below or the result says
"unparseable date".  A date's precision (day, month, year) is kept, because a record that
says only ``1961`` must not be compared as if it said ``1961-01-01``.

Problem messages here never quote the input: the input is usually a date of birth.
This module also owns :func:`redact`, which the other normalizers use before they quote
anything, since a date of birth or an SSN can turn up in any column of a bad extract.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DateResult", "as_text", "dates_transposed", "parse_date", "redact"]

MIN_YEAR, MAX_YEAR = 1850, 2100

UNPARSEABLE = "unparseable date"
INVALID = "invalid calendar date"
OUT_OF_RANGE = "date year out of range"


@dataclass(frozen=True)
class DateResult:
    """A parsed date.  ``month`` is set for day and month precision (not in the brief's
    field list, but :attr:`iso` needs it for ``YYYY-MM``)."""

    value: datetime.date | None
    year: int | None
    precision: str | None
    problems: tuple[str, ...] = ()
    month: int | None = None

    @property
    def iso(self) -> str | None:
        if self.precision == "day" and self.value is not None:
            return self.value.isoformat()
        if self.precision == "month" and self.year is not None and self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        if self.precision == "year" and self.year is not None:
            return f"{self.year:04d}"
        return None


_EMPTY = DateResult(None, None, None, ())


def as_text(value: object) -> str:
    """Any cell value as stripped text; None, NaN and non-text junk become ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer():  # spreadsheets turn 02134 into 2134.0
            return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return ""


# Long digit runs (SSNs, phone numbers) keep only their last four digits; anything
# shaped like a date, numeric or with a month name, is hidden completely.
_DIGIT_RUN = re.compile(r"\d(?:[^A-Za-z0-9]{0,3}\d){5,}")
_NUMERIC_DATE = re.compile(r"\d{1,4}\s*[./\-\s]\s*\d{1,2}\s*[./\-\s]\s*\d{2,4}")
_MONTH = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*"
_WORDY_DATE = re.compile(
    rf"\b(?:{_MONTH}\W*\d{{1,2}}(?:ST|ND|RD|TH)?\W+\d{{2,4}}|\d{{1,2}}\W*{_MONTH}\W*\d{{2,4}})",
    re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def _hide(match: re.Match[str]) -> str:
    return _DIGIT.sub("*", match.group(0))


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    keep = len(run)
    seen = 0
    for i in range(len(run) - 1, -1, -1):  # find where the last four digits start
        if run[i].isdigit():
            seen += 1
            if seen == 4:
                keep = i
                break
    return _DIGIT.sub("*", run[:keep]) + run[keep:]


def redact(text: str, limit: int = 40) -> str:
    """Input made safe to quote in a problem: no full SSN, no full numeric date, short."""
    text = " ".join(text.split())
    text = _WORDY_DATE.sub(_hide, _NUMERIC_DATE.sub(_hide, text))
    text = _DIGIT_RUN.sub(_mask_run, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_MONTHS = {
    "JAN": 1, "JANUARY": 1, "FEB": 2, "FEBRUARY": 2, "MAR": 3, "MARCH": 3, "APR": 4,
    "APRIL": 4, "MAY": 5, "JUN": 6, "JUNE": 6, "JUL": 7, "JULY": 7, "AUG": 8,
    "AUGUST": 8, "SEP": 9, "SEPT": 9, "SEPTEMBER": 9, "OCT": 10, "OCTOBER": 10,
    "NOV": 11, "NOVEMBER": 11, "DEC": 12, "DECEMBER": 12,
}

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
#: Excel's US date-times ("1/2/1980 0:00", "01/02/1980 12:00:00 AM"): the time is dropped.
_US_TIME = r"(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AP]M)?)?"
_MDY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _US_TIME)
_EIGHT = re.compile(r"\d{8}")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})")
_YEAR = re.compile(r"\d{4}")
_WORDS = re.compile(r"[A-Z]+|\d+(?:ST|ND|RD|TH)?")
_ORDINAL = re.compile(r"(\d{1,2})(?:ST|ND|RD|TH)?")
_SEPARATORS = re.compile(r"[\s,.\-/]")


def _full_year(two_digits: int, month: int, day: int) -> int:
    """Pivot a two-digit year so the date is not in the future (24 -> 2024, 61 -> 1961)."""
    year = 2000 + two_digits
    try:
        if datetime.date(year, month, day) > datetime.date.today():
            year -= 100
    except ValueError:
        pass  # invalid calendar date; _day() reports it
    return year


def _day(year: int, month: int, day: int) -> DateResult:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return DateResult(None, None, None, (OUT_OF_RANGE,))
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        return DateResult(None, None, None, (INVALID,))
    return DateResult(value, year, "day", (), month)


def _month(year: int, month: int) -> DateResult:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return DateResult(None, None, None, (OUT_OF_RANGE,))
    if not 1 <= month <= 12:
        return DateResult(None, None, None, (INVALID,))
    return DateResult(None, year, "month", (), month)


def _year(year: int) -> DateResult:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return DateResult(None, None, None, (OUT_OF_RANGE,))
    return DateResult(None, year, "year", ())


def _numeric_day(a: int, b: int, year_text: str, dayfirst: bool) -> DateResult:
    month, day = (b, a) if dayfirst else (a, b)
    year = int(year_text)
    if len(year_text) == 2:
        year = _full_year(year, month, day)
    return _day(year, month, day)


def _with_month_name(text: str) -> DateResult | None:
    """"Mar 5 1961", "5 March 1961", "March 5th, 1961", "05-MAR-61", "March 1961"."""
    words = _WORDS.findall(text)
    if not words or "".join(words) != _SEPARATORS.sub("", text):
        return None  # characters other than words, digits and separators
    months = [i for i, w in enumerate(words) if w in _MONTHS]
    if len(months) != 1 or not 2 <= len(words) <= 3:
        return None
    at = months[0]
    month = _MONTHS[words[at]]
    numbers = [w for i, w in enumerate(words) if i != at]
    if any(not w[0].isdigit() for w in numbers):
        return None
    if len(words) == 2:  # month and year
        if at != 0 or not _YEAR.fullmatch(numbers[0]):
            return None
        return _month(int(numbers[0]), month)
    day_text, year_text = numbers if at in (0, 1) else (None, None)
    if day_text is None or not year_text.isdigit() or len(year_text) not in (2, 4):
        return None
    if not (m := _ORDINAL.fullmatch(day_text)):
        return None
    day = int(m.group(1))
    year = int(year_text)
    if len(year_text) == 2:
        year = _full_year(year, month, day)
    return _day(year, month, day)


def parse_date(text: object, *, dayfirst: bool = False) -> DateResult:
    """Parse a date strictly; ``dayfirst`` reads ``05/03/1961`` as 5 March.

    Missing input gives an empty result with no problem; anything else that does not
    match a known form gives ``precision=None`` and a problem that does not quote it.
    """
    return _parse(as_text(text), bool(dayfirst))


@lru_cache(maxsize=65536)
def _parse(raw: str, dayfirst: bool) -> DateResult:
    if not raw:
        return _EMPTY
    s = raw.upper()
    if len(s) > 40:
        return DateResult(None, None, None, (UNPARSEABLE,))
    if m := _YMD.fullmatch(s):
        return _day(int(m[1]), int(m[3]), int(m[4]))
    if m := _MDY.fullmatch(s):
        return _numeric_day(int(m[1]), int(m[3]), m[4], dayfirst)
    if _EIGHT.fullmatch(s):
        if MIN_YEAR <= int(s[:4]) <= MAX_YEAR:  # YYYYMMDD; MMDDYYYY can't start 18-21
            return _day(int(s[:4]), int(s[4:6]), int(s[6:]))
        return _numeric_day(int(s[:2]), int(s[2:4]), s[4:], dayfirst)
    if m := _YM.fullmatch(s):
        return _month(int(m[1]), int(m[2]))
    if m := _MY.fullmatch(s):
        return _month(int(m[2]), int(m[1]))
    if _YEAR.fullmatch(s):
        return _year(int(s))
    result = _with_month_name(s)
    return result if result is not None else DateResult(None, None, None, (UNPARSEABLE,))


def dates_transposed(a: datetime.date | None, b: datetime.date | None) -> bool:
    """True when two dates differ only by day and month being swapped (3/5 vs 5/3)."""
    if a is None or b is None:
        return False
    return a != b and a.year == b.year and a.month == b.day and a.day == b.month
