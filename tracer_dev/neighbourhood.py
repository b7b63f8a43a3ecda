"""The people around one debtor, built for the ways skip tracing goes wrong.

A debtor's life is drawn against the creditor's snapshot (he moved after it, changed his
mobile, abandoned his mailbox, or went dark and did all three); then come the people
whose records look like his: a spouse at his address and on his landline (who may have
stayed behind), a Jr or Sr of his name under his roof, parents he lived with, people of
his first and last name in town, new occupants of the homes he left, a tenant in the
house he still owns, and whoever was given his old numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from .lives import Cast
from .people import CITIES, YEAR, Person, Span, poisson_dates, surname

__all__ = ["DebtorCast", "build_debtor"]


@dataclass
class DebtorCast:
    debtor: Person
    snapshot: int        # the day the creditor's data describes
    opened: int          # the account was opened
    dark: bool
    household: list[Person]
    others: list[Person] = field(default_factory=list)
    old_house: Span | None = None

    @property
    def people(self) -> list[Person]:
        return self.household + self.others


def _count(cast: Cast, mean: float) -> int:
    """Poisson-distributed count (Knuth)."""
    limit, k, prod = math.exp(-mean), 0, cast.rng.random()
    while prod > limit:
        k += 1
        prod *= cast.rng.random()
    return k


def _day(cast: Cast, lo: int, hi: int) -> int:
    return lo + int(cast.rng.random() * max(1, hi - lo))


def _changes(cast: Cast, per_year: float, lo: int, snapshot: int, changed: bool) -> list[int]:
    """Change days with a change after the snapshot iff ``changed``."""
    T = cast.T
    days = poisson_dates(cast.rng, per_year, lo, T - 30)
    if not changed:
        return [d for d in days if d <= snapshot - 30]
    if not any(snapshot + 30 < d < T - 30 for d in days):
        days = sorted(days + [_day(cast, snapshot + 30, T - 30)])
    return days


def build_debtor(cast: Cast) -> DebtorCast:
    r, T = cast.r, cast.T
    rr = cast.rng.random
    city = int(rr() * len(CITIES))
    jr_sr = rr() < r.jr_sr
    if jr_sr:
        is_jr = rr() < 0.5
        debtor = cast.person("debtor", sex="M", suffix="JR" if is_jr else "SR",
                             min_age=22 if is_jr else 48, max_age=42 if is_jr else 80)
        debtor.middle = debtor.middle or "JAMES"
    else:
        debtor = cast.person("debtor", min_age=22, max_age=80)
    start = cast.history_start(debtor)
    snapshot = _day(cast, max(start + 120, T - 7 * YEAR), T - 180)
    opened = max(start, snapshot - int((0.5 + 5.5 * rr()) * YEAR))
    dark = rr() < r.dark
    others: list[Person] = []

    moves = poisson_dates(cast.rng, r.move_per_year, start + 180, T - 60)
    if dark or rr() < r.moved:
        if not any(snapshot + 30 < m < T - 45 for m in moves):
            moves = sorted(moves + [_day(cast, snapshot + 30, T - 45)])
    else:
        moves = [m for m in moves if m <= snapshot - 30]

    first_place = None
    for k in range(_count(cast, r.relatives_mean)):
        if k == 0 and rr() < r.lived_with_relative:
            parent = cast.person("relative", last=debtor.last,
                                 dob=debtor.dob - int((20 + 15 * rr()) * YEAR))
            cast.ordinary(parent, city, stay=True)
            first_place = parent.addresses[0].value
            others.append(parent)
        else:
            sib = cast.person("relative", last=debtor.last,
                              dob=min(debtor.dob + int((rr() - 0.5) * 16 * YEAR), T - 20 * YEAR))
            others.append(cast.ordinary(sib, city))
    cast.live(debtor, start, city, moves, first_place)

    if rr() < r.mobile:
        cast.mobiles(debtor, start, _changes(cast, r.number_change_per_year, start + 90,
                                             snapshot, dark or rr() < r.mobile_changed))
    if rr() < r.email:
        s = start + int(rr() * 3 * YEAR)
        if s < T - 60:
            cast.mailboxes(debtor, s, _changes(cast, r.email_change_per_year, s + 90,
                                               snapshot, dark or rr() < r.email_changed))

    household = [debtor]
    partner = _partner(cast, debtor, start) if jr_sr else None
    if partner:
        household.append(partner)
    spouse = None
    if rr() < r.spouse:
        spouse = _spouse(cast, debtor, 1 if first_place is not None else 0)
        if spouse:
            household.append(spouse)
    cast.landlines(household)
    move_days = [s.start for s in debtor.addresses[1:]]
    together = [d for d in move_days
                if spouse and spouse.place_at(d - 1) is not None
                and spouse.place_at(d - 1) is debtor.place_at(d - 1)]
    if together and rr() < r.separated:
        cast.stay_behind(spouse, together[-1])
    if partner and move_days and (dark or rr() < r.jr_sr_split):
        cast.stay_behind(partner, move_days[-1])

    if rr() < r.deceased:
        cast.die(debtor, _day(cast, snapshot + 30, T - 30))
    if rr() < r.bankruptcy:
        lo = max(start + YEAR, opened + 30, snapshot - 3 * YEAR)    # after this debt
        debtor.events.append(("bankruptcy", _day(cast, lo, (debtor.died or T) - 30)))
    cast.judgments(debtor, r.judgment)
    for member in household:
        cast.own_homes(member)

    dc = DebtorCast(debtor, snapshot, opened, dark, household, others)
    _old_house(cast, dc, first_place)
    _occupants(cast, dc, first_place)
    _reassign(cast, dc)
    _alikes(cast, dc)
    for _ in range(_count(cast, r.bystanders_mean)):
        row = debtor.addresses[-1].value.city_row
        dc.others.append(_background(cast, cast.person("bystander"), row))
    return dc


def _partner(cast: Cast, debtor: Person, start: int) -> Person:
    rr, T = cast.rng.random, cast.T
    gap = int((21 + 11 * rr()) * YEAR)
    if debtor.suffix == "JR":
        kind, suffix, dob = "sr", "SR", debtor.dob - gap
    else:
        kind, suffix, dob = "jr", "JR", min(debtor.dob + gap, T - 19 * YEAR)
    p = cast.person(kind, sex="M", first=debtor.first, middle=debtor.middle,
                    last=debtor.last, suffix=suffix, dob=dob)
    cast.share(p, debtor, max(start, p.adult_from()))
    if kind == "sr":                       # the family home was his before the son's
        p.addresses[0].start = cast.history_start(p)
    own_start = p.addresses[0].start
    if rr() < cast.r.mobile:
        cast.mobiles(p, own_start, poisson_dates(cast.rng, cast.r.number_change_per_year,
                                                 own_start + 90, T - 30))
    if rr() < cast.r.email:
        cast.mailboxes(p, own_start + int(rr() * YEAR), [])
    return p


def _spouse(cast: Cast, debtor: Person, min_index: int) -> Person | None:
    rr, T = cast.rng.random, cast.T
    if len(debtor.addresses) <= min_index:
        return None
    m = min_index + int(rr() * (len(debtor.addresses) - min_index))
    married = debtor.addresses[m].start
    sex = "F" if debtor.sex == "M" else "M"
    dob = min(debtor.dob + int((rr() - 0.5) * 12 * YEAR), T - 21 * YEAR)
    p = cast.person("spouse", sex=sex, last=debtor.last if rr() < 0.8 else surname(cast.rng),
                    dob=dob)
    own = cast.history_start(p)
    if married > own + 90:
        cast.live(p, own, debtor.addresses[m].value.city_row, [], end=married)
    cast.share(p, debtor, max(married, own))
    if not p.addresses:
        return None
    first = p.addresses[0].start
    if rr() < cast.r.mobile:
        cast.mobiles(p, first, poisson_dates(cast.rng, cast.r.number_change_per_year,
                                             first + 90, T - 30))
    if rr() < cast.r.email:
        cast.mailboxes(p, first + int(rr() * YEAR), [])
    return p


def _background(cast: Cast, p: Person, row: int, **kw) -> Person:
    cast.ordinary(p, row, **kw)
    cast.own_homes(p)
    cast.judgments(p, cast.r.judgment / 3)
    return p


def _old_house(cast: Cast, dc: DebtorCast, first_place) -> None:
    """The debtor still owns a home he left: fresh property records, somebody else's door."""
    if cast.rng.random() >= cast.r.old_house:
        return
    d = dc.debtor
    left = [s for s in d.addresses[:-1] if not s.value.unit and s.value is not first_place
            and not _still_lived_in(dc, s.value)]
    if not left:
        return
    span = left[-1]
    d.owns = [o for o in d.owns if o.value is not span.value]
    dc.old_house = Span(span.value, span.start, None)
    d.owns.append(dc.old_house)


def _still_lived_in(dc: DebtorCast, place) -> bool:
    return any(s.value is place and s.end is None for p in dc.people for s in p.addresses)


def _occupants(cast: Cast, dc: DebtorCast, first_place) -> None:
    r, T = cast.r, cast.T
    for span in dc.debtor.addresses:
        place = span.value
        if span.end is None or place is first_place or _still_lived_in(dc, place):
            continue
        left = max(s.end for p in dc.household for s in p.addresses if s.value is place)
        owned = dc.old_house is not None and dc.old_house.value is place
        if cast.rng.random() >= (r.old_house_tenant if owned else r.new_occupant):
            continue
        day = left + 10 + int(cast.rng.random() * 140)
        if day < T - 5:
            occ = cast.person("occupant")
            dc.others.append(_background(cast, occ, place.city_row, start=day,
                                         first_place=place, stay=owned))


def _reassign(cast: Cast, dc: DebtorCast) -> None:
    """Numbers the household dropped go to strangers, or stay dead."""
    r, T, rr = cast.r, cast.T, cast.rng.random
    ends: dict[str, tuple[int | None, str]] = {}
    for p in dc.household:
        for ph in p.phones:
            prev = ends.get(ph.value)
            if prev is None or prev[0] is not None and (ph.end is None or ph.end > prev[0]):
                ends[ph.value] = (ph.end, ph.kind)
    for number, (end, kind) in ends.items():
        if end is None:
            continue
        day = end + 30 + int(rr() * 210)
        rate = r.reassign_mobile if kind == "mobile" else r.reassign_landline
        if rr() < rate and day < T - 7:
            rows = [i for i, c in enumerate(CITIES) if number[2:5] in c[3]]
            row = rows[0] if rows else int(rr() * len(CITIES))
            holder = _background(cast, cast.person("reassignee"), row, with_mobile=False)
            holder.phones.append(Span(number, day, None, kind))
            holder.phones.sort(key=lambda s: s.start)
            dc.others.append(holder)
        else:
            cast.books.release(number, end)


def _alikes(cast: Cast, dc: DebtorCast) -> None:
    """People of the debtor's first and last name nearby, some born the same year or day."""
    r, T, rr = cast.r, cast.T, cast.rng.random
    d = dc.debtor
    for _ in range(_count(cast, r.alikes_mean)):
        x = rr()
        if x < r.alike_same_dob:
            dob = d.dob
        elif x < r.alike_same_dob + r.alike_same_year:
            jan1 = date(date.fromordinal(d.dob).year, 1, 1).toordinal()
            dob = jan1 + int(rr() * 365)
            dob = dob + 1 if dob == d.dob else dob
        else:
            dob = d.dob + int((1 + 19 * rr()) * YEAR) * (1 if rr() < 0.5 else -1)
        dob = max(min(dob, T - 19 * YEAR), T - 90 * YEAR)
        middle = d.middle if rr() < 0.1 else None
        a = cast.person("alike", sex=d.sex, first=d.first, last=d.last, middle=middle, dob=dob)
        if rr() < r.alike_same_city:
            rows = [s.value.city_row for s in d.addresses]
            row = rows[-1] if rr() < 0.6 else rows[int(rr() * len(rows))]
        else:
            row = cast.next_city(d.addresses[-1].value.city_row)
        _background(cast, a, row)
        if rr() < r.alike_deceased:
            lo = max(a.addresses[0].start + YEAR, T - 8 * YEAR)
            if lo < T - 30:
                cast.die(a, _day(cast, lo, T - 30))
        if rr() < r.alike_bankruptcy and a.addresses:
            a.events.append(("bankruptcy", _day(cast, a.addresses[0].start + 60, (a.died or T) - 30)))
        dc.others.append(a)
