"""Keeping full SSNs and full dates of birth out of everything tracer writes.

The guarantee is structural (no code path puts a full SSN or DOB into an audit payload,
a log line, an export or an error message); the helpers here are the second line:
masks for display and a log filter that scrubs SSN-shaped text if one ever slips in.
Free text a user types (a lookup's reason, a note) is the one way in that structure
cannot close, so :func:`refuse_sensitive_text` checks it before anything is written.
"""

from __future__ import annotations

import logging
import re

from .errors import InputError

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
    """Refuse to write SSN-shaped text (a bug upstream, never user-facing data)."""
    if _SSN_DASHED.search(text) or _SSN_SPACED.search(text):
        raise ValueError(f"refusing to write an SSN-shaped value into {where}")


class MaskingFilter(logging.Filter):
    """A logging filter that masks SSN-shaped text in every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = mask_text(msg)
        if masked != msg:
            record.msg, record.args = masked, ()
        return True
