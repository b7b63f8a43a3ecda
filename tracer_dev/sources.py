"""What each source saw, and when it says it saw it.

Six sources of different kinds and reliability, each with its own dating habits:

* ``creditor_history``: the creditor's own account history, exact but frozen at the
  snapshot (and a few other customers of the same creditor);
* ``phone_append``: a vendor's phone/email append; first_seen lags reality, last_seen
  lags or, for numbers the person dropped, runs on with fresh-looking dates;
* ``utility_hookups``: service connects at move-in, last bill near move-out;
* ``assessor_rolls``: property owners, whose last tax roll is recent whether or not
  they live there;
* ``court_filings``: judgments, liens, bankruptcies at the address of the filing;
* ``death_index``: deaths with the last residence's city and ZIP.

An :class:`Obs` holds the true values observed; :mod:`tracer_dev.extracts` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .lives import Cast
from .neighbourhood import DebtorCast
from .people import YEAR, Person, Place, Span

__all__ = ["Obs", "SOURCES", "observe_world", "snapshot_contacts"]

SOURCES = ("creditor_history", "phone_append", "utility_hookups", "assessor_rolls",
           "court_filings", "death_index")
HOUSEHOLD = {"debtor", "spouse", "jr", "sr"}


@dataclass
class Obs:
    source: str
    person: Person
    place: Place | None
    phone: Span | None
    email: str | None
    first_seen: int | None
    last_seen: int | None
    event: str = ""
    event_date: int | None = None
    extra: dict = field(default_factory=dict)
    clean: bool = False          # print without typos (a planted, must-be-legible record)


def _pick_phone(p: Person, day: int, prefer: str = "mobile") -> Span | None:
    held = p.at(p.phones, day)
    held.sort(key=lambda s: (s.kind != prefer, -s.start))
    return held[0] if held else None


def _email_at(p: Person, day: int) -> str | None:
    held = p.at(p.emails, day)
    return held[-1].value if held else None


def snapshot_contacts(dc: DebtorCast) -> tuple[Place, Span | None, str | None]:
    """The address, phone and email the creditor holds: the debtor's on the snapshot day."""
    d, day = dc.debtor, dc.snapshot
    return d.place_at(day), _pick_phone(d, day), _email_at(d, day)


def _creditor(cast: Cast, dc: DebtorCast) -> list[Obs]:
    """One record per state of the account between opening and snapshot (latest four)."""
    d = dc.debtor
    lo, hi = dc.opened, dc.snapshot
    cuts = {lo}
    for spans in (d.addresses, d.phones, d.emails):
        cuts.update(s.start for s in spans if lo < s.start < hi)
    days = sorted(cuts)[-4:]
    out = []
    for i, s in enumerate(days):
        e = days[i + 1] if i + 1 < len(days) else hi
        place = d.place_at(e - 1)
        if place is None:
            continue
        out.append(Obs("creditor_history", d, place, _pick_phone(d, e - 1), _email_at(d, e - 1),
                       s, e, extra={"employer": d.employer}))
    rr = cast.rng.random
    for p in dc.people:
        if (p.kind == "spouse" and rr() < 0.25) or (p.kind == "alike" and rr() < 0.10):
            span = p.addresses[int(rr() * len(p.addresses))]
            e = min(span.end or cast.T, cast.T) - 1
            out.append(Obs("creditor_history", p, span.value, _pick_phone(p, e), _email_at(p, e),
                           span.start, e, extra={"employer": p.employer}))
    return out


def _vendor(cast: Cast, p: Person) -> list[Obs]:
    r, T, rr = cast.r, cast.T, cast.rng.random
    home = p.kind in HOUSEHOLD
    coverage = r.reassignee_seen if p.kind == "reassignee" else \
        r.vendor_coverage * (1.0 if home else 0.6)
    if rr() >= coverage:
        return []
    out = []
    for ph in p.phones:
        if p.kind != "reassignee" and rr() >= r.vendor_phone:
            continue
        end = ph.end or T
        fs = ph.start + int(rr() * 200)
        ls = end - int(rr() * 150)
        stale = ph.end is not None and home and rr() < r.vendor_stale
        if stale:
            ls = T - 5 - int(rr() * 115) if rr() < r.vendor_fresh_dates \
                else ph.end + int(rr() * max(1, T - 120 - ph.end))
        if ls <= fs:
            continue                      # the vendor never caught this number
        seen_at = min(ls, end) - 1
        place = p.place_at(seen_at) if rr() < 0.85 else None
        if stale and rr() < r.vendor_stale_current_address:
            place = p.place_at(min(T, p.died or T) - 1) or place
        email = _email_at(p, seen_at) if rr() < 0.4 else None
        out.append(Obs("phone_append", p, place, ph, email, fs, min(ls, T)))
    for em in p.emails:
        if rr() < 0.45:
            end = em.end or T
            fs = em.start + int(rr() * 120)
            ls = end - int(rr() * 120)
            if ls > fs:
                out.append(Obs("phone_append", p, p.place_at(ls - 1), None, em.value, fs, ls))
    return out


def _utility(cast: Cast, p: Person, connected: set) -> list[Obs]:
    r, T, rr = cast.r, cast.T, cast.rng.random
    out = []
    for span in p.addresses:
        if span.start < p.adult_from():
            continue
        key = (span.value.street, span.value.unit, span.value.zip, span.start // 30)
        rate = r.utility_coverage * (0.3 if key in connected else 1.0)
        if rr() >= rate:
            continue
        connected.add(key)
        fs = span.start + int(rr() * 20)
        ls = (span.end - int(rr() * 30)) if span.end else T - int(rr() * 60)
        ls = max(ls, fs)
        phone = _pick_phone(p, fs, "landline" if rr() < 0.5 else "mobile") if rr() < 0.6 else None
        out.append(Obs("utility_hookups", p, span.value, phone, None, fs, ls,
                       "utility_connect", fs))
    return out


def _assessor(cast: Cast, p: Person) -> list[Obs]:
    T, rr = cast.T, cast.rng.random
    out = []
    for own in p.owns:
        ls = own.end if own.end else T - 10 - int(rr() * 320)
        out.append(Obs("assessor_rolls", p, own.value, None, None, own.start, ls,
                       "property_owner", own.start))
    return out


def _court(cast: Cast, p: Person) -> list[Obs]:
    r, T, rr = cast.r, cast.T, cast.rng.random
    out = []
    for kind, day in p.events:
        if kind == "deceased":
            continue
        place = p.place_at(day) if rr() < r.court_address else None
        ls = min(day + int(rr() * 700), T - 1)
        out.append(Obs("court_filings", p, place, None, None, day, ls, kind, day))
    return out


def _death(cast: Cast, p: Person) -> list[Obs]:
    if p.died is None or cast.rng.random() >= cast.r.death_index_coverage:
        return []
    return [Obs("death_index", p, p.place_at(p.died - 1), None, None, None, None,
                "deceased", p.died)]


def observe_world(cast: Cast, debtors: list[DebtorCast]) -> list[Obs]:
    """Every observation of every person, in a fixed order."""
    out: list[Obs] = []
    connected: set = set()
    seen: set[str] = set()
    for dc in debtors:
        out.extend(_creditor(cast, dc))
        for p in dc.people:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            for make in (_vendor, _assessor, _court, _death):
                out.extend(make(cast, p))
            out.extend(_utility(cast, p, connected))
    return out


def current_values(p: Person, as_of: int) -> tuple[Place | None, set[str], str | None]:
    """The person's address, phones and email on the as-of day (nothing once dead)."""
    if p.died is not None:
        return None, set(), None
    day = as_of - 1
    place = p.place_at(day)
    phones = {s.value for s in p.phones if s.end is None}
    emails = [s.value for s in p.emails if s.end is None]
    return place, phones, (emails[-1] if emails else None)


def plant_current(cast: Cast, dc: DebtorCast) -> Obs:
    """A clean utility record at the debtor's current home (a non-dark debtor must have
    something current somewhere)."""
    d = dc.debtor
    span = d.addresses[-1]
    fs = max(span.start, cast.T - 2 * YEAR) + int(cast.rng.random() * 20)
    ls = max(fs, cast.T - 1 - int(cast.rng.random() * 45))
    return Obs("utility_hookups", d, span.value, None, None, fs, ls, "utility_connect", fs,
               clean=True)
