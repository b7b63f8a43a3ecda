"""How sources print what they saw: date forms, name orders, street spellings, typos.

Each function takes the true value and the caller's random stream and returns text;
address rendering also says whether the result is still *legible*: the street line and
ZIP survived (no typo), so that a canonicalizer can tell it is the true address.  Unit
designators, suffix and direction spellings, case, spelled-out states and ZIP+4 do not
hurt legibility; they are the variation a normalizer must absorb.
"""

from __future__ import annotations

from datetime import date
from random import Random

from tracer_dev import synthetic as _syn

from .canon import street_key
from .people import Person, Place

__all__ = ["fmt_date", "dob_text", "name_parts", "full_name", "street_parts", "phone_text",
           "state_text", "zip_text", "city_text", "typo", "STATE_NAMES"]

NICKNAMES = _syn.NICKNAMES
_LONG_SUFFIX = _syn._STREET_TYPES                 # ST -> STREET ...
_LONG_DIRECTION = {"N": "NORTH", "S": "SOUTH", "E": "EAST", "W": "WEST"}
STATE_NAMES = {
    "AL": "ALABAMA", "AR": "ARKANSAS", "AZ": "ARIZONA", "CA": "CALIFORNIA", "CO": "COLORADO",
    "CT": "CONNECTICUT", "GA": "GEORGIA", "IA": "IOWA", "ID": "IDAHO", "IL": "ILLINOIS",
    "IN": "INDIANA", "KY": "KENTUCKY", "MI": "MICHIGAN", "MN": "MINNESOTA", "MO": "MISSOURI",
    "NC": "NORTH CAROLINA", "NE": "NEBRASKA", "NM": "NEW MEXICO", "NY": "NEW YORK",
    "OH": "OHIO", "OK": "OKLAHOMA", "OR": "OREGON", "PA": "PENNSYLVANIA", "TN": "TENNESSEE",
    "TX": "TEXAS", "UT": "UTAH", "VA": "VIRGINIA", "WI": "WISCONSIN",
}


def typo(text: str, rng: Random) -> str:
    """One swapped, dropped or substituted character (tracer_dev.synthetic's typo model)."""
    return _syn._typo(text, rng)


def fmt_date(day: int | None, form: str) -> str:
    if day is None:
        return ""
    d = date.fromordinal(day)
    if form == "iso":
        return d.isoformat()
    if form == "mdy":
        return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"
    if form == "ymd":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if form == "mdyy":
        return f"{d.month}/{d.day}/{d.year % 100:02d}"
    raise ValueError(form)


def dob_text(p: Person, rng: Random, form: str, *, missing: float, year_only: float,
             transposed: float) -> str:
    rr = rng.random
    if rr() < missing:
        return ""
    d = date.fromordinal(p.dob)
    if rr() < year_only:
        return str(d.year)
    if d.day <= 12 and d.day != d.month and rr() < transposed:
        d = date(d.year, d.day, d.month)
    return fmt_date(d.toordinal(), form)


def _title(word: str) -> str:
    return word.upper() if word[:1].isdigit() else word.title()      # 1ST, not 1St


def _case(text: str, case: str) -> str:
    if case == "title":
        return " ".join(_title(w) for w in text.split(" "))
    return text.lower() if case == "lower" else text.upper()


def name_parts(p: Person, rng: Random, *, typo_rate: float, nickname: float,
               suffix_drop: float, middle: str = "mixed", case: str = "upper") -> tuple:
    """(first, middle, last, suffix) as one source prints them."""
    rr = rng.random
    first, last = p.first, p.last
    if first in NICKNAMES and rr() < nickname:
        nicks = NICKNAMES[first]
        first = nicks[int(rr() * len(nicks))]
    if rr() < typo_rate:
        first = typo(first, rng)
    if rr() < typo_rate:
        last = typo(last, rng)
    mid = p.middle
    if middle == "initial" or (middle == "mixed" and rr() < 0.5):
        mid = mid[:1]
    if middle == "none" or rr() < 0.15:
        mid = ""
    suffix = "" if rr() < suffix_drop else p.suffix
    return _case(first, case), _case(mid, case), _case(last, case), suffix


def full_name(parts: tuple, order: str) -> str:
    first, mid, last, suffix = parts
    if order == "last_first":
        rest = " ".join(x for x in (first, mid, suffix) if x)
        return f"{last}, {rest}"
    return " ".join(x for x in (first, mid, last, suffix) if x)


def street_parts(place: Place, rng: Random, *, long_forms: float, inline_unit: float,
                 typo_rate: float, case: str = "upper") -> tuple[str, str, bool]:
    """(street, unit, legible): suffix/direction spellings, units inline or apart."""
    rr = rng.random
    words = place.street.split()
    if rr() < long_forms:
        words[-1] = _LONG_SUFFIX.get(words[-1], words[-1])
    if len(words) > 2 and words[1] in _LONG_DIRECTION and rr() < long_forms:
        words[1] = _LONG_DIRECTION[words[1]]
    street = " ".join(words)
    if rr() < typo_rate:
        street = typo(street, rng)
    unit = place.unit
    if unit:
        designator, number = unit.split(" ", 1)
        x = rr()
        if x < 0.2:
            unit = f"#{number}"
        elif x < 0.35:
            unit = f"{'APARTMENT' if designator == 'APT' else designator} {number}"
    street, unit = _case(street, case), _case(unit, case)
    legible = street_key(street, unit) == street_key(place.street, place.unit)
    if unit and rr() < inline_unit:
        return f"{street} {unit}", "", legible
    return street, unit, legible


def city_text(place: Place, rng: Random, *, case: str, typo_rate: float) -> str:
    city = place.city
    if rng.random() < typo_rate:
        city = typo(city, rng)
    return _case(city, case)


def state_text(place: Place, rng: Random, spelled: float, case: str = "upper") -> str:
    if rng.random() < spelled:
        return _case(STATE_NAMES[place.state], case)
    return place.state


def zip_text(place: Place, rng: Random, *, plus4: float, typo_rate: float) -> tuple[str, bool]:
    z = place.zip
    legible = True
    if rng.random() < typo_rate:
        i = int(rng.random() * 5)
        z = z[:i] + str((int(z[i]) + 1 + int(rng.random() * 9)) % 10) + z[i + 1:]
        legible = False
    if rng.random() < plus4:
        z = f"{z}-{place.zip4}"
    return z, legible


_PHONE_FORMS = ("({a}) {x}-{l}", "{a}-{x}-{l}", "{a}{x}{l}", "1{a}{x}{l}", "+1 {a} {x} {l}",
                "+1{a}{x}{l}", "{a}.{x}.{l}")


def phone_text(e164: str, rng: Random, forms: tuple[int, ...]) -> str:
    """One of a source's habitual phone forms (indexes into _PHONE_FORMS)."""
    a, x, l_ = e164[2:5], e164[5:8], e164[8:]
    form = _PHONE_FORMS[forms[int(rng.random() * len(forms))]]
    return form.format(a=a, x=x, l=l_)
