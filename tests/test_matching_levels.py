"""The bulk comparison path gives the same level as the scalar one, pair for pair."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tracer.matching.comparisons import PEOPLE_COMPARISONS
from tracer.matching.features import features_of
from tracer.matching.levels import pair_levels
from tracer.matching.model import default_model
from tracer.matching.table import RecordTable
from tracer_dev.synthetic import generate_world


def test_vectorized_levels_equal_scalar_levels():
    rows = list(generate_world(150, seed=5).record_rows())
    table = RecordTable.from_rows(rows)
    features = [features_of(r, key=r["record_id"], source="x") for r in rows]
    rng = random.Random(3)
    pairs = [(rng.randrange(len(rows)), rng.randrange(len(rows))) for _ in range(3000)]
    # plus pairs that agree on surname, where the fuzzy levels matter
    by_last: dict = {}
    for i, f in enumerate(features):
        by_last.setdefault(f.last_key, []).append(i)
    pairs += [(a, b) for group in by_last.values() for a in group[:6] for b in group[:6] if a < b]
    left = np.array([a for a, _ in pairs])
    right = np.array([b for _, b in pairs])
    gammas = pair_levels(PEOPLE_COMPARISONS, table, left, right)
    model = default_model()
    for k, (a, b) in enumerate(pairs):
        assert tuple(gammas[k]) == model.levels(features[a], features[b]), (rows[a], rows[b])


def _row(**kw):
    return {"record_id": kw.pop("record_id", "x"), **kw}


# (record a, record b, comparison, level label): real-world-looking pairs, each checked
# through the scalar path (one trace) and the bulk path (resolve).
LEVEL_CASES = [
    (_row(first_name="Amy", last_name="Hughes"), _row(full_name="HUGHES, WMY D"),
     "first_name", "one edit"),
    (_row(first_name="Mary", last_name="Thomas"), _row(full_name="TOHMAS, MAPY J"),
     "first_name", "one edit"),
    (_row(first_name="Thomas", last_name="Bruhn"), _row(first_name="Bruhn", last_name="Thomas"),
     "first_name", "swapped"),
    (_row(first_name="Thomas", last_name="Bruhn"), _row(first_name="Bruhn", last_name="Thomas"),
     "last_name", "swapped"),
    (_row(first_name="Jasmyn", last_name="White"), _row(first_name="White", last_name="Jasmin"),
     "last_name", "swapped"),
    (_row(first_name="Ann", last_name="Lee"), _row(first_name="Lee", last_name="Ann"),
     "first_name", "swapped"),
    (_row(first_name="Michael", middle_name="David", last_name="Clark"),
     _row(first_name="Mike", middle_name="D", last_name="Clark"), "middle_name", "initial"),
    (_row(first_name="James", middle_name="Robert", last_name="Smith"),
     _row(first_name="James", middle_name="Robert", last_name="Smith"), "middle_name", "exact"),
    (_row(first_name="James", middle_name="Roberto", last_name="Smith"),
     _row(first_name="James", middle_name="Robert", last_name="Smith"), "middle_name", "jw>=0.88"),
    (_row(first_name="James", middle_name="T", last_name="Smith"),
     _row(first_name="James", middle_name="Robert", last_name="Smith"), "middle_name", "else"),
    (_row(first_name="James", last_name="Smith"),
     _row(first_name="James", middle_name="Robert", last_name="Smith"), "middle_name", "null"),
    (_row(street="7491 2nd St", city="Denver", state="CO", zip="80203"),
     _row(street="7491 2ND STREET", city="Denver", state="CO", zip="80202"),
     "address", "same street, other zip"),
    (_row(street="7491 2nd St", city="Denver", state="CO", zip="80203"),
     _row(street="12 Oak Ave", city="Denver", state="CO", zip="80203"), "address", "same zip"),
    (_row(city="Denver", state="CO", zip="80203"), _row(city="Denver", state="CO", zip="80203"),
     "address", "same zip"),
    (_row(street="7491 2nd St", city="Denver", state="CO", zip="80203"),
     _row(street="12 Oak Ave", city="Denver", state="CO", zip="80219"), "address", "same area"),
    (_row(street="7491 2nd St", city="Denver", state="CO", zip="80203"),
     _row(street="12 Oak Ave", city="Boulder", state="CO", zip="80302"), "address", "else"),
    (_row(street="7491 2nd St", city="Denver", state="CO", zip="80203"),
     _row(street="12 Oak Ave", city="Denver", state="CO", zip="8021"), "address", "else"),
    (_row(first_name="Al"), _row(street="12 Oak Ave", city="Denver", state="CO", zip="80203"),
     "address", "null"),
]


@pytest.mark.parametrize("a, b, comparison, label", LEVEL_CASES)
def test_comparison_levels_table(a, b, comparison, label):
    model = default_model()
    names = [c.name for c in model.comparisons]
    comp = model.comparisons[names.index(comparison)]
    scalar = model.levels(features_of(a, key="a", source="x"), features_of(b, key="b", source="x"))
    assert comp.levels[scalar[names.index(comparison)]].label == label
    table = RecordTable.from_rows([{**a, "record_id": "a"}, {**b, "record_id": "b"}])
    bulk = pair_levels(model.comparisons, table, np.array([0]), np.array([1]))
    assert tuple(bulk[0]) == scalar


@pytest.mark.parametrize("seen_a, seen_b, label", [
    (("2019-01-01", "2021-06-30"), ("2021-08-01", "2024-01-01"), "same zip"),       # a move
    (("2019-01-01", "2023-06-30"), ("2021-08-01", "2024-01-01"), "same zip, seen at once"),
    (("2019-01-01", "2021-09-15"), ("2021-08-01", "2024-01-01"), "same zip"),       # 45 days
    ((None, None), ("2021-08-01", "2024-01-01"), "same zip"),                       # unknown
])
def test_two_addresses_seen_at_once_are_two_households(seen_a, seen_b, label):
    a = _row(street="12 Oak Ave", city="Denver", state="CO", zip="80203",
             first_seen=seen_a[0], last_seen=seen_a[1])
    b = _row(street="98 Elm St", city="Denver", state="CO", zip="80203",
             first_seen=seen_b[0], last_seen=seen_b[1])
    test_comparison_levels_table(a, b, "address", label)
    far = {**b, "city": "Austin", "state": "TX", "zip": "78701"}
    expected = "elsewhere, seen at once" if label == "same zip, seen at once" else "else"
    test_comparison_levels_table(a, far, "address", expected)


@pytest.mark.parametrize("kind, labels", [
    ("text", ["null", "exact", "jw>=0.9", "swapped with b", "jw>=0.8", "else"]),
    ("identifier", ["null", "exact", "one edit", "swapped with b", "two edits", "else"]),
    ("name", ["null", "exact", "swapped with b", "jw>=0.92", "jw>=0.88", "else"]),
    ("exact", ["null", "exact", "swapped with b", "else"]),
])
def test_a_grouped_column_gets_its_swapped_level_after_the_agreeing_ones(kind, labels):
    from tracer.matching.comparisons import extra_comparison

    comp = extra_comparison("a", kind, ["b"])
    assert [lvl.label for lvl in comp.levels] == labels
    assert extra_comparison("a", kind).levels == tuple(
        lvl for lvl in comp.levels if lvl.kind != "crossed")
