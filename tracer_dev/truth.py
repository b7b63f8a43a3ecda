"""truth.json in world-dev's schema: who is who, who held what when, what each account needs.

Only the keys ``score.py`` reads, plus ``meta`` about the generator.  Findability is
decided from what the extracts actually carry: an account is ``locatable`` when some
record *of the debtor* prints his current address legibly (street and ZIP unharmed),
``phone_findable`` / ``email_findable`` when some record of his carries a phone or the
email he holds on the as-of day; ``dark`` accounts have nothing current in any record.
"""

from __future__ import annotations

from datetime import date

from .people import Person, Span
from .portfolio import Account
from .sources import Obs, current_values

__all__ = ["account_truth", "person_truth", "findable"]


def _iso(day: int | None) -> str | None:
    return None if day is None else date.fromordinal(day).isoformat()


def findable(debtor: Person, printed: list[tuple[Obs, bool]], as_of: int) -> tuple[bool, bool, bool]:
    """(locatable, phone_findable, email_findable) from the debtor's printed records."""
    place, phones, email = current_values(debtor, as_of)
    loc = ph = em = False
    for o, legible in printed:
        loc = loc or (place is not None and o.place is place and legible)
        ph = ph or (o.phone is not None and o.phone.value in phones)
        em = em or (email is not None and o.email == email)
    return loc, ph, em


def account_truth(acct: Account, printed: list[tuple[Obs, bool]], as_of: int) -> dict:
    dc = acct.dc
    d = dc.debtor
    place, phones, email = current_values(d, as_of)
    loc, ph, em = findable(d, printed, as_of)
    last_day = min(as_of, d.died or as_of) - 1
    return {
        "person_id": d.pid,
        "must_refuse": acct.must_refuse,
        "refuse_reasons": acct.refuse_reasons,
        "scrub": acct.scrub,
        "snapshot_date": _iso(dc.snapshot),
        "moved_since_snapshot": d.place_at(dc.snapshot) is not d.place_at(last_day),
        "current_address": place.one_line() if place else None,
        "current_phones": sorted(phones),
        "current_email": email,
        "locatable": loc,
        "phone_findable": ph,
        "email_findable": em,
        "dark": dc.dark and d.died is None,
        "flags": acct.flags,
        "status": acct.status,
        "debt_origin": acct.origin,
    }


def _spans(spans: list[Span], value) -> list[list]:
    return [[value(s), _iso(s.start), _iso(s.end)] for s in sorted(spans, key=lambda s: s.start)]


def person_truth(p: Person) -> dict:
    return {
        "kind": p.kind,
        "name": p.name,
        "dob": _iso(p.dob),
        "died": _iso(p.died),
        "addresses": _spans(p.addresses, lambda s: s.value.one_line()),
        "phones": [[s.value, s.kind, _iso(s.start), _iso(s.end)]
                   for s in sorted(p.phones, key=lambda s: (s.start, s.value))],
        "emails": _spans(p.emails, lambda s: s.value),
    }
