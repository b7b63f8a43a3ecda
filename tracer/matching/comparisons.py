"""Comparisons as data: each field is an ordered bundle of labelled levels
(null → exact → fuzzy tiers → else), evaluated first-match-wins, as in Splink.

A level's ``kind`` names a test from :data:`LEVEL_KINDS`; its ``params`` configure it.
The whole set serialises to JSON, so a saved model says exactly how it compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from .features import Features
from .normalize import dates_transposed, nickname_roots

Test = Callable[[Any, Any, Features, Features], bool]


def _jw(a: str, b: str) -> float:
    return JaroWinkler.similarity(a, b)


def _null(a, b, fa, fb):
    return a is None or b is None


def _exact(a, b, fa, fb):
    return a is not None and a == b


def _jaro_winkler(threshold: float) -> Test:
    return lambda a, b, fa, fb: a is not None and b is not None and \
        _jw(str(a), str(b)) >= threshold


def _nickname(a, b, fa, fb):
    if fa.first_root and fa.first_root == fb.first_root:
        return True
    return bool(nickname_roots(a) & nickname_roots(b))


def _crossed(other: str, threshold: float) -> Test:
    """This column and ``other`` keyed the other way round in one of the two records."""
    def test(a, b, fa, fb):
        oa, ob = getattr(fa, other, None), getattr(fb, other, None)
        return None not in (a, b, oa, ob) and _jw(str(a), str(ob)) >= threshold and \
            _jw(str(oa), str(b)) >= threshold
    return test


def _names_swapped(threshold: float) -> Test:
    """First and last name keyed the other way round (``SMITH JOHN`` for ``JOHN SMITH``)."""
    crossed = _crossed("last", threshold)
    return lambda a, b, fa, fb: bool(fa.first and fa.last and fb.first and fb.last) and \
        crossed(fa.first, fb.first, fa, fb)


def _initial(a, b, fa, fb):
    return (len(a) == 1 or len(b) == 1) and a[0] == b[0]


def _phonetic(key_attr: str) -> Test:
    return lambda a, b, fa, fb: bool(getattr(fa, key_attr)) and \
        getattr(fa, key_attr) == getattr(fb, key_attr)


def _dob_exact(a, b, fa, fb):
    return fa.dob is not None and fa.dob == fb.dob


def _dob_transposed(a, b, fa, fb):
    return fa.dob is not None and fb.dob is not None and dates_transposed(fa.dob, fb.dob)


def _dob_year_only(a, b, fa, fb):
    return (fa.dob is None or fb.dob is None) and fa.dob_year == fb.dob_year


def _dob_close(a, b, fa, fb):
    if fa.dob is None or fb.dob is None:
        return False
    return Levenshtein.distance(fa.dob.isoformat(), fb.dob.isoformat()) <= 1


def iso_dobs_near(x: str, y: str) -> bool:
    """Two ISO dates a typo apart: day/month transposed, or at most two characters of
    YYYYMMDD off (a swap of neighbours counts as one) with the years under ten apart.
    A Jr and a Sr (~25 years apart) or siblings years apart are never near."""
    if x == y:
        return True
    if len(x) == len(y) == 10 and x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]:
        return True
    try:
        if abs(int(x[:4]) - int(y[:4])) >= 10:
            return False
    except ValueError:
        return False
    return OSA.distance(x.replace("-", ""), y.replace("-", "")) <= 2


def _dob_near(a, b, fa, fb):
    if fa.dob is None or fb.dob is None:
        return False
    return iso_dobs_near(fa.dob.isoformat(), fb.dob.isoformat())


def _dob_null(a, b, fa, fb):
    return fa.dob_year is None or fb.dob_year is None


def _same_zip_street(threshold: float) -> Test:
    def test(a, b, fa, fb):
        return (fa.zip5 is not None and fa.zip5 == fb.zip5 and fa.street is not None
                and fb.street is not None and _jw(fa.street, fb.street) >= threshold)
    return test


def _same_zip(a, b, fa, fb):
    return fa.zip5 is not None and fa.zip5 == fb.zip5


def _same_area(a, b, fa, fb):
    """The same three-digit ZIP area (a city, a county): a move across town."""
    return fa.zip5 is not None and fb.zip5 is not None and fa.zip5[:3] == fb.zip5[:3]


def _same_street(a, b, fa, fb):
    """The same delivery line under another ZIP: a ZIP typo, or a city renamed."""
    return fa.street is not None and fa.street == fb.street


def _seen_together(fa, fb, min_days: int) -> bool:
    """Were the two records' sightings at the same time, for more than ``min_days``?"""
    if not (fa.first_seen and fa.last_seen and fb.first_seen and fb.last_seen):
        return False
    start, end = max(fa.first_seen, fb.first_seen), min(fa.last_seen, fb.last_seen)
    return (end - start).days > min_days


def _same_zip_seen_together(min_days: int) -> Test:
    """The same ZIP, another street, both seen at the same time: two households."""
    return lambda a, b, fa, fb: _same_zip(a, b, fa, fb) and _seen_together(fa, fb, min_days)


def _seen_together_elsewhere(min_days: int) -> Test:
    return lambda a, b, fa, fb: _seen_together(fa, fb, min_days)


def _address_null(a, b, fa, fb):
    return (fa.street is None and fa.zip5 is None) or (fb.street is None and fb.zip5 is None)


def _suffix_null(a, b, fa, fb):
    return a is None and b is None


def _one_missing(a, b, fa, fb):
    return a is None or b is None


LEVEL_KINDS: dict[str, Callable[..., Test]] = {
    "null": lambda: _null,
    "exact": lambda: _exact,
    "jaro_winkler": _jaro_winkler,
    "nickname": lambda: _nickname,
    "initial": lambda: _initial,
    "swapped": _names_swapped,
    "crossed": _crossed,
    "phonetic": _phonetic,
    "dob_null": lambda: _dob_null,
    "dob_exact": lambda: _dob_exact,
    "dob_transposed": lambda: _dob_transposed,
    "dob_year_only": lambda: _dob_year_only,
    "dob_close": lambda: _dob_close,
    "dob_near": lambda: _dob_near,
    "same_zip_street": _same_zip_street,
    "same_zip": lambda: _same_zip,
    "same_street": lambda: _same_street,
    "same_area": lambda: _same_area,
    "same_zip_seen_together": _same_zip_seen_together,
    "seen_together": _seen_together_elsewhere,
    "address_null": lambda: _address_null,
    "both_missing": lambda: _suffix_null,
    "one_missing": lambda: _one_missing,
    "else": lambda: (lambda a, b, fa, fb: True),
}


@dataclass(frozen=True)
class Level:
    label: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    #: ``null`` levels carry no evidence (Bayes factor 1); ``agree`` levels corroborate.
    is_null: bool = False
    agree: bool = False

    def build(self) -> Test:
        return LEVEL_KINDS[self.kind](**self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "params": self.params,
                "is_null": self.is_null, "agree": self.agree}


@dataclass(frozen=True)
class Comparison:
    name: str
    attribute: str
    levels: tuple[Level, ...]
    #: a hard identifier: disagreement at the ``else`` level forbids a merge.
    hard: bool = False

    def compile(self) -> Callable[[Features, Features], int]:
        tests = [lvl.build() for lvl in self.levels]
        attr = self.attribute

        def level_of(fa: Features, fb: Features) -> int:
            a, b = getattr(fa, attr), getattr(fb, attr)
            for index, test in enumerate(tests):
                if test(a, b, fa, fb):
                    return index
            return len(tests) - 1
        return level_of

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "attribute": self.attribute, "hard": self.hard,
                "levels": [lvl.to_dict() for lvl in self.levels]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Comparison":
        return cls(data["name"], data["attribute"],
                   tuple(Level(**lvl) for lvl in data["levels"]), data.get("hard", False))


def L(label, kind, *, null=False, agree=False, **params) -> Level:
    return Level(label, kind, params, null, agree)


def _levenshtein_at_most(limit: int) -> Test:
    return lambda a, b, fa, fb: Levenshtein.distance(str(a), str(b)) <= limit


def _osa_at_most(limit: int) -> Test:
    """Edits where swapping two neighbouring characters counts as one (a keying slip)."""
    return lambda a, b, fa, fb: OSA.distance(str(a), str(b)) <= limit


def _date_transposed(a, b, fa, fb):
    return len(a) == len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]


def _same_year(a, b, fa, fb):
    return a[:4] == b[:4]


LEVEL_KINDS.update({
    "levenshtein": _levenshtein_at_most,
    "osa": _osa_at_most,
    "date_transposed": lambda: _date_transposed,
    "same_year": lambda: _same_year,
})


def extra_comparison(column: str, kind: str, crossed_with: Sequence[str] = ()) -> Comparison:
    """The comparison for an extra column declared ``--compare COLUMN=KIND``.

    ``identifier`` (a full id such as FEBRL's soc_sec_id) corroborates a merge and is
    hard: two different full ids forbid it.  Typos are tolerated by the one-edit level.
    ``crossed_with``: the other columns of a group declared together
    (``--compare address_1,address_2=text``), whose values a keying slip may have put in
    this column: a level "swapped with OTHER" catches the two values crossed over.
    """
    comp = _extra_comparison(column, kind)
    if not crossed_with:
        return comp
    threshold = 0.9 if kind in ("text", "name") else 1.0
    crossed = tuple(L(f"swapped with {other}", "crossed", agree=kind != "name", other=other,
                      threshold=threshold) for other in crossed_with)
    # after exact and the levels that agree in place, before the weaker fuzzy ones
    cut = 2
    while comp.levels[cut].agree:
        cut += 1
    return Comparison(comp.name, comp.attribute, comp.levels[:cut] + crossed + comp.levels[cut:],
                      comp.hard)


def _extra_comparison(column: str, kind: str) -> Comparison:
    if kind == "identifier":
        return Comparison(column, column, (
            L("null", "null", null=True), L("exact", "exact", agree=True),
            L("one edit", "osa", agree=True, limit=1),
            L("two edits", "osa", limit=2), L("else", "else")))
    if kind == "name":
        return Comparison(column, column, (
            L("null", "null", null=True), L("exact", "exact"),
            L("jw>=0.92", "jaro_winkler", threshold=0.92),
            L("jw>=0.88", "jaro_winkler", threshold=0.88), L("else", "else")))
    if kind == "date":
        return Comparison(column, column, (
            L("null", "null", null=True), L("exact", "exact", agree=True),
            L("transposed", "date_transposed", agree=True),
            L("one digit off", "levenshtein", limit=1), L("same year", "same_year"),
            L("else", "else")))
    if kind == "exact":
        return Comparison(column, column, (
            L("null", "null", null=True), L("exact", "exact", agree=True), L("else", "else")))
    if kind == "text":
        return Comparison(column, column, (
            L("null", "null", null=True), L("exact", "exact", agree=True),
            L("jw>=0.9", "jaro_winkler", agree=True, threshold=0.9),
            L("jw>=0.8", "jaro_winkler", threshold=0.8), L("else", "else")))
    raise ValueError(f"unknown comparison kind {kind!r}: use identifier, name, date, exact "
                     "or text")


#: Default m of a "swapped with" level: as rare among matches as a typo (EM re-estimates).
CROSSED_DEFAULT_M = 0.05

#: Default m for an extra comparison's levels (EM re-estimates them), by kind.
EXTRA_DEFAULT_M = {
    "identifier": {"exact": 0.85, "one edit": 0.08, "two edits": 0.03, "else": 0.04},
    "name": {"exact": 0.85, "jw>=0.92": 0.07, "jw>=0.88": 0.03, "else": 0.05},
    "date": {"exact": 0.85, "transposed": 0.02, "one digit off": 0.07, "same year": 0.02,
             "else": 0.04},
    "exact": {"exact": 0.9, "else": 0.1},
    "text": {"exact": 0.8, "jw>=0.9": 0.1, "jw>=0.8": 0.05, "else": 0.05},
}


#: The comparisons used to match people (trace and resolve).
PEOPLE_COMPARISONS: tuple[Comparison, ...] = (
    Comparison("first_name", "first", (
        L("null", "null", null=True), L("exact", "exact"), L("nickname", "nickname"),
        L("jw>=0.92", "jaro_winkler", threshold=0.92),
        L("jw>=0.88", "jaro_winkler", threshold=0.88),
        # one slip in a short name (AMY / WMY) that Jaro-Winkler scores low
        L("one edit", "osa", limit=1),
        L("swapped", "swapped", threshold=0.88),
        L("initial", "initial"), L("else", "else"))),
    # Middle names separate two JAMES SMITHs in one town; a Jr and a Sr share theirs.
    Comparison("middle_name", "middle", (
        L("null", "null", null=True), L("exact", "exact"),
        L("jw>=0.88", "jaro_winkler", threshold=0.88),
        L("initial", "initial"), L("else", "else"))),
    Comparison("last_name", "last", (
        L("null", "null", null=True), L("exact", "exact"),
        L("jw>=0.92", "jaro_winkler", threshold=0.92),
        L("jw>=0.88", "jaro_winkler", threshold=0.88),
        L("phonetic", "phonetic", key_attr="last_key"),
        L("swapped", "swapped", threshold=0.88), L("else", "else"))),
    Comparison("dob", "dob_year", (
        L("null", "dob_null", null=True), L("exact", "dob_exact", agree=True),
        L("transposed", "dob_transposed", agree=True),
        L("year only", "dob_year_only", agree=True),
        L("one digit off", "dob_close", agree=True),
        # A small typo apart: soft evidence, allowed only when an identifier or strong
        # name evidence vouches for the pair (tracer.matching.resolve); never a Jr/Sr gap.
        L("near", "dob_near"), L("else", "else")), hard=True),
    Comparison("ssn_last4", "ssn_last4", (
        L("null", "null", null=True), L("exact", "exact"), L("else", "else")), hard=True),
    Comparison("address", "addr_key", (
        L("null", "address_null", null=True), L("exact", "exact", agree=True),
        L("same zip, street ~", "same_zip_street", agree=True, threshold=0.9),
        L("same street, other zip", "same_street", agree=True),
        # One person lives at one address at a time: two addresses seen over the same
        # months are two people's (a move shows as one window after the other).
        L("same zip, seen at once", "same_zip_seen_together", min_days=90),
        L("same zip", "same_zip"),
        L("elsewhere, seen at once", "seen_together", min_days=90),
        L("same area", "same_area"),
        L("else", "else"))),
    Comparison("phone", "phone", (
        L("null", "null", null=True), L("exact", "exact", agree=True), L("else", "else"))),
    Comparison("email", "email", (
        L("null", "null", null=True), L("exact", "exact", agree=True), L("else", "else"))),
    Comparison("suffix", "suffix", (
        L("both missing", "both_missing", null=True), L("exact", "exact"),
        L("one missing", "one_missing"), L("conflict", "else")), hard=True),
)
