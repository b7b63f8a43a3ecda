"""Email addresses: trimmed, lower-cased, and refused when they could not be delivered to.

We check plausibility, not deliverability: one ``@``, a dotted domain, no spaces.
Placeholders that data-entry staff type to get past a required field
(``noemail@none.com``) are refused too, since matching two debtors on them would join
strangers.  Lower-casing the local part is technically lossy but no mainstream mailbox
provider distinguishes case, and sources disagree on it constantly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .dates import as_text, redact

__all__ = ["EmailResult", "normalize_email"]


@dataclass(frozen=True)
class EmailResult:
    email: str | None
    problems: tuple[str, ...] = ()


_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_SEPARATORS = re.compile(r"[\s,;]")

_PLACEHOLDER_LOCALS = frozenset({
    "noemail", "no-email", "no_email", "none", "nomail", "na", "n/a", "null", "unknown",
    "noreply", "no-reply", "donotreply", "nobody", "declined", "refused", "test",
})
_PLACEHOLDER_DOMAINS = frozenset({
    "none.com", "noemail.com", "nomail.com", "no.com", "na.com", "null.com",
    "unknown.com", "email.none", "none.none", "declined.com",
})


def normalize_email(text: object) -> EmailResult:
    """Lower-case and trim an address; None plus a problem when it is not plausible."""
    return _normalize(as_text(text))


@lru_cache(maxsize=65536)
def _normalize(raw: str) -> EmailResult:
    if not raw:
        return EmailResult(None)
    text = raw.strip().strip("<>\"'").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:].strip()
    email = text.lower().rstrip(".")
    shown = redact(raw)

    if _SEPARATORS.search(email):
        problem = "several emails" if email.count("@") > 1 else "spaces in email"
        return EmailResult(None, (f"{problem} '{shown}'",))
    if email.count("@") != 1:
        return EmailResult(None, (f"email needs exactly one @ '{shown}'",))
    local, domain = email.split("@")
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        return EmailResult(None, (f"implausible email user part '{shown}'",))
    labels = domain.split(".")
    if (len(labels) < 2 or len(domain) > 253
            or not all(_LABEL.fullmatch(label) for label in labels)
            or not _TLD.fullmatch(labels[-1])):
        return EmailResult(None, (f"implausible email domain '{shown}'",))
    if domain in _PLACEHOLDER_DOMAINS or (local in _PLACEHOLDER_LOCALS and len(labels) == 2
                                           and labels[0] in ("none", "noemail", "na", "email", "mail", "no")):
        return EmailResult(None, (f"placeholder email '{shown}'",))
    return EmailResult(email)
