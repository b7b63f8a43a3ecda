"""Seeded generator of clearly fake US people for the demo, the tests and the benchmarks.

Everything produced here is fictional by construction:

* every SSN starts with ``9`` (``9XX-XX-XXXX``), a range never issued as an SSN;
* every phone number is ``555-0100`` .. ``555-0199`` (the range reserved for fiction)
  behind a real-looking area code, e.g. ``(217) 555-0134``;
* every email address is on ``example.com`` / ``example.org`` / ``example.net``;
* employers are fictional company names; streets are generic (``412 N MAPLE AVE``);
  cities are real city/state pairs with ZIP codes inside the city's real three-digit ZIP
  area (people spread over a city's ZIPs), which is harmless on their own.

The *world model* is what makes the output useful for entity-resolution benchmarks:
people move (1-4 addresses with date ranges, across town or across the country), change phones, share names (surnames and
first names are drawn from frequency-weighted lists), live in households (spouse or
relative with the same last name, address and landline), come in Jr/Sr pairs (same
first/middle/last name and address, DOBs ~25 years apart), are replaced at an address by
a new occupant, inherit a recycled phone number, and are observed by several sources of
different coverage and quality (nicknames, typos, transposed DOBs, missing fields,
``LAST, FIRST M SFX`` full-name-only records, year-only DOBs).  Portfolio accounts carry
the address/phone the creditor had *before* the person moved, so tracing has to find the
new one.

Entry points::

    world = generate_world(1000, seed=7)
    write_csv("accounts.csv", world.account_rows(), PORTFOLIO_COLUMNS)
    write_csv("records.csv", world.record_rows(), RECORD_COLUMNS)
    world.record_truth(); world.account_truth(); world.record_sources()

    for row, person_id in iter_people_records(1_000_000, seed=1):   # streaming, bounded memory
        ...

    python -m tracer_dev.synthetic --people 1000 --seed 7 --out DIR [--by-source] [--demo]

The record extract has no ``source`` column: use ``World.record_sources()``,
``World.record_rows(source=...)``, ``iter_people_records(..., with_source=True)`` or
``--by-source`` (writes ``records_<source>.csv`` and ``record_sources.csv`` as well).

Caveat: there are only 100 fictional numbers per area code (5,000 in total), so
numbers are handed out without collisions while they last and are then shared by
unrelated people; in streams of hundreds of thousands of people a phone alone is weak
evidence, as it should be for the matcher.

Only the standard library is used; all randomness comes from ``random.Random`` seeded
explicitly (string seeds are hashed with SHA-512 by ``random``, so they are stable across
processes regardless of ``PYTHONHASHSEED``).  The same arguments give byte-identical CSVs.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from bisect import bisect
from dataclasses import dataclass, field, fields
from datetime import date
from itertools import accumulate
from random import Random
from typing import Iterable, Iterator, Sequence

__all__ = [
    "PORTFOLIO_COLUMNS", "RECORD_COLUMNS", "TRUTH_RECORD_COLUMNS", "TRUTH_ACCOUNT_COLUMNS",
    "SOURCES", "SOURCE_NAMES", "NICKNAMES", "Rates", "Address", "AddressPeriod",
    "PhonePeriod", "Person", "World", "generate_world", "iter_people_records",
    "demo_world", "write_csv", "main", "DEFAULT_SEED", "DEFAULT_AS_OF", "WORLD_VERSION",
]

DEFAULT_SEED = 20261124
#: Bumped whenever the same arguments start making different data (caches of generated
#: files, e.g. the benchmarks', carry it in their names).  2: ZIPs spread over ZIP areas.
WORLD_VERSION = 2
DEFAULT_AS_OF = date(2026, 11, 1)

#: Portfolio (accounts) columns, FORMATS.md section 1, in order.
PORTFOLIO_COLUMNS: tuple[str, ...] = (
    "account_id", "first_name", "last_name", "middle_name", "suffix", "dob", "ssn",
    "street", "unit", "city", "state", "zip", "phone", "email", "employer", "balance",
    "status", "flags", "assigned_to", "debt_origin", "last_activity",
)
#: Record extract columns, FORMATS.md section 2, in order.
RECORD_COLUMNS: tuple[str, ...] = (
    "record_id", "first_name", "middle_name", "last_name", "suffix", "full_name", "dob",
    "ssn_last4", "street", "unit", "city", "state", "zip", "phone", "phone_type", "email",
    "employer", "first_seen", "last_seen", "event", "event_date",
)
TRUTH_RECORD_COLUMNS: tuple[str, ...] = ("record_id", "person_id")
TRUTH_ACCOUNT_COLUMNS: tuple[str, ...] = ("account_id", "person_id")

# ---------------------------------------------------------------------------------------
# Reference tables (all small and built once at import)
# ---------------------------------------------------------------------------------------

# 2010 US Census surname counts (rounded); only the relative weights matter.
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("SMITH", 2442977), ("JOHNSON", 1932812), ("WILLIAMS", 1625252), ("BROWN", 1437026),
    ("JONES", 1425470), ("GARCIA", 1166120), ("MILLER", 1161437), ("DAVIS", 1116357),
    ("RODRIGUEZ", 1094924), ("MARTINEZ", 1060159), ("HERNANDEZ", 1043281),
    ("LOPEZ", 874523), ("GONZALEZ", 841025), ("WILSON", 801882), ("ANDERSON", 784404),
    ("THOMAS", 756142), ("TAYLOR", 751209), ("MOORE", 724374), ("JACKSON", 708099),
    ("MARTIN", 702625), ("LEE", 693023), ("PEREZ", 681645), ("THOMPSON", 664644),
    ("WHITE", 660491), ("HARRIS", 624252), ("SANCHEZ", 612752), ("CLARK", 562679),
    ("RAMIREZ", 557423), ("LEWIS", 531781), ("ROBINSON", 529821), ("WALKER", 501307),
    ("YOUNG", 484447), ("ALLEN", 482607), ("KING", 465422), ("WRIGHT", 458980),
    ("SCOTT", 439530), ("TORRES", 437813), ("NGUYEN", 437645), ("HILL", 434827),
    ("FLORES", 433969), ("GREEN", 430182), ("ADAMS", 427865), ("NELSON", 424958),
    ("BAKER", 419586), ("HALL", 407076), ("RIVERA", 391114), ("CAMPBELL", 386157),
    ("MITCHELL", 384486), ("CARTER", 376966), ("ROBERTS", 376774), ("GOMEZ", 365655),
    ("PHILLIPS", 360802), ("EVANS", 355593), ("TURNER", 348627), ("DIAZ", 347636),
    ("PARKER", 336221), ("CRUZ", 334201), ("EDWARDS", 332423), ("COLLINS", 329770),
    ("REYES", 327904), ("STEWART", 324957), ("MORRIS", 318884), ("MORALES", 311777),
    ("MURPHY", 308417), ("COOK", 302589), ("ROGERS", 302261), ("GUTIERREZ", 293218),
    ("ORTIZ", 286899), ("MORGAN", 286280), ("COOPER", 280791), ("PETERSON", 278297),
    ("BAILEY", 277845), ("REED", 277030), ("KELLY", 267394), ("HOWARD", 264826),
    ("RAMOS", 263464), ("KIM", 262352), ("COX", 261231), ("WARD", 260464),
    ("RICHARDSON", 259798), ("WATSON", 252579), ("BROOKS", 251663), ("CHAVEZ", 250898),
    ("WOOD", 250715), ("JAMES", 249379), ("BENNETT", 247599), ("GRAY", 246116),
    ("MENDOZA", 242771), ("RUIZ", 238234), ("HUGHES", 236271), ("PRICE", 235251),
    ("ALVAREZ", 233983), ("CASTILLO", 230420), ("SANDERS", 230374), ("PATEL", 229973),
    ("MYERS", 229895), ("LONG", 229374), ("ROSS", 229368), ("FOSTER", 227764),
    ("JIMENEZ", 227118), ("POWELL", 226814), ("JENKINS", 225521), ("PERRY", 222961),
    ("RUSSELL", 216975), ("SULLIVAN", 215640), ("BELL", 214806), ("COLEMAN", 213998),
    ("BUTLER", 211945), ("HENDERSON", 211112), ("BARNES", 210843), ("GONZALES", 208929),
    ("FISHER", 205912), ("VASQUEZ", 205478), ("SIMMONS", 203985), ("ROMERO", 202950),
    ("JORDAN", 202706), ("PATTERSON", 201815), ("ALEXANDER", 200758),
    ("HAMILTON", 198800), ("GRAHAM", 198618), ("REYNOLDS", 197621), ("GRIFFIN", 197136),
    ("WALLACE", 196770), ("MORENO", 196718), ("WEST", 196474), ("COLE", 196331),
    ("HAYES", 196064), ("BRYANT", 195788), ("HERRERA", 194929), ("GIBSON", 194306),
    ("ELLIS", 193733), ("TRAN", 192978), ("MEDINA", 191855), ("AGUILAR", 191317),
    ("STEVENS", 190800), ("MURRAY", 190597), ("FORD", 190207), ("CASTRO", 188850),
    ("MARSHALL", 188225), ("OWENS", 187867), ("HARRISON", 186885),
    ("FERNANDEZ", 185956), ("MCDONALD", 185751), ("WOODS", 185416),
    ("WASHINGTON", 177386), ("KENNEDY", 177189), ("WELLS", 176781), ("VARGAS", 175839),
    ("HENRY", 174858), ("CHEN", 174506), ("FREEMAN", 173802), ("WEBB", 172957),
    ("TUCKER", 172815), ("BURNS", 172705), ("OLSON", 172051), ("SNYDER", 169893),
    ("O'BRIEN", 128000), ("O'CONNOR", 110000), ("MCCARTHY", 100000),
    ("DE LA CRUZ", 70000), ("VAN DYKE", 30000),
)

# Approximate relative frequencies for US adults born 1940-2005.
_MALE_FIRST: tuple[tuple[str, int], ...] = (
    ("JAMES", 480), ("JOHN", 470), ("ROBERT", 460), ("MICHAEL", 440), ("WILLIAM", 390),
    ("DAVID", 380), ("RICHARD", 260), ("JOSEPH", 250), ("THOMAS", 230), ("CHARLES", 220),
    ("CHRISTOPHER", 200), ("DANIEL", 190), ("MATTHEW", 160), ("ANTHONY", 140),
    ("DONALD", 140), ("MARK", 135), ("PAUL", 130), ("STEVEN", 125), ("ANDREW", 120),
    ("KENNETH", 115), ("JOSHUA", 110), ("KEVIN", 105), ("BRIAN", 100), ("GEORGE", 100),
    ("EDWARD", 95), ("RONALD", 95), ("TIMOTHY", 90), ("JASON", 90), ("JEFFREY", 85),
    ("RYAN", 80), ("JACOB", 75), ("GARY", 75), ("NICHOLAS", 70), ("ERIC", 70),
    ("JONATHAN", 65), ("STEPHEN", 65), ("LARRY", 60), ("JUSTIN", 60), ("SCOTT", 60),
    ("BRANDON", 55), ("BENJAMIN", 55), ("SAMUEL", 50), ("GREGORY", 50), ("FRANK", 50),
    ("ALEXANDER", 45), ("RAYMOND", 45), ("PATRICK", 45), ("JACK", 40), ("DENNIS", 40),
    ("JERRY", 40), ("JOSE", 40), ("JUAN", 30),
)
_FEMALE_FIRST: tuple[tuple[str, int], ...] = (
    ("MARY", 400), ("PATRICIA", 260), ("JENNIFER", 250), ("LINDA", 240),
    ("ELIZABETH", 230), ("BARBARA", 210), ("SUSAN", 200), ("JESSICA", 180),
    ("SARAH", 170), ("KAREN", 165), ("NANCY", 150), ("LISA", 150), ("BETTY", 120),
    ("MARGARET", 130), ("SANDRA", 120), ("ASHLEY", 115), ("KIMBERLY", 115),
    ("EMILY", 105), ("DONNA", 100), ("MICHELLE", 100), ("DOROTHY", 95), ("CAROL", 95),
    ("AMANDA", 95), ("MELISSA", 95), ("DEBORAH", 90), ("STEPHANIE", 90),
    ("REBECCA", 85), ("SHARON", 85), ("LAURA", 85), ("CYNTHIA", 80), ("KATHLEEN", 75),
    ("AMY", 75), ("SHIRLEY", 70), ("ANGELA", 70), ("HELEN", 65), ("ANNA", 65),
    ("BRENDA", 65), ("PAMELA", 65), ("NICOLE", 60), ("EMMA", 55), ("SAMANTHA", 55),
    ("KATHERINE", 55), ("CHRISTINE", 50), ("DEBRA", 50), ("RACHEL", 50),
    ("CATHERINE", 45), ("CAROLYN", 45), ("JANET", 45), ("RUTH", 45), ("MARIA", 45),
)

#: Legal first name -> nicknames a record may use instead (about 50 pairs).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "WILLIAM": ("BILL", "WILL", "BILLY"), "ROBERT": ("BOB", "ROB", "BOBBY"),
    "ELIZABETH": ("LIZ", "BETH", "BETTY"), "MARGARET": ("PEGGY", "MAGGIE"),
    "RICHARD": ("RICK", "DICK"), "JAMES": ("JIM", "JIMMY"), "JOHN": ("JACK", "JOHNNY"),
    "MICHAEL": ("MIKE",), "JOSEPH": ("JOE",), "THOMAS": ("TOM",),
    "CHARLES": ("CHUCK", "CHARLIE"), "CHRISTOPHER": ("CHRIS",), "DANIEL": ("DAN", "DANNY"),
    "MATTHEW": ("MATT",), "ANTHONY": ("TONY",), "DONALD": ("DON",), "STEVEN": ("STEVE",),
    "STEPHEN": ("STEVE",), "ANDREW": ("ANDY", "DREW"), "KENNETH": ("KEN", "KENNY"),
    "JOSHUA": ("JOSH",), "EDWARD": ("ED", "TED", "EDDIE"), "RONALD": ("RON",),
    "TIMOTHY": ("TIM",), "JEFFREY": ("JEFF",), "NICHOLAS": ("NICK",), "JONATHAN": ("JON",),
    "GREGORY": ("GREG",), "SAMUEL": ("SAM",), "BENJAMIN": ("BEN",), "ALEXANDER": ("ALEX",),
    "RAYMOND": ("RAY",), "PATRICK": ("PAT",), "LARRY": ("LAWRENCE",), "JERRY": ("GERALD",),
    "PATRICIA": ("PATTY", "TRISH", "PAT"), "JENNIFER": ("JENNY", "JEN"), "SUSAN": ("SUE",),
    "DEBORAH": ("DEB", "DEBBIE"), "DEBRA": ("DEBBIE",), "KATHLEEN": ("KATHY",),
    "KATHERINE": ("KATE", "KATIE", "KATHY"), "CATHERINE": ("CATHY", "KATE"),
    "KIMBERLY": ("KIM",), "REBECCA": ("BECKY",), "CYNTHIA": ("CINDY",), "PAMELA": ("PAM",),
    "SAMANTHA": ("SAM",), "STEPHANIE": ("STEPH",), "CHRISTINE": ("CHRIS", "CHRISTY"),
    "MELISSA": ("MISSY",), "DOROTHY": ("DOT", "DOTTIE"), "BARBARA": ("BARB",),
    "AMANDA": ("MANDY",), "JESSICA": ("JESS",),
}

# city, state, one valid zip of that city (its three digits name the city's ZIP area),
# area codes serving it
_CITIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("SPRINGFIELD", "IL", "62701", ("217",)), ("PEORIA", "IL", "61602", ("309",)),
    ("CHICAGO", "IL", "60614", ("312", "773")), ("MADISON", "WI", "53703", ("608",)),
    ("MILWAUKEE", "WI", "53202", ("414",)), ("INDIANAPOLIS", "IN", "46204", ("317",)),
    ("COLUMBUS", "OH", "43215", ("614",)), ("CLEVELAND", "OH", "44113", ("216",)),
    ("DAYTON", "OH", "45402", ("937",)), ("DETROIT", "MI", "48226", ("313",)),
    ("GRAND RAPIDS", "MI", "49503", ("616",)), ("DES MOINES", "IA", "50309", ("515",)),
    ("OMAHA", "NE", "68102", ("402",)), ("KANSAS CITY", "MO", "64105", ("816",)),
    ("ST LOUIS", "MO", "63101", ("314",)), ("SPRINGFIELD", "MO", "65806", ("417",)),
    ("MINNEAPOLIS", "MN", "55401", ("612",)), ("ST PAUL", "MN", "55101", ("651",)),
    ("LOUISVILLE", "KY", "40202", ("502",)), ("LEXINGTON", "KY", "40507", ("859",)),
    ("NASHVILLE", "TN", "37203", ("615",)), ("MEMPHIS", "TN", "38103", ("901",)),
    ("ATLANTA", "GA", "30303", ("404", "678")), ("SAVANNAH", "GA", "31401", ("912",)),
    ("CHARLOTTE", "NC", "28202", ("704", "980")), ("RALEIGH", "NC", "27601", ("919",)),
    ("RICHMOND", "VA", "23219", ("804",)), ("NORFOLK", "VA", "23510", ("757",)),
    ("PITTSBURGH", "PA", "15222", ("412",)), ("HARRISBURG", "PA", "17101", ("717",)),
    ("ALBANY", "NY", "12207", ("518",)), ("BUFFALO", "NY", "14202", ("716",)),
    ("HARTFORD", "CT", "06103", ("860",)), ("TULSA", "OK", "74103", ("918",)),
    ("LITTLE ROCK", "AR", "72201", ("501",)), ("BIRMINGHAM", "AL", "35203", ("205",)),
    ("DALLAS", "TX", "75201", ("214", "469")), ("AUSTIN", "TX", "78701", ("512",)),
    ("PHOENIX", "AZ", "85004", ("602",)), ("DENVER", "CO", "80202", ("303", "720")),
    ("ALBUQUERQUE", "NM", "87102", ("505",)), ("SALT LAKE CITY", "UT", "84111", ("801",)),
    ("BOISE", "ID", "83702", ("208",)), ("PORTLAND", "OR", "97204", ("503",)),
    ("SACRAMENTO", "CA", "95814", ("916",)),
)
#: How many ZIP codes of each city's real three-digit ZIP area people live in
#: (``zip3 + 01 .. zip3 + NN``, roughly the city's count of delivery ZIPs): a portfolio
#: spreads over neighbourhoods, so namesakes sharing a ZIP stay as rare as they are in
#: life instead of growing with the size of the stream.
_ZIP_SPANS: dict[str, int] = {
    "62701": 12,
    "61602": 14,
    "60614": 60,
    "53703": 16,
    "53202": 30,
    "46204": 50,
    "43215": 35,
    "44113": 35,
    "45402": 30,
    "48226": 40,
    "49503": 12,
    "50309": 20,
    "68102": 40,
    "64105": 45,
    "63101": 40,
    "65806": 10,
    "55401": 40,
    "55101": 25,
    "40202": 40,
    "40507": 17,
    "37203": 21,
    "38103": 40,
    "30303": 50,
    "31401": 15,
    "28202": 50,
    "27601": 17,
    "23219": 30,
    "23510": 25,
    "15222": 40,
    "17101": 12,
    "12207": 11,
    "14202": 25,
    "06103": 15,
    "74103": 35,
    "72201": 25,
    "35203": 35,
    "75201": 50,
    "78701": 50,
    "85004": 50,
    "80202": 39,
    "87102": 23,
    "84111": 24,
    "83702": 16,
    "97204": 30,
    "95814": 30,
}
_CITY_ZIPS: dict[tuple[str, str], tuple[str, ...]] = {
    (city, state): tuple(f"{zip_[:3]}{k:02d}" for k in range(1, _ZIP_SPANS[zip_] + 1))
    for city, state, zip_, _areas in _CITIES
}
#: P(a move within the same city stays in the same ZIP).
_SAME_ZIP_MOVE = 0.4
_CITY_VARIANTS = {"ST LOUIS": "SAINT LOUIS", "ST PAUL": "SAINT PAUL"}

_STREET_NAMES = (
    "MAIN", "OAK", "MAPLE", "CEDAR", "PINE", "ELM", "WASHINGTON", "LAKE", "HILL", "PARK",
    "WALNUT", "CHESTNUT", "SPRUCE", "RIDGE", "CHURCH", "MILL", "HIGHLAND", "JEFFERSON",
    "LINCOLN", "MADISON", "FRANKLIN", "JACKSON", "SUNSET", "MEADOW", "RIVER", "FOREST",
    "WILLOW", "CHERRY", "HICKORY", "DOGWOOD", "MAGNOLIA", "BIRCH", "SYCAMORE", "ASH",
    "VALLEY", "ORCHARD", "PROSPECT", "CENTER", "1ST", "2ND", "3RD", "4TH", "5TH", "10TH",
)
_STREET_TYPES = {
    "ST": "STREET", "AVE": "AVENUE", "RD": "ROAD", "DR": "DRIVE", "LN": "LANE",
    "CT": "COURT", "BLVD": "BOULEVARD", "WAY": "WAY", "PL": "PLACE", "CIR": "CIRCLE",
}
_STREET_TYPE_KEYS = tuple(_STREET_TYPES)
_DIRECTIONS = ("N ", "S ", "E ", "W ")
_N_CITIES = len(_CITIES)
# "MAPLE AVE", "N MAPLE AVE" ...: about 15% of streets carry a direction prefix
_STREET_BODIES = tuple(f"{d}{name} {typ}" for name in _STREET_NAMES for typ in _STREET_TYPE_KEYS
                       for d in ("",) * 23 + _DIRECTIONS)
_N_STREET_BODIES = len(_STREET_BODIES)
_UNIT_FORMS = ("APT {}", "UNIT {}", "# {}", "APT {}")

#: Fictional employers (classic placeholder company names).
_EMPLOYERS = (
    "ACME WIDGETS LLC", "GLOBEX SUPPLY INC", "INITECH SERVICES LLC", "VANDELAY IMPORTS",
    "NORTHWIND TRADERS", "CONTOSO MANUFACTURING", "FABRIKAM INC", "TAILSPIN TOYS",
    "WOODGROVE BANK", "LITWARE INC", "PROSEWARE INC", "ADVENTURE WORKS CYCLES",
    "WINGTIP TOYS", "FOURTH COFFEE", "COHO WINERY", "LUCERNE PUBLISHING",
    "MARGIE'S TRAVEL", "TREY RESEARCH", "BLUE YONDER AIRLINES", "ALPINE SKI HOUSE",
    "CITY POWER AND LIGHT", "GRAPHIC DESIGN INSTITUTE", "HUMONGOUS INSURANCE",
    "SOUTHRIDGE VIDEO", "WIDE WORLD IMPORTERS", "PRAIRIE STAR FOODS LLC",
    "IRONWOOD FREIGHT INC", "SUMMIT RIDGE STAFFING", "BLUE HERON CATERING",
    "MAPLELEAF HOME CARE LLC",
)
_N_EMPLOYERS = len(_EMPLOYERS)
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_ASSIGNEES = ("", "", "agent_01", "agent_02", "agent_03", "agent_04", "agent_05", "agent_06")
_STATUSES = (("open", 85), ("closed", 5), ("paid", 5), ("recalled", 5))
_ORIGINS = (("consumer_credit", 88), ("involuntary", 6), ("unknown", 6))
_RANDOM_FLAGS = ("cease_communication", "attorney_represented", "disputed", "military",
                 "litigious")


@dataclass(frozen=True, slots=True)
class SourceProfile:
    """Coverage and quality of one named record source (probabilities in 0..1)."""

    name: str
    weight: float          # share of ordinary records drawn from this source
    full_name: float       # P(name given only as "LAST, FIRST M SFX")
    dob: float             # P(source carries a dob at all), before missing_dob_rate
    dob_year_only: float   # P(dob given as a bare year)
    ssn4: float            # P(source carries ssn_last4), before missing_ssn4_rate
    phone: float           # P(record has a phone)
    phone_type: float      # P(phone_type filled when a phone is given)
    email: float
    employer: float
    middle_full: float     # P(full middle name); else initial with P middle_initial
    middle_initial: float
    nickname: float        # multiplier on Rates.nickname_rate
    noise: float           # multiplier on typo rates
    suffix_drop: float     # multiplier on Rates.suffix_drop_rate
    event: str             # event stamped on ordinary records ("" for none)


#: The named sources ("permitted public records and internal history"-style names).
SOURCES: tuple[SourceProfile, ...] = (
    SourceProfile("county_assessor", 0.20, 1.00, 0.00, 0.0, 0.0, 0.00, 0.0, 0.0, 0.0,
                  0.0, 0.9, 0.2, 1.0, 1.0, ""),
    SourceProfile("utility_connect", 0.30, 0.00, 0.60, 0.0, 0.8, 1.00, 1.0, 0.3, 0.0,
                  0.0, 0.5, 1.0, 1.0, 1.2, "utility_connect"),
    SourceProfile("court_index", 0.08, 1.00, 0.90, 0.5, 0.3, 0.00, 0.0, 0.0, 0.0,
                  0.0, 0.8, 0.3, 0.8, 0.8, "judgment"),
    SourceProfile("vendor_batch", 0.30, 0.10, 1.00, 0.1, 1.0, 0.90, 0.7, 0.5, 0.5,
                  0.3, 0.4, 1.8, 2.0, 1.5, ""),
    SourceProfile("licensing_board", 0.12, 0.00, 1.00, 0.0, 0.7, 0.30, 0.5, 0.4, 0.8,
                  0.7, 0.3, 0.3, 0.5, 0.5, ""),
)
SOURCE_NAMES: tuple[str, ...] = tuple(s.name for s in SOURCES)
_SOURCE_BY_NAME = {s.name: s for s in SOURCES}
_SOURCE_CUM = tuple(accumulate(s.weight for s in SOURCES))


@dataclass(slots=True)
class Rates:
    """Tunable rates of the world model; pass any of them as keywords to the generators."""

    typo_rate: float = 0.05            # per name/street field: swap, drop or substitute
    dob_transpose_rate: float = 0.02   # day/month swapped (only when both are <= 12)
    missing_dob_rate: float = 0.10     # dob blank even when the source carries dobs
    missing_ssn4_rate: float = 0.30    # ssn_last4 blank even when the source carries it
    zip_typo_rate: float = 0.02
    nickname_rate: float = 0.15        # record uses a nickname (times source multiplier)
    suffix_drop_rate: float = 0.35     # JR/SR suffix left off a record
    household_rate: float = 0.15       # a generated cluster is a 2-person household
    jr_sr_rate: float = 0.03           # a generated cluster is a Sr/Jr father and son
    # share of Jrs who leave their Sr's home at 20-30 and live at addresses of their own
    # after that (0, the default world: every Jr lives at each of his Sr's addresses)
    jr_leaves_home_rate: float = 0.0
    new_occupant_rate: float = 0.10    # a new address is one somebody else vacated
    phone_reuse_rate: float = 0.10     # a new phone is a number somebody else dropped
    landline_rate: float = 0.35        # a single person keeps a landline at one address
    bankruptcy_rate: float = 0.03
    deceased_rate: float = 0.01
    account_rate: float = 0.30         # default share of people that become accounts
    account_stale_rate: float = 0.90   # account of a person who moved has an old address
    masked_ssn_rate: float = 0.10      # account ssn given as XXX-XX-1234
    flag_rate: float = 0.05            # account carries a random non-event flag

    @classmethod
    def from_kwargs(cls, kwargs: dict) -> "Rates":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"unknown rate(s): {', '.join(unknown)}; known: {sorted(known)}")
        return cls(**kwargs)


# ---------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    unit: str
    city: str
    state: str
    zip: str
    area_codes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.street, self.unit, self.zip)

    def one_line(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.street}{unit}, {self.city}, {self.state} {self.zip}"


@dataclass(slots=True)
class AddressPeriod:
    """Lived at ``address`` from ``start`` until ``end`` (None = still there on as_of)."""

    address: Address
    start: date
    end: date | None = None


@dataclass(slots=True)
class PhonePeriod:
    number: str
    phone_type: str   # "mobile" | "landline"
    start: date
    end: date | None = None


@dataclass(slots=True)
class Person:
    person_id: str
    first: str
    middle: str
    last: str
    suffix: str
    dob: date
    ssn: str
    sex: str
    addresses: list[AddressPeriod] = field(default_factory=list)
    phones: list[PhonePeriod] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    employer: str = ""
    household_id: str = ""
    relations: dict[str, str] = field(default_factory=dict)   # role -> person_id
    events: list[tuple[str, date]] = field(default_factory=list)

    @property
    def current(self) -> AddressPeriod:
        return self.addresses[-1]

    @property
    def deceased(self) -> date | None:
        for kind, when in self.events:
            if kind == "deceased":
                return when
        return None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first, self.middle, self.last, self.suffix) if p)


@dataclass(slots=True)
class _Rec:
    row: dict
    person_id: str
    source: str


# ---------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------


def _cum(pairs):
    names = tuple(n for n, _ in pairs)
    return names, tuple(accumulate(w for _, w in pairs))


_SUR_NAMES, _SUR_CUM = _cum(_SURNAMES)
_M_NAMES, _M_CUM = _cum(_MALE_FIRST)
_F_NAMES, _F_CUM = _cum(_FEMALE_FIRST)
_STATUS_NAMES, _STATUS_CUM = _cum(_STATUSES)
_ORIGIN_NAMES, _ORIGIN_CUM = _cum(_ORIGINS)
# address-count weights: 1..4 addresses
_NADDR_CUM = tuple(accumulate((35, 35, 20, 10)))
# record period choice: later periods are observed more often (weight i+1)
_PERIOD_CUM = {k: tuple(accumulate(range(1, k + 1))) for k in range(1, 8)}

_YEAR = 365


def _pick(rng_random, names, cum):
    return names[bisect(cum, rng_random() * cum[-1])]


def _rint(rng: Random, a: int, b: int) -> int:
    """Uniform integer in [a, b] (cheaper than Random.randint)."""
    return a + int(rng.random() * (b - a + 1))


def _typo(s: str, rng: Random) -> str:
    """One character swap, drop or substitution (keeps digits digits, letters letters)."""
    n = len(s)
    if n < 3:
        return s
    i = int(rng.random() * (n - 1))
    op = rng.random()
    if op < 0.4 and s[i] != s[i + 1]:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if op < 0.7 and s[i] != " ":
        return s[:i] + s[i + 1:]
    c = s[i]
    if c.isdigit():
        rep = _DIGITS[(int(c) + _rint(rng, 1, 9)) % 10]
    elif c.isalpha():
        rep = _ALPHA[(ord(c.upper()) - 65 + _rint(rng, 1, 25)) % 26]
    else:
        return s
    return s[:i] + rep + s[i + 1:]


def _zip_typo(z: str, rng: Random) -> str:
    i = int(rng.random() * len(z))
    return z[:i] + _DIGITS[(int(z[i]) + _rint(rng, 1, 9)) % 10] + z[i + 1:]


def _by_start(item) -> date:
    return item.start


_SLUGS: dict[str, str] = {}


def _slug(name: str) -> str:
    """Lower-case letters and digits only (cached: names come from small tables)."""
    v = _SLUGS.get(name)
    if v is None:
        v = _SLUGS[name] = "".join(c for c in name.lower() if c.isalnum())
    return v


def _fmt_phone(area: str, line: int) -> str:
    return f"({area}) 555-01{line:02d}"


class _PhoneAllocator:
    """Hands out unused 555-01xx numbers per area code; wraps (collides) once exhausted."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.free: dict[str, list[int]] = {}

    def take(self, area: str) -> str:
        pool = self.free.get(area)
        if not pool:
            pool = list(range(100))
            self.rng.shuffle(pool)
            self.free[area] = pool
        return _fmt_phone(area, pool.pop())


class _Gen:
    """Stateful person/record factory shared by the world and the streaming generator."""

    POOL_MAX = 4000

    def __init__(self, seed: int, as_of: date, rates: Rates, records_per_person: float,
                 unique: bool = True):
        self.rng = Random(seed)
        self.as_of = as_of
        self.as_of_o = as_of.toordinal()
        self.r = rates
        self.rpp = float(records_per_person)
        self.person_seq = 0
        self.household_seq = 0
        self.phones = _PhoneAllocator(self.rng)
        self.addr_pool: list[tuple[Address, int]] = []    # vacated addresses
        self.phone_pool: list[tuple[str, int]] = []       # disconnected numbers
        self.ssns: set[str] | None = set() if unique else None
        # Emails are always unique: an address names one mailbox, and handing the same
        # JAMES.SMITH@ to every James Smith in a million records would make email a
        # weaker identifier than it is in any real file (a set of ~100 bytes per address).
        self.emails: set[str] | None = set()
        self._iso: dict[int, str] = {}
        self._srt = {src.name: _SourceRates(src, rates) for src in SOURCES}

    # -- small helpers ---------------------------------------------------------------

    def iso(self, o: int) -> str:
        s = self._iso.get(o)
        if s is None:
            s = self._iso[o] = date.fromordinal(o).isoformat()
        return s

    def _pool_add(self, pool: list, item) -> None:
        if len(pool) < self.POOL_MAX:
            pool.append(item)
        else:
            pool[int(self.rng.random() * self.POOL_MAX)] = item

    def _pool_take(self, pool: list, not_after: int):
        """Remove and return a pool item released on/before ``not_after`` (or None)."""
        rng = self.rng
        for _ in range(3):
            if not pool:
                return None
            i = int(rng.random() * len(pool))
            item = pool[i]
            if item[1] <= not_after:
                pool[i] = pool[-1]
                pool.pop()
                return item
        return None

    def _ssn(self) -> str:
        rng = self.rng
        while True:
            x = int(rng.random() * 98_010_000)           # 100 areas * 99 groups * 9900 serials
            s = f"9{x // 980_100:02d}-{1 + x // 9900 % 99:02d}-{100 + x % 9900:04d}"
            if self.ssns is None:
                return s
            if s not in self.ssns:
                self.ssns.add(s)
                return s

    def _first(self, sex: str, avoid: str = "") -> str:
        rr = self.rng.random
        names, cum = (_M_NAMES, _M_CUM) if sex == "M" else (_F_NAMES, _F_CUM)
        while True:
            n = _pick(rr, names, cum)
            if n != avoid:
                return n

    def _address(self, city_row=None) -> Address:
        rr = self.rng.random
        if city_row is None:
            city, state, zip_, areas = _CITIES[int(rr() * _N_CITIES)]
            zips = _CITY_ZIPS[(city, state)]
            zip_ = zips[int(rr() * len(zips))]
        else:
            city, state, zip_, areas = city_row
            if rr() >= _SAME_ZIP_MOVE:
                zips = _CITY_ZIPS[(city, state)]
                zip_ = zips[int(rr() * len(zips))]
        street = f"{1 + int(rr() * 9899)} {_STREET_BODIES[int(rr() * _N_STREET_BODIES)]}"
        unit = ""
        if rr() < 0.15:
            u = str(1 + int(rr() * 40))
            if rr() < 0.3:
                u += "ABCD"[int(rr() * 4)]
            unit = _UNIT_FORMS[int(rr() * 4)].format(u)
        return Address(street, unit, city, state, zip_, areas)

    def _dob_o(self, min_age: float, max_age: float) -> int:
        return self.as_of_o - _rint(self.rng, int(min_age * 365.25), int(max_age * 365.25))

    def _new_phone(self, areas: tuple[str, ...], start_o: int) -> str:
        r = self.r
        if self.phone_pool and self.rng.random() < r.phone_reuse_rate:
            item = self._pool_take(self.phone_pool, start_o - 60)
            if item is not None:
                return item[0]
        return self.phones.take(areas[int(self.rng.random() * len(areas))])

    # -- histories -------------------------------------------------------------------

    def _history(self, dob_o: int, start_o: int | None = None) -> list[AddressPeriod]:
        """A person's addresses, the first from a random day (or from ``start_o``)."""
        rng = self.rng
        rr = rng.random
        as_of_o = self.as_of_o
        earliest = max(dob_o + 18 * _YEAR, as_of_o - 15 * _YEAR)
        latest_start = as_of_o - 2 * _YEAR
        if start_o is not None:
            start = start_o
        else:
            start = earliest + int(rr() * (latest_start - earliest)) \
                if latest_start > earliest else earliest
        k = bisect(_NADDR_CUM, rr() * _NADDR_CUM[-1]) + 1
        bounds = [start]
        if k > 1:
            lo = start + 180
            span = as_of_o - 90 - lo
            if span > _YEAR:
                k = min(k, 1 + span // _YEAR)
                for c in sorted([lo + int(rr() * span) for _ in range(k - 1)]):
                    if c - bounds[-1] >= 90:        # at least ~3 months at each address
                        bounds.append(c)
        fromordinal = date.fromordinal
        pool = self.addr_pool
        occupant_rate = self.r.new_occupant_rate
        periods: list[AddressPeriod] = []
        city_row = None
        n = len(bounds)
        for i in range(n):
            s = bounds[i]
            addr = None
            if pool and rr() < occupant_rate:
                item = self._pool_take(pool, s - 30)
                if item is not None:
                    addr = item[0]
            if addr is None:
                addr = self._address(city_row if (city_row is not None and rr() < 0.65) else None)
            city_row = (addr.city, addr.state, addr.zip, addr.area_codes)
            if i + 1 < n:
                periods.append(AddressPeriod(addr, fromordinal(s), fromordinal(bounds[i + 1])))
            else:
                periods.append(AddressPeriod(addr, fromordinal(s), None))
        for i in range(n - 1):          # only after the person is done: no self-reuse
            self._pool_add(pool, (periods[i].address, bounds[i + 1]))
        return periods

    def _landline(self, period: AddressPeriod) -> PhonePeriod:
        s = period.start.toordinal()
        num = self._new_phone(period.address.area_codes, s)
        if period.end is not None:
            self._pool_add(self.phone_pool, (num, period.end.toordinal()))
        return PhonePeriod(num, "landline", period.start, period.end)

    def _mobiles(self, periods: list[AddressPeriod], allow_none: bool) -> list[PhonePeriod]:
        rng = self.rng
        x = rng.random()
        n = 0 if (allow_none and x < 0.10) else (2 if x > 0.72 else 1)
        out: list[PhonePeriod] = []
        if n == 0:
            return out
        s0 = periods[0].start.toordinal()
        cut = None
        if n == 2 and self.as_of_o - 30 - (s0 + 90) > 30:
            cut = _rint(rng, s0 + 90, self.as_of_o - 30)
        if cut is None:
            out.append(PhonePeriod(self._new_phone(periods[0].address.area_codes, s0),
                                   "mobile", periods[0].start, None))
            return out
        num1 = self._new_phone(periods[0].address.area_codes, s0)
        out.append(PhonePeriod(num1, "mobile", periods[0].start, date.fromordinal(cut)))
        self._pool_add(self.phone_pool, (num1, cut))
        areas = periods[0].address.area_codes
        for p in periods:
            if p.start.toordinal() <= cut:
                areas = p.address.area_codes
        out.append(PhonePeriod(self._new_phone(areas, cut), "mobile", date.fromordinal(cut), None))
        return out

    def _emails(self, first: str, last: str, dob_o: int) -> list[str]:
        rng = self.rng
        rr = rng.random
        x = rr()
        if x < 0.3:
            return []
        n = 1 if x < 0.8 else 2
        f = _slug(first)
        l_ = _slug(last)
        out = []
        for _ in range(n):
            form = int(rr() * 4)
            if form == 0:
                local = f"{f}.{l_}"
            elif form == 1:
                local = f"{f[0]}{l_}"
            elif form == 2:
                local = f"{f}{l_[0]}{date.fromordinal(dob_o).year % 100:02d}"
            else:
                local = f"{l_}.{f}{1 + int(rr() * 99)}"
            dom = _EMAIL_DOMAINS[int(rr() * 3)]
            addr = f"{local}@{dom}"
            seen = self.emails
            if seen is not None:
                n_ = 1
                while addr in seen:
                    n_ += 1
                    addr = f"{local}{n_}@{dom}"
                seen.add(addr)
            if addr not in out:
                out.append(addr)
        return out

    def _person(self, sex: str | None = None, *, last: str | None = None,
                dob_o: int | None = None, first: str | None = None,
                middle: str | None = None, suffix: str = "",
                periods: list[AddressPeriod] | None = None,
                landline: PhonePeriod | None = None) -> Person:
        rng = self.rng
        rr = rng.random
        if sex is None:
            sex = "M" if rr() < 0.5 else "F"
        if first is None:
            first = self._first(sex)
        if middle is None:
            middle = self._first(sex, avoid=first) if rr() < 0.85 else ""
        if last is None:
            last = _pick(rr, _SUR_NAMES, _SUR_CUM)
        if dob_o is None:
            dob_o = self._dob_o(21, 85)
        if not suffix and rr() < 0.005:
            suffix = "II" if rr() < 0.5 else "III"
        if periods is None:
            periods = self._history(dob_o)
        phones: list[PhonePeriod] = []
        if landline is not None:
            phones.append(PhonePeriod(landline.number, "landline", landline.start, landline.end))
        elif rr() < self.r.landline_rate:
            idx = len(periods) - 1 if (len(periods) == 1 or rr() < 0.7) else int(rng.random() * len(periods))
            phones.append(self._landline(periods[idx]))
        phones.extend(self._mobiles(periods, allow_none=bool(phones)))
        if not phones:
            phones.extend(self._mobiles(periods, allow_none=False))
        if len(phones) > 1:
            phones.sort(key=_by_start)
        self.person_seq += 1
        return Person(
            f"P{self.person_seq:07d}", first, middle, last, suffix, date.fromordinal(dob_o),
            self._ssn(), sex, periods, phones, self._emails(first, last, dob_o),
            _EMPLOYERS[int(rr() * _N_EMPLOYERS)] if rr() < 0.75 else "", "", {}, [],
        )

    def _shared_landline(self, head: Person) -> PhonePeriod:
        for ph in head.phones:
            if ph.phone_type == "landline":
                return ph
        ph = self._landline(head.current)
        head.phones.append(ph)
        head.phones.sort(key=_by_start)
        return ph

    def _apply_events(self, p: Person) -> None:
        rng = self.rng
        r = self.r
        as_of_o = self.as_of_o
        x = rng.random()
        first_o = p.addresses[0].start.toordinal()
        if x < r.deceased_rate:
            lo = max(first_o + 60, as_of_o - 3 * _YEAR)
            if lo < as_of_o - 30:
                d = _rint(rng, lo, as_of_o - 30)
                dd = date.fromordinal(d)
                p.addresses = [a for a in p.addresses if a.start.toordinal() < d]
                last = p.addresses[-1]
                p.addresses[-1] = AddressPeriod(last.address, last.start, dd)
                phones = []
                for ph in p.phones:
                    if ph.start.toordinal() < d:
                        end = ph.end if (ph.end is not None and ph.end.toordinal() <= d) else dd
                        phones.append(PhonePeriod(ph.number, ph.phone_type, ph.start, end))
                p.phones = phones or [PhonePeriod(p.phones[0].number, p.phones[0].phone_type,
                                                  p.addresses[0].start, dd)]
                p.events.append(("deceased", dd))
        elif x < r.deceased_rate + r.bankruptcy_rate:
            lo = max(first_o + 30, as_of_o - 8 * _YEAR)
            if lo < as_of_o - 30:
                p.events.append(("bankruptcy", date.fromordinal(_rint(rng, lo, as_of_o - 30))))

    def cluster(self, room: int) -> list[Person]:
        """One person, a 2-person household, or a Sr/Jr pair (never more than ``room``)."""
        rng = self.rng
        r = self.r
        x = rng.random()
        if room >= 2 and x < r.jr_sr_rate:
            people = self._jr_sr()
        elif room >= 2 and x < r.jr_sr_rate + r.household_rate:
            people = self._household()
        else:
            people = [self._person()]
        for p in people:
            self._apply_events(p)
        return people

    def _household(self) -> list[Person]:
        rng = self.rng
        head = self._person(dob_o=self._dob_o(25, 85))
        line = self._shared_landline(head)
        self.household_seq += 1
        hid = f"H{self.household_seq:06d}"
        head_dob = head.dob.toordinal()
        if rng.random() < 0.8:
            role, sex = "spouse", ("F" if head.sex == "M" else "M")
            dob_o = head_dob + _rint(rng, -6 * _YEAR, 6 * _YEAR)
            dob_o = min(dob_o, self.as_of_o - 21 * _YEAR)
        else:
            role, sex = "relative", ("M" if rng.random() < 0.5 else "F")
            dob_o = head_dob + _rint(rng, -12 * _YEAR, 12 * _YEAR)
            dob_o = min(dob_o, self.as_of_o - 19 * _YEAR)
        first = self._first(sex, avoid=head.first)
        periods = [AddressPeriod(a.address, a.start, a.end) for a in head.addresses]
        other = self._person(sex, last=head.last, dob_o=dob_o, first=first,
                             periods=periods, landline=line)
        head.household_id = other.household_id = hid
        head.relations[role] = other.person_id
        other.relations[role] = head.person_id
        return [head, other]

    def _jr_sr(self) -> list[Person]:
        rng = self.rng
        gap = _rint(rng, 22 * _YEAR, 32 * _YEAR)
        father_dob = self._dob_o(gap / 365.25 + 19, 86)
        father = self._person("M", dob_o=father_dob, suffix="SR")
        if not father.middle:
            father.middle = self._first("M", avoid=father.first)
        line = self._shared_landline(father)
        son_dob = father_dob + gap
        adult_o = son_dob + 18 * _YEAR
        # A son who leaves home (opt-in, jr_leaves_home_rate) does so at 20-30: he keeps
        # the shared addresses he moved into over three months before, up to that day,
        # and has addresses of his own after it.
        leave_o = None
        rate = self.r.jr_leaves_home_rate
        if rate and rng.random() < rate:
            leave_o = son_dob + _rint(rng, 20 * _YEAR, 30 * _YEAR)
            if leave_o >= self.as_of_o - 2 * _YEAR:
                leave_o = None                            # still at home
        periods = []
        for a in father.addresses:
            if a.end is not None and a.end.toordinal() <= adult_o + 30:
                continue
            start = a.start if a.start.toordinal() >= adult_o else date.fromordinal(adult_o)
            end = a.end
            if leave_o is not None:
                if start.toordinal() >= leave_o - 90:
                    continue
                if end is None or end.toordinal() > leave_o:
                    end = date.fromordinal(leave_o)
            periods.append(AddressPeriod(a.address, start, end))
        if leave_o is not None:
            start_o = max([leave_o] + [a.end.toordinal() for a in periods if a.end])
            periods += self._history(son_dob, start_o=start_o)
            son = self._person("M", last=father.last, dob_o=son_dob, first=father.first,
                               middle=father.middle, suffix="JR", periods=periods)
        else:
            if line.start < periods[0].start:
                line = PhonePeriod(line.number, line.phone_type, periods[0].start, line.end)
            if line.end is not None and line.end <= line.start:
                line = PhonePeriod(line.number, line.phone_type, periods[-1].start, None)
            son = self._person("M", last=father.last, dob_o=son_dob, first=father.first,
                               middle=father.middle, suffix="JR", periods=periods,
                               landline=line)
        self.household_seq += 1
        hid = f"H{self.household_seq:06d}"
        father.household_id = son.household_id = hid
        father.relations["son"] = son.person_id
        son.relations["father"] = father.person_id
        return [father, son]

    # -- records ---------------------------------------------------------------------

    def n_records(self) -> int:
        x = self.rng.gauss(self.rpp, self.rpp * 0.5)
        return int(x + 0.5) if x > 0 else 0

    def _prep(self, p: Person) -> tuple:
        """Per-person values every record of ``p`` needs (ordinals, dob strings ...)."""
        as_of_o = self.as_of_o
        periods = [(a.start.toordinal(), as_of_o if a.end is None else a.end.toordinal())
                   for a in p.addresses]
        phones = [(ph.number, ph.phone_type, ph.start.toordinal(),
                   as_of_o if ph.end is None else ph.end.toordinal()) for ph in p.phones]
        d = p.dob
        swapped = (f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
                   if d.day <= 12 and d.day != d.month else None)
        return periods, phones, d.isoformat(), str(d.year), swapped, NICKNAMES.get(p.first)

    def records_for(self, p: Person, n: int | None = None) -> list[tuple[dict, str]]:
        """``n`` ordinary records (drawn if None) plus one court record per event."""
        rr = self.rng.random
        if n is None:
            n = self.n_records()
        prep = self._prep(p)
        out = []
        k = len(p.addresses)
        pcum = _PERIOD_CUM[k]
        total = pcum[-1]
        src_total = _SOURCE_CUM[-1]
        record = self.record
        for _ in range(n):
            src = SOURCES[bisect(_SOURCE_CUM, rr() * src_total)]
            out.append((record(p, src, bisect(pcum, rr() * total), prep=prep), src.name))
        for kind, when in p.events:
            w = when.toordinal()
            pi = k - 1
            for i, (s, e) in enumerate(prep[0]):
                if s <= w <= e:
                    pi = i
            out.append((record(p, _COURT, pi, event=kind, event_o=w, prep=prep),
                        "court_index"))
        return out

    def record(self, p: Person, src: SourceProfile, pi: int, *, clean: bool = False,
               event: str | None = None, event_o: int | None = None,
               phone: bool | None = None, prep: tuple | None = None) -> dict:
        """One observation of ``p`` by ``src`` during address period ``pi`` (no record_id)."""
        rng = self.rng
        rr = rng.random
        q = self._srt[src.name]
        if prep is None:
            prep = self._prep(p)
        periods, phones, dob_iso, dob_year, dob_swapped, nicks = prep
        addr = p.addresses[pi].address
        ps, pe = periods[pi]
        noisy = not clean
        is_vendor = q.is_vendor

        # -- phone (restricts the observation window to the phone's period)
        ph_num = ph_type = ""
        if (rr() < src.phone) if phone is None else phone:
            best = None
            for ph in phones:        # overlapping phones; a later one wins 60% of ties
                if ph[2] < pe and ph[3] > ps and (best is None or rr() < 0.6):
                    best = ph
            if best is not None:
                ph_num, typ, s, e = best
                if s > ps:
                    ps = s
                if e < pe:
                    pe = e
                if noisy and is_vendor and rr() < 0.3:
                    ph_num = ph_num[1:4] + "-" + ph_num[6:]
                if rr() < src.phone_type:
                    ph_type = typ

        # -- window inside the period
        span = pe - ps
        if span <= 0:
            fs = ls = ps
        else:
            fs = ps + int(rr() * span * 0.6)
            ls = fs + int(rr() * (pe - fs))
        if event is None:
            event = src.event
            event_o = None
            if event == "utility_connect":
                event_o = fs
            elif event == "judgment":
                event_o = fs + int(rr() * (ls - fs))
        if q.is_court and event_o is not None:
            fs = ls = event_o

        # -- name
        first = p.first
        last = p.last
        if noisy:
            if nicks is not None and rr() < q.nickname:
                first = nicks[int(rr() * len(nicks))]
            if rr() < q.typo:
                first = _typo(first, rng)
            if rr() < q.typo:
                last = _typo(last, rng)
        middle = ""
        if p.middle:
            x = rr()
            if x < src.middle_full:
                middle = p.middle
            elif x < q.middle_any:
                middle = p.middle[0]
        suffix = p.suffix
        if suffix and noisy and rr() < q.suffix_drop:
            suffix = ""
        full = ""
        if src.full_name and (src.full_name >= 1.0 or rr() < src.full_name):
            full = f"{last}, {first}"
            if middle:
                full += " " + middle[0]
            if suffix:
                full += " " + suffix
            first = middle = last = suffix = ""
        elif is_vendor and noisy and rr() < 0.25:
            first, middle, last = first.title(), middle.title(), last.title()

        # -- dob / ssn
        dob = ""
        if src.dob and rr() < q.dob:
            if rr() < src.dob_year_only:
                dob = dob_year
            elif dob_swapped is not None and noisy and rr() < q.dob_transpose:
                dob = dob_swapped
            else:
                dob = dob_iso
        ssn4 = p.ssn[-4:] if (src.ssn4 and rr() < q.ssn4) else ""

        # -- address
        street = addr.street
        unit = addr.unit
        city = addr.city
        zip_ = addr.zip
        if noisy:
            if is_vendor and rr() < 0.2:
                head, _, typ = street.rpartition(" ")
                street = f"{head} {_STREET_TYPES.get(typ, typ)}"
            if rr() < q.typo:
                street = _typo(street, rng)
            if unit and rr() < 0.1:
                unit = ""
            if city in _CITY_VARIANTS and rr() < 0.3:
                city = _CITY_VARIANTS[city]
            if rr() < q.zip_typo:
                zip_ = _zip_typo(zip_, rng)

        emails = p.emails
        email = emails[int(rr() * len(emails))] if (emails and rr() < src.email) else ""
        employer = p.employer if (p.employer and rr() < src.employer) else ""

        iso = self.iso
        return {
            "record_id": "", "first_name": first, "middle_name": middle, "last_name": last,
            "suffix": suffix, "full_name": full, "dob": dob, "ssn_last4": ssn4,
            "street": street, "unit": unit, "city": city, "state": addr.state, "zip": zip_,
            "phone": ph_num, "phone_type": ph_type, "email": email, "employer": employer,
            "first_seen": iso(fs), "last_seen": iso(ls), "event": event or "",
            "event_date": iso(event_o) if event_o is not None else "",
        }


class _SourceRates:
    """A source profile combined with the world's rates (precomputed probabilities)."""

    __slots__ = ("typo", "nickname", "suffix_drop", "dob", "dob_transpose", "ssn4",
                 "zip_typo", "middle_any", "is_vendor", "is_court")

    def __init__(self, src: SourceProfile, r: Rates):
        self.typo = r.typo_rate * src.noise
        self.nickname = r.nickname_rate * src.nickname
        self.suffix_drop = r.suffix_drop_rate * src.suffix_drop
        self.dob = src.dob * (1.0 - r.missing_dob_rate)
        self.dob_transpose = r.dob_transpose_rate
        self.ssn4 = src.ssn4 * (1.0 - r.missing_ssn4_rate)
        self.zip_typo = r.zip_typo_rate * src.noise
        self.middle_any = src.middle_full + src.middle_initial
        self.is_vendor = src.name == "vendor_batch"
        self.is_court = src.name == "court_index"


_COURT = _SOURCE_BY_NAME["court_index"]


# ---------------------------------------------------------------------------------------
# World
# ---------------------------------------------------------------------------------------


@dataclass
class World:
    """A generated population with its record extract and (lazily built) accounts."""

    people: list[Person]
    seed: int = DEFAULT_SEED
    as_of: date = DEFAULT_AS_OF
    rates: Rates = field(default_factory=Rates)
    records: list[_Rec] = field(default_factory=list, repr=False)
    #: person_id for account index i (a seeded permutation of all people)
    account_people: list[str] = field(default_factory=list, repr=False)
    default_accounts: int = 0
    account_id_format: str = "A{:06d}"
    account_id_start: int = 1
    #: per-account-index overrides: {"stale": bool, "period": int, "flags": str, "status": str}
    account_overrides: dict[int, dict] = field(default_factory=dict, repr=False)
    _gen: _Gen | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id = {p.person_id: p for p in self.people}

    # -- lookups ---------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        return self._by_id[person_id]

    def households(self) -> dict[str, list[Person]]:
        out: dict[str, list[Person]] = {}
        for p in self.people:
            if p.household_id:
                out.setdefault(p.household_id, []).append(p)
        return out

    def jr_sr_pairs(self) -> list[tuple[Person, Person]]:
        """(father, son) pairs sharing first, middle and last name."""
        return [(p, self._by_id[p.relations["son"]]) for p in self.people
                if "son" in p.relations]

    # -- accounts --------------------------------------------------------------------

    def account_id(self, i: int) -> str:
        return self.account_id_format.format(self.account_id_start + i)

    def _n_accounts(self, n_accounts: int | None) -> int:
        n = self.default_accounts if n_accounts is None else n_accounts
        if n < 0 or n > len(self.account_people):
            raise ValueError(f"n_accounts must be in 0..{len(self.account_people)}")
        return n

    def account_rows(self, n_accounts: int | None = None) -> Iterator[dict]:
        """Portfolio rows (PORTFOLIO_COLUMNS); the first ``n`` of a fixed sequence."""
        for i in range(self._n_accounts(n_accounts)):
            yield self.account_row(i)

    def account_truth(self, n_accounts: int | None = None) -> dict[str, str]:
        return {self.account_id(i): self.account_people[i]
                for i in range(self._n_accounts(n_accounts))}

    def account_row(self, i: int) -> dict:
        """Account number ``i`` (deterministic on its own: own seeded RNG)."""
        rng = Random(f"{self.seed}|account|{i}")
        rr = rng.random
        r = self.rates
        opts = self.account_overrides.get(i, {})
        p = self._by_id[self.account_people[i]]
        as_of_o = self.as_of.toordinal()

        periods = p.addresses
        stale = opts.get("stale")
        if stale is None:
            stale = len(periods) > 1 and rr() < r.account_stale_rate
        if stale and len(periods) > 1:
            pi = len(periods) - 2 if (len(periods) == 2 or rr() < 0.75) else int(rr() * (len(periods) - 1))
        else:
            pi = len(periods) - 1
        if "period" in opts:
            pi = opts["period"] % len(periods)
        period = periods[pi]
        addr = period.address
        ps = period.start.toordinal()
        pe = as_of_o if period.end is None else period.end.toordinal()

        phone = ""
        ph = _phone_at(p, ps, pe)
        if ph is not None and rr() < 0.9:
            phone = ph.number

        typo = r.typo_rate * 0.3
        first, last = p.first, p.last
        if rr() < 0.03 and first in NICKNAMES:
            first = NICKNAMES[first][0]
        if rr() < typo:
            first = _typo(first, rng)
        if rr() < typo:
            last = _typo(last, rng)
        x = rr()
        middle = p.middle if x < 0.6 else (p.middle[:1] if x < 0.9 else "")
        suffix = p.suffix if rr() < 0.9 else ""
        dob = p.dob.isoformat() if rr() < 0.95 else ""
        x = rr()
        ssn = (p.ssn if x >= r.masked_ssn_rate + 0.03
               else (f"XXX-XX-{p.ssn[-4:]}" if x >= 0.03 else ""))
        street = addr.street if rr() >= typo else _typo(addr.street, rng)

        flags = []
        for kind, _when in p.events:
            if kind == "bankruptcy" and rr() < 0.6:
                flags.append("bankruptcy")
            if kind == "deceased" and rr() < 0.5:
                flags.append("deceased")
        if rr() < r.flag_rate:
            flags.append(_RANDOM_FLAGS[int(rng.random() * len(_RANDOM_FLAGS))])
        flags_s = opts.get("flags", ";".join(flags))

        status = opts.get("status") or _pick(rr, _STATUS_NAMES, _STATUS_CUM)
        origin = _pick(rr, _ORIGIN_NAMES, _ORIGIN_CUM)
        balance = min(rng.lognormvariate(7.0, 1.0), 95000.0) + 25.0
        act_lo = min(ps, as_of_o - 60)
        act_hi = max(min(pe, as_of_o - 30), act_lo)
        last_activity = date.fromordinal(_rint(rng, act_lo, act_hi)).isoformat()

        return {
            "account_id": self.account_id(i), "first_name": first, "last_name": last,
            "middle_name": middle, "suffix": suffix, "dob": dob, "ssn": ssn,
            "street": street, "unit": addr.unit, "city": addr.city, "state": addr.state,
            "zip": addr.zip, "phone": phone,
            "email": p.emails[0] if (p.emails and rr() < 0.5) else "",
            "employer": p.employer if (p.employer and rr() < 0.6) else "",
            "balance": f"{balance:.2f}", "status": status, "flags": flags_s,
            "assigned_to": opts.get("assigned_to",
                                    _ASSIGNEES[int(rng.random() * len(_ASSIGNEES))]),
            "debt_origin": origin, "last_activity": last_activity,
        }

    # -- records ---------------------------------------------------------------------

    def record_rows(self, source: str | None = None) -> Iterator[dict]:
        """Record extract rows (RECORD_COLUMNS), optionally only those of one source."""
        for rec in self.records:
            if source is None or rec.source == source:
                yield rec.row

    def record_truth(self) -> dict[str, str]:
        return {rec.row["record_id"]: rec.person_id for rec in self.records}

    def record_sources(self) -> dict[str, str]:
        """record_id -> source name (the extract format has no source column)."""
        return {rec.row["record_id"]: rec.source for rec in self.records}

    def records_of(self, person_id: str) -> list[tuple[dict, str]]:
        return [(rec.row, rec.source) for rec in self.records if rec.person_id == person_id]

    def add_record(self, person: Person, source: str, period_index: int = -1, *,
                   clean: bool = False, event: str | None = None,
                   event_date: date | None = None, phone: bool | None = None) -> dict:
        """Append one more observation of ``person`` (used to stage demo scenarios)."""
        if self._gen is None:
            raise RuntimeError("world has no generator attached")
        pi = period_index % len(person.addresses)
        row = self._gen.record(person, _SOURCE_BY_NAME[source], pi, clean=clean, event=event,
                               event_o=None if event_date is None else event_date.toordinal(),
                               phone=phone)
        row["record_id"] = f"R{len(self.records) + 1:07d}"
        self.records.append(_Rec(row, person.person_id, source))
        return row


def _phone_at(p: Person, ps: int, pe: int) -> PhonePeriod | None:
    """The phone a creditor would have for the period [ps, pe]: the one in use near its
    end (a landline first), else the latest one overlapping it."""
    at = pe - 1
    best = None
    for ph in p.phones:
        s = ph.start.toordinal()
        e = None if ph.end is None else ph.end.toordinal()
        if s <= at and (e is None or e >= at):
            if best is None or ph.phone_type == "landline":
                best = ph
    if best is None:
        over = [ph for ph in p.phones
                if ph.start.toordinal() < pe and (ph.end is None or ph.end.toordinal() > ps)]
        if over:
            best = max(over, key=_by_start)
    return best


def generate_world(n_people: int, *, seed: int = DEFAULT_SEED, as_of: date = DEFAULT_AS_OF,
                   records_per_person: float = 3.0, **rates) -> World:
    """Generate exactly ``n_people`` people, their records and an account sequence.

    ``rates`` are :class:`Rates` fields (``typo_rate=0.1``, ``jr_sr_rate=0.05`` ...).
    """
    if n_people < 0:
        raise ValueError("n_people must be >= 0")
    r = Rates.from_kwargs(rates)
    gen = _Gen(seed, as_of, r, records_per_person, unique=True)
    people: list[Person] = []
    while len(people) < n_people:
        people.extend(gen.cluster(n_people - len(people)))
    records: list[_Rec] = []
    for p in people:
        for row, src in gen.records_for(p):
            row["record_id"] = f"R{len(records) + 1:07d}"
            records.append(_Rec(row, p.person_id, src))
    order = [p.person_id for p in people]
    Random(f"{seed}|accounts").shuffle(order)
    return World(people=people, seed=seed, as_of=as_of, rates=r, records=records,
                 account_people=order,
                 default_accounts=min(n_people, round(r.account_rate * n_people)),
                 _gen=gen)


def iter_people_records(n_records: int, *, seed: int = DEFAULT_SEED,
                        as_of: date = DEFAULT_AS_OF, records_per_person: float = 3.0,
                        with_source: bool = False, **rates) -> Iterator[tuple]:
    """Stream exactly ``n_records`` record rows as ``(row, person_id)`` with bounded memory.

    People are generated one cluster at a time (households and Jr/Sr pairs included);
    ``with_source=True`` yields ``(row, person_id, source)`` instead.  Names of people
    are not de-duplicated beyond what the world model does and SSNs are not checked for
    global uniqueness (only their last four digits reach a record); email addresses are
    kept unique, as real mailboxes are (a set of the addresses handed out so far).
    """
    r = Rates.from_kwargs(rates)
    gen = _Gen(seed, as_of, r, records_per_person, unique=False)
    made = 0
    while made < n_records:
        for p in gen.cluster(2):
            for row, src in gen.records_for(p):
                made += 1
                row["record_id"] = f"R{made:07d}"
                yield (row, p.person_id, src) if with_source else (row, p.person_id)
                if made >= n_records:
                    return


# ---------------------------------------------------------------------------------------
# Demo world
# ---------------------------------------------------------------------------------------

DEMO_SEED = 1001


def demo_world() -> World:
    """~60 people, deterministic, with staged scenarios for the demo.

    * ``DEMO-1001``: the person moved; the account carries the old address/phone; records
      from utility_connect, vendor_batch and licensing_board show the new address, all
      with last_seen later than any record at the old address.
    * ``DEMO-1002``: flagged ``bankruptcy`` and backed by a court_index bankruptcy record.
    * Every other account is ``DEMO-1003``... in a fixed order; the world has Jr/Sr pairs
      and households.
    """
    w = generate_world(60, seed=DEMO_SEED, records_per_person=3.0, jr_sr_rate=0.08,
                       household_rate=0.25, bankruptcy_rate=0.05)
    w.account_id_format = "DEMO-{}"
    w.account_id_start = 1001
    w.default_accounts = 12

    as_of_o = w.as_of.toordinal()

    def plain(p: Person) -> bool:
        return not p.events and not p.suffix and not p.household_id

    def stale_phone(p: Person) -> bool:      # the phone of the old address is gone now
        old = p.addresses[-2]
        ph = _phone_at(p, old.start.toordinal(), old.end.toordinal())
        return ph is not None and ph.end is not None

    movers = [p for p in w.people if plain(p) and len(p.addresses) >= 2
              and p.addresses[-2].address.key != p.current.address.key]
    mover = next((p for p in movers if stale_phone(p)), movers[0])
    bankrupts = [p for p in w.people if p is not mover
                 and any(k == "bankruptcy" for k, _ in p.events)]
    bankrupt = next((p for p in bankrupts if not p.suffix and not p.household_id),
                    bankrupts[0] if bankrupts else None)
    if bankrupt is None:     # pragma: no cover - depends on the seed
        bankrupt = next(p for p in w.people if p is not mover and plain(p))
        when = date.fromordinal(as_of_o - 400)
        bankrupt.events.append(("bankruptcy", when))
        w.add_record(bankrupt, "court_index", -1, event="bankruptcy", event_date=when)

    # the mover: one clean old-address record, three clean new-address records
    w.add_record(mover, "county_assessor", -2, clean=True)
    for src in ("utility_connect", "vendor_batch", "licensing_board"):
        w.add_record(mover, src, -1, clean=True, phone=True if src != "licensing_board" else None)

    order = [pid for pid in w.account_people if pid not in (mover.person_id, bankrupt.person_id)]
    w.account_people = [mover.person_id, bankrupt.person_id, *order]
    # the staged accounts are unassigned, so the demo's collector may trace them
    w.account_overrides[0] = {"stale": True, "period": -2, "flags": "", "status": "open",
                              "assigned_to": ""}
    w.account_overrides[1] = {"flags": "bankruptcy", "status": "open", "assigned_to": ""}
    return w


# ---------------------------------------------------------------------------------------
# CSV output and CLI
# ---------------------------------------------------------------------------------------


def write_csv(path, rows: Iterable[dict], columns: Sequence[str]) -> int:
    """Write ``rows`` (dicts; missing keys become "") as UTF-8 CSV with a header."""
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    n = 0
    cols = tuple(columns)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for row in rows:
            w.writerow([row.get(c, "") for c in cols])
            n += 1
    return n


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tracer_dev.synthetic",
                                 description="Write a synthetic (fake) skip-tracing world as CSV.")
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--accounts", type=int, default=None,
                    help="number of portfolio rows (default: account_rate * people)")
    ap.add_argument("--records-per-person", type=float, default=3.0)
    ap.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    ap.add_argument("--demo", action="store_true", help="write the demo world instead")
    ap.add_argument("--by-source", action="store_true",
                    help="also write records_<source>.csv per source and record_sources.csv")
    args = ap.parse_args(argv)

    if args.demo:
        world = demo_world()
    else:
        world = generate_world(args.people, seed=args.seed, as_of=args.as_of,
                               records_per_person=args.records_per_person)
    out = args.out
    os.makedirs(out, exist_ok=True)
    n_acc = write_csv(os.path.join(out, "accounts.csv"), world.account_rows(args.accounts),
                      PORTFOLIO_COLUMNS)
    n_rec = write_csv(os.path.join(out, "records.csv"), world.record_rows(), RECORD_COLUMNS)
    write_csv(os.path.join(out, "truth_records.csv"),
              ({"record_id": k, "person_id": v} for k, v in world.record_truth().items()),
              TRUTH_RECORD_COLUMNS)
    write_csv(os.path.join(out, "truth_accounts.csv"),
              ({"account_id": k, "person_id": v}
               for k, v in world.account_truth(args.accounts).items()),
              TRUTH_ACCOUNT_COLUMNS)
    if args.by_source:
        for name in SOURCE_NAMES:
            write_csv(os.path.join(out, f"records_{name}.csv"), world.record_rows(name),
                      RECORD_COLUMNS)
        write_csv(os.path.join(out, "record_sources.csv"),
                  ({"record_id": k, "source": v} for k, v in world.record_sources().items()),
                  ("record_id", "source"))
    print(f"wrote {len(world.people)} people, {n_acc} accounts, {n_rec} records to {out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":   # pragma: no cover
    raise SystemExit(main())
