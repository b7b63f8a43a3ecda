"""SSN last-4: four digits, whatever the source wrapped them in.

``1234``, ``XXX-XX-1234`` and ``***-**-1234`` are the same last four.  A full SSN typed
into the last-4 column keeps only its last four (the rest is never stored or echoed).
Anything else (three digits after a spreadsheet dropped a zero, letters) is refused
rather than guessed: a wrong last-4 is a hard conflict that would split a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .dates import as_text

__all__ = ["Last4Result", "normalize_ssn_last4"]

_MASKED = re.compile(r"[X*#]{3}-?[X*#]{2}-?(\d{4})", re.IGNORECASE)
_FULL = re.compile(r"\d{3}-?\d{2}-?\d{4}")


@dataclass(frozen=True)
class Last4Result:
    last4: str | None
    problems: tuple[str, ...] = ()


def normalize_ssn_last4(text: object) -> Last4Result:
    """The four digits, or None plus a problem that never quotes the value."""
    return _normalize(as_text(text))


@lru_cache(maxsize=16384)
def _normalize(raw: str) -> Last4Result:
    value = raw.strip()
    if not value:
        return Last4Result(None)
    if re.fullmatch(r"\d{4}", value):
        return Last4Result(value)
    masked = _MASKED.fullmatch(value)
    if masked:
        return Last4Result(masked.group(1))
    if _FULL.fullmatch(value):
        return Last4Result(value[-4:], ("a full SSN in ssn_last4: kept its last 4 digits",))
    digits = len(re.sub(r"\D", "", value))
    return Last4Result(None, (f"ssn_last4 is not 4 digits ({digits} digits given)",))
