"""Building lives: address, phone and email histories, households that share them.

A :class:`Cast` owns every person of a world and the allocators; its builders take the
change days (moves, new numbers, new mailboxes) as plain lists, so that a caller can
impose the phenomena it needs (the debtor moved after the snapshot) on top of the
background rates.
"""

from __future__ import annotations

from random import Random

from .people import CITIES, YEAR, Books, Person, Place, Span, first_name, poisson_dates, surname
from .rates import WorldRates

__all__ = ["Cast"]

_STATE_ROWS: dict[str, list[int]] = {}
for _i, _row in enumerate(CITIES):
    _STATE_ROWS.setdefault(_row[1], []).append(_i)


class Cast:
    def __init__(self, rng: Random, rates: WorldRates, as_of: int):
        self.rng = rng
        self.r = rates
        self.T = as_of
        self.books = Books(rng)
        self.persons: list[Person] = []

    # -- identity -----------------------------------------------------------------------

    def person(self, kind: str, *, sex: str | None = None, first: str | None = None,
               middle: str | None = None, last: str | None = None, suffix: str = "",
               dob: int | None = None, min_age: int = 21, max_age: int = 82) -> Person:
        rr = self.rng.random
        sex = sex or ("M" if rr() < 0.5 else "F")
        first = first or first_name(self.rng, sex)
        if middle is None:
            middle = first_name(self.rng, sex, avoid=first) if rr() < 0.8 else ""
        if dob is None:
            dob = self.T - int((min_age + rr() * (max_age - min_age)) * YEAR)
        p = Person(self.books.pid(), kind, sex, first, middle, last or surname(self.rng),
                   suffix, dob, self.books.ssn(), self.books.employer())
        self.persons.append(p)
        return p

    def history_start(self, p: Person) -> int:
        return max(p.adult_from(), self.T - 15 * YEAR)

    # -- histories ----------------------------------------------------------------------

    def next_city(self, row: int) -> int:
        x = self.rng.random()
        if x < 0.65:
            return row
        same_state = _STATE_ROWS[CITIES[row][1]]
        if x < 0.75 and len(same_state) > 1:
            return same_state[int(self.rng.random() * len(same_state))]
        return int(self.rng.random() * len(CITIES))

    def live(self, p: Person, start: int, city_row: int, moves: list[int],
             first_place: Place | None = None, end: int | None = None) -> None:
        """Addresses from ``start``, a new one on each day of ``moves``."""
        bounds = [start] + [m for m in moves if start + 60 < m < (end or self.T)]
        row, place = city_row, first_place
        for i, s in enumerate(bounds):
            if place is None:
                row = self.next_city(row) if i else row
                place = self.books.place(row)
            e = bounds[i + 1] if i + 1 < len(bounds) else end
            p.addresses.append(Span(place, s, e))
            row, place = place.city_row, None

    def mobiles(self, p: Person, start: int, changes: list[int]) -> None:
        """One mobile from ``start``, a new number on each day of ``changes``."""
        bounds = [start] + [c for c in changes if c > start + 30]
        for i, s in enumerate(bounds):
            row = (p.place_at(s) or p.addresses[0].value).city_row
            e = bounds[i + 1] if i + 1 < len(bounds) else None
            p.phones.append(Span(self.books.number(row, s), s, e, "mobile"))

    def mailboxes(self, p: Person, start: int, changes: list[int]) -> None:
        bounds = [start] + [c for c in changes if c > start + 30]
        for i, s in enumerate(bounds):
            e = bounds[i + 1] if i + 1 < len(bounds) else None
            p.emails.append(Span(self.books.mailbox(p.first, p.last, p.dob), s, e))

    def landlines(self, household: list[Person]) -> None:
        """A landline at some addresses, held by everyone who lives there then."""
        head = household[0]
        for span in head.addresses:
            if self.rng.random() >= self.r.landline:
                continue
            start = span.start + int(self.rng.random() * 20)
            if span.end is not None and start >= span.end - 10:
                continue
            number = self.books.number(span.value.city_row, start, local=0.95)
            for member in household:
                for own in member.addresses:
                    if own.value is span.value and own.overlaps(start, span.end or self.T + 1):
                        lo = max(start, own.start)
                        member.phones.append(Span(number, lo, own.end, "landline"))

    def ordinary(self, p: Person, city_row: int, *, start: int | None = None,
                 first_place: Place | None = None, stay: bool = False,
                 with_mobile: bool | None = None) -> Person:
        """A background life: Poisson moves and changes, some email, maybe a landline."""
        r, rr = self.r, self.rng.random
        start = self.history_start(p) if start is None else start
        moves = [] if stay else poisson_dates(self.rng, r.move_per_year, start + 90, self.T - 30)
        self.live(p, start, city_row, moves, first_place)
        if with_mobile if with_mobile is not None else rr() < r.mobile:
            self.mobiles(p, start, poisson_dates(self.rng, r.number_change_per_year,
                                                 start + 90, self.T - 30))
        if rr() < r.email:
            s = start + int(rr() * 3 * YEAR)
            if s < self.T - 60:
                self.mailboxes(p, s, poisson_dates(self.rng, r.email_change_per_year,
                                                   s + 90, self.T - 30))
        self.landlines([p])
        return p

    def own_homes(self, p: Person) -> None:
        """Property held while living there (sold on moving out)."""
        for span in p.addresses:
            length = (span.end or self.T) - span.start
            if not span.value.unit and length >= 2 * YEAR and self.rng.random() < self.r.owner:
                p.owns.append(Span(span.value, span.start, span.end))

    def share(self, member: Person, head: Person, from_day: int) -> None:
        """``member`` lives at each of ``head``'s addresses from ``from_day`` on."""
        for span in head.addresses:
            if span.end is not None and span.end <= from_day + 30:
                continue
            member.addresses.append(Span(span.value, max(span.start, from_day), span.end))

    def stay_behind(self, member: Person, leave_day: int) -> None:
        """``member`` stays where he lived on ``leave_day - 1`` (keeping its landline)."""
        kept = [s for s in member.addresses if s.start < leave_day]
        if not kept:
            return
        kept[-1].end = None
        member.addresses = kept
        phones = []
        for ph in member.phones:
            if ph.kind == "landline":
                if ph.start >= leave_day:
                    continue              # a line at a home he never moved to
                if ph.end == leave_day:
                    ph.end = None
            phones.append(ph)
        member.phones = phones

    def die(self, p: Person, day: int) -> None:
        p.died = day
        for spans in (p.addresses, p.phones, p.emails):
            kept = [s for s in spans if s.start < day]
            for s in kept:
                if s.end is None or s.end > day:
                    s.end = day
            spans[:] = kept
        p.events.append(("deceased", day))

    def judgments(self, p: Person, rate: float) -> None:
        if self.rng.random() < rate and p.addresses:
            lo = p.addresses[0].start + 60
            hi = min(p.died or self.T, self.T) - 30
            if hi > lo:
                kind = "judgment" if self.rng.random() < 0.7 else "lien"
                p.events.append((kind, lo + int(self.rng.random() * (hi - lo))))
