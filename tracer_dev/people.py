"""People and their lives: who lived where, held which number and mailbox, and when.

Names (by US frequency), cities with their real ZIP areas and area codes, street names,
nicknames and employers come from :mod:`tracer_dev.synthetic`'s reference tables, so both
generators draw the same population.  What is new here is time: every address, phone and
email is a :class:`Span` with a start and an end (None = still held on the as-of day), so
that "who held +12175550134 on 2024-03-03" has one answer.

Everything is fictional by construction: SSNs start with 9, phones are 555-0100..0199
behind real US area codes (359 x 100 numbers, enough for about 3,000 accounts; larger
worlds go on in the rest of the 555 exchange), emails are on example.com/.net/.org,
streets are generic.  Dates are proleptic ordinals (``date.toordinal``) throughout.
"""

from __future__ import annotations

import heapq
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from random import Random

from tracer_dev import synthetic as _syn

__all__ = ["Place", "Span", "Person", "Books", "CITIES", "YEAR", "poisson_dates"]

YEAR = 365
CITIES = _syn._CITIES            # (city, state, a zip, area codes)
_CITY_ZIPS = _syn._CITY_ZIPS
_STREETS = _syn._STREET_BODIES
_EMPLOYERS = _syn._EMPLOYERS
_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")

#: US geographic area codes that phonenumbers accepts with 555-01xx (checked by a test).
AREA_CODES = tuple(int(a) for a in """
201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 220 223 224 225 227 228
229 231 234 235 239 240 248 251 252 253 254 256 260 262 267 269 270 272 274 276 279 281 283
301 302 303 304 305 307 308 309 310 312 313 314 315 316 317 318 319 320 321 323 324 325 326
327 329 330 331 332 334 336 337 339 341 346 347 350 351 352 353 360 361 363 364 369 380 385
386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435
440 442 443 445 447 448 458 463 464 469 470 472 475 478 479 480 484 501 502 503 504 505 507
508 509 510 512 513 515 516 517 518 520 530 531 534 539 540 541 551 557 559 561 562 563 564
567 570 571 572 573 574 575 580 582 585 586 601 602 603 605 606 607 608 609 610 612 614 615
616 617 618 619 620 623 626 628 629 630 631 636 640 641 645 646 650 651 656 657 659 660 661
662 667 669 678 680 681 682 686 689 701 702 703 704 706 707 708 712 713 714 715 716 717 718
719 720 724 725 726 727 728 730 731 732 734 737 738 740 743 747 748 754 757 760 762 763 765
769 770 771 772 773 774 775 779 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815
816 817 818 820 821 826 828 830 831 832 835 838 839 840 843 845 847 848 850 854 856 857 858
859 860 862 863 864 865 870 872 878 901 903 904 906 907 908 909 910 912 913 914 915 916 917
918 919 920 925 928 929 930 931 934 936 937 938 940 941 943 945 947 948 949 951 952 954 956
959 970 971 972 973 975 978 979 980 983 984 985 986 989""".split())


def _cum(pairs):
    names, total, cum = [], 0, []
    for name, weight in pairs:
        total += weight
        names.append(name)
        cum.append(total)
    return tuple(names), tuple(cum)


_SUR = _cum(_syn._SURNAMES)
_MALE = _cum(_syn._MALE_FIRST)
_FEMALE = _cum(_syn._FEMALE_FIRST)


def draw(rng: Random, table) -> str:
    names, cum = table
    return names[bisect(cum, rng.random() * cum[-1])]


def poisson_dates(rng: Random, per_year: float, lo: int, hi: int) -> list[int]:
    """Sorted event days of a Poisson process on [lo, hi)."""
    out, t = [], lo
    if per_year <= 0:
        return out
    while True:
        t += int(rng.expovariate(per_year) * YEAR) + 1
        if t >= hi:
            return out
        out.append(t)


@dataclass(frozen=True, slots=True)
class Place:
    street: str          # "412 N MAPLE AVE"
    unit: str            # "APT 4", "# 4B" or ""
    city: str
    state: str
    zip: str
    zip4: str
    city_row: int        # index into CITIES

    def one_line(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.street}{unit}, {self.city}, {self.state} {self.zip}"


@dataclass(slots=True)
class Span:
    """``value`` held from ``start`` until ``end`` (exclusive; None = still held)."""

    value: object        # Place | e164 str | email str
    start: int
    end: int | None = None
    kind: str = ""       # phones: mobile | landline

    def covers(self, day: int) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, lo: int, hi: int) -> bool:
        return self.start < hi and (self.end is None or self.end > lo)


@dataclass(slots=True)
class Person:
    pid: str
    kind: str            # debtor spouse jr sr relative alike occupant reassignee bystander
    sex: str
    first: str
    middle: str
    last: str
    suffix: str
    dob: int
    ssn: str
    employer: str
    died: int | None = None
    addresses: list[Span] = field(default_factory=list)
    phones: list[Span] = field(default_factory=list)
    emails: list[Span] = field(default_factory=list)
    owns: list[Span] = field(default_factory=list)       # property held (not lived in)
    events: list[tuple[str, int]] = field(default_factory=list)
    household: str = ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first.title(), self.middle.title(),
                                    self.last.title(), self.suffix) if p)

    def at(self, spans: list[Span], day: int) -> list[Span]:
        return [s for s in spans if s.covers(day)]

    def place_at(self, day: int) -> Place | None:
        found = self.at(self.addresses, day)
        return found[-1].value if found else None

    def adult_from(self) -> int:
        return self.dob + 18 * YEAR


class Books:
    """Allocators that keep identifiers unique: places, 555-01xx numbers, mailboxes, SSNs."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.places: set[tuple] = set()
        self.mailboxes: set[str] = set()
        self.ssns: set[str] = set()
        self.fresh: dict[int, list[int]] = {}
        self.fresh_left = len(AREA_CODES) * 100
        self.released: list[tuple[int, str]] = []     # heap of (day it became free, number)
        self.spare: set[str] = set()
        self.seq = 0

    def pid(self) -> str:
        self.seq += 1
        return f"Q{self.seq:07d}"

    def ssn(self) -> str:
        while True:
            x = int(self.rng.random() * 98_010_000)
            s = f"9{x // 980_100:02d}-{1 + x // 9900 % 99:02d}-{100 + x % 9900:04d}"
            if s not in self.ssns:
                self.ssns.add(s)
                return s

    def place(self, city_row: int | None = None, unit_rate: float = 0.3) -> Place:
        rr = self.rng.random
        if city_row is None:
            city_row = int(rr() * len(CITIES))
        city, state, _zip, _areas = CITIES[city_row]
        zips = _CITY_ZIPS[(city, state)]
        while True:
            street = f"{1 + int(rr() * 9899)} {_STREETS[int(rr() * len(_STREETS))]}"
            unit = ""
            if rr() < unit_rate:
                u = str(1 + int(rr() * 40)) + ("ABCD"[int(rr() * 4)] if rr() < 0.25 else "")
                unit = ("APT", "UNIT", "#", "APT")[int(rr() * 4)] + " " + u
            zip_ = zips[int(rr() * len(zips))]
            key = (street, unit, zip_)
            if key not in self.places:
                self.places.add(key)
                return Place(street, unit, city, state, zip_, f"{int(rr() * 9999) + 1:04d}",
                             city_row)

    def number(self, city_row: int, day: int, local: float = 0.5) -> str:
        """A number free on ``day``: 555-01xx behind a local area code first, else any.
        Once those run out (about 3,000 accounts), one released over a year before (an
        unplanned reassignment), else the rest of the 555 exchange (555-2000..9999)."""
        rng = self.rng
        if self.fresh_left:
            if rng.random() < local:
                areas = [int(a) for a in CITIES[city_row][3]]
                area = areas[int(rng.random() * len(areas))]
                if self._pool(area):
                    return self._take(area)
            for _ in range(20):
                area = AREA_CODES[int(rng.random() * len(AREA_CODES))]
                if self._pool(area):
                    return self._take(area)
            for area in AREA_CODES:
                if self._pool(area):
                    return self._take(area)
        if self.released and self.released[0][0] <= day - YEAR:
            return heapq.heappop(self.released)[1]
        while True:
            area = AREA_CODES[int(rng.random() * len(AREA_CODES))]
            number = f"+1{area}555{2000 + int(rng.random() * 8000):04d}"
            if number not in self.spare:
                self.spare.add(number)
                return number

    def _pool(self, area: int) -> list[int]:
        pool = self.fresh.get(area)
        if pool is None:
            pool = list(range(100))
            self.rng.shuffle(pool)
            self.fresh[area] = pool
        return pool

    def _take(self, area: int) -> str:
        self.fresh_left -= 1
        return f"+1{area}55501{self.fresh[area].pop():02d}"

    def release(self, number: str, day: int) -> None:
        heapq.heappush(self.released, (day, number))

    def mailbox(self, first: str, last: str, dob: int) -> str:
        rr = self.rng.random
        f = "".join(c for c in first.lower() if c.isalpha())
        l_ = "".join(c for c in last.lower() if c.isalpha())
        yy = f"{date.fromordinal(dob).year % 100:02d}"
        local = (f"{f}.{l_}", f"{f[0]}{l_}", f"{f}{l_}{yy}", f"{l_}.{f}", f"{f}_{l_[:4]}",
                 f"{f}{int(rr() * 900) + 100}")[int(rr() * 6)]
        domain = _DOMAINS[int(rr() * len(_DOMAINS))]
        mail, n = f"{local}@{domain}", 1
        while mail in self.mailboxes:
            n += 1
            mail = f"{local}{n}@{domain}"
        self.mailboxes.add(mail)
        return mail

    def employer(self) -> str:
        return _EMPLOYERS[int(self.rng.random() * len(_EMPLOYERS))] if self.rng.random() < 0.7 else ""


def first_name(rng: Random, sex: str, avoid: str = "") -> str:
    while True:
        name = draw(rng, _MALE if sex == "M" else _FEMALE)
        if name != avoid:
            return name


def surname(rng: Random) -> str:
    return draw(rng, _SUR)
