"""The creditor's portfolio (FORMATS.md section 1) and what a compliant trace owes each account.

The portfolio holds the debtor as of the creditor's snapshot: that day's address, phone
and email, and a ``last_activity`` after it.  Status, flags and debt origin decide which
accounts a gate must refuse for a contact-seeking, FCRA-based purpose (``collect-debt``);
deaths and bankruptcies that the public records show but the creditor did not flag are
``scrub`` accounts: a trace must withhold their contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from . import habits as h
from .neighbourhood import DebtorCast
from .people import Place
from .rates import WorldRates
from .sources import snapshot_contacts

__all__ = ["Account", "PORTFOLIO_COLUMNS", "make_account", "REFUSING_FLAGS", "PURPOSE"]

PORTFOLIO_COLUMNS = (
    "account_id", "first_name", "last_name", "middle_name", "suffix", "dob", "ssn",
    "street", "unit", "city", "state", "zip", "phone", "email", "employer", "balance",
    "status", "flags", "assigned_to", "debt_origin", "last_activity",
)
#: The purpose the truth's refusals assume (config/purposes.toml: FCRA-based, contact-seeking).
PURPOSE = "collect-debt"
#: Flags that refuse a collect-debt lookup (config/policy.toml: deny, deny_contact_seeking,
#: deny_unless_purpose); military and litigious only restrict or route to a supervisor.
REFUSING_FLAGS = ("bankruptcy", "deceased", "cease_communication", "attorney_represented",
                  "disputed")
_RANDOM_FLAGS = ("cease_communication", "attorney_represented", "disputed", "military",
                 "litigious")
COLLECTORS = tuple(f"c{n:02d}" for n in range(1, 13))


@dataclass
class Account:
    account_id: str
    dc: DebtorCast
    row: dict
    status: str
    flags: list[str]
    origin: str
    refuse_reasons: list[str] = field(default_factory=list)
    scrub: str | None = None
    place: Place | None = None          # the contacts the portfolio holds
    phone: str | None = None
    email: str | None = None

    @property
    def must_refuse(self) -> bool:
        return bool(self.refuse_reasons)


def make_account(account_id: str, dc: DebtorCast, rng: Random, r: WorldRates, as_of: int,
                 recorded_events: set[tuple[str, str]]) -> Account:
    """``recorded_events``: (pid, event) pairs some public extract shows."""
    rr = rng.random
    d = dc.debtor
    place, phone, email = snapshot_contacts(dc)

    x = rr()
    status = ("closed" if x < r.status_closed else
              "paid" if x < r.status_closed + r.status_paid else
              "recalled" if x < r.status_closed + r.status_paid + r.status_recalled else "open")
    x = rr()
    origin = "involuntary" if x < r.involuntary else \
        "unknown" if x < r.involuntary + r.unknown_origin else "consumer_credit"
    events = {kind for kind, _ in d.events}
    flags = []
    if "bankruptcy" in events and rr() < r.bankruptcy_flagged:
        flags.append("bankruptcy")
    if "deceased" in events and rr() < r.deceased_flagged:
        flags.append("deceased")
    for flag in _RANDOM_FLAGS:
        if rr() < getattr(r, flag) and flag not in flags:
            flags.append(flag)

    reasons = [] if status == "open" else [f"status_{status}"]
    reasons += [f for f in flags if f in REFUSING_FLAGS]
    if origin == "involuntary":
        reasons.append("involuntary_debt_fcra")
    scrub = None
    for kind in ("deceased", "bankruptcy"):
        if kind in events and kind not in flags and (d.pid, kind) in recorded_events:
            scrub = kind
            break

    first, mid, last = d.first, d.middle, d.last
    if first in h.NICKNAMES and rr() < 0.03:
        first = h.NICKNAMES[first][0]
    if rr() < r.typo * 0.3:
        last = h.typo(last, rng)
    x = rr()
    mid = mid if x < 0.5 else mid[:1] if x < 0.8 else ""
    street, unit, _ = h.street_parts(place, rng, long_forms=0.2, inline_unit=0.1,
                                     typo_rate=r.typo * 0.3, case="title")
    zip_, _ = h.zip_text(place, rng, plus4=0.05, typo_rate=0)
    dob = h.dob_text(d, rng, "mdy", missing=0.08, year_only=0, transposed=0)
    row = {
        "account_id": account_id, "first_name": first.title(), "last_name": last.title(),
        "middle_name": mid.title(), "suffix": d.suffix if rr() < 0.85 else "",
        "dob": dob, "ssn": d.ssn if rr() < 0.65 else "",
        "street": street, "unit": unit, "city": place.city.title(), "state": place.state,
        "zip": zip_,
        "phone": h.phone_text(phone.value, rng, (0, 2, 4, 5)) if phone and rr() < 0.95 else "",
        "email": email if email and rr() < 0.9 else "",
        "employer": d.employer if rr() < 0.5 else "",
        "balance": f"{min(rng.lognormvariate(7.2, 1.0), 60000.0) + 50:.2f}",
        "status": status, "flags": ";".join(flags),
        "assigned_to": "" if rr() < 0.25 else COLLECTORS[int(rr() * len(COLLECTORS))],
        "debt_origin": origin,
        "last_activity": h.fmt_date(dc.snapshot + 14 + int(rr() * (as_of - dc.snapshot - 28)),
                                    "mdy"),
    }
    phone_held = phone.value if row["phone"] else None
    return Account(account_id, dc, row, status, flags, origin, sorted(reasons), scrub,
                   place, phone_held, row["email"] or None)
