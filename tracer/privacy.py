"""Keeping full SSNs and full dates of birth out of everything tracer writes.

The guarantee is structural (no code path puts a full SSN or DOB into an audit payload,
a log line, an export or an error message); the helpers here are the second line:
masks for display and a log filter that scrubs SSN-shaped text if one ever slips in.
"""

from __future__ import annotations

import logging
import re

_SSN_DASHED = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_SSN_SPACED = re.compile(r"(?<!\d)\d{3} \d{2} \d{4}(?!\d)")


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
