"""The bulk comparison path gives the same level as the scalar one, pair for pair."""

from __future__ import annotations

import random

import numpy as np

from tracer.matching.comparisons import PEOPLE_COMPARISONS
from tracer.matching.features import features_of
from tracer.matching.levels import pair_levels
from tracer.matching.model import default_model
from tracer.matching.table import RecordTable
from tracer.synthetic import generate_world


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
