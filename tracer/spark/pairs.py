"""Comparing and scoring the candidate pairs per partition (``mapInArrow``), with the
engine's own functions: :func:`.levels.pair_levels`, :func:`.guards.household_pairs`,
:func:`.resolve.score_pairs`.  Each is pair by pair given the whole table (term
frequencies are the table's), so a partition of the pairs gets exactly the values the
whole array gets in process.  The table travels once per executor as a broadcast.

EM needs only how many pairs show each level pattern, per rule: :func:`pattern_counts`
groups by (rule mask, levels) on the executors and hands the driver a few thousand rows.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..matching.guards import household_comparisons, household_pairs
from ..matching.levels import pair_levels
from ..matching.resolve import score_pairs

#: Pairs per Arrow batch: enough for the comparisons' vectorized paths (rapidfuzz
#: threads from 20,000 pairs), few enough to bound an executor's memory.
BATCH_PAIRS = 200_000


def level_names(count: int) -> list[str]:
    return [f"g{c}" for c in range(count)]


def compared(pairs, table_bc, comparisons: Sequence, extra: dict, *, drop_households: bool):
    """``l, r, mask, g0..`` for the pairs that are not households (when dropped)."""
    import pyarrow as pa

    comparisons = tuple(comparisons)
    names = level_names(len(comparisons))
    schema = "l long, r long, mask long, " + ", ".join(f"{g} byte" for g in names)

    def run(batches):
        table = table_bc.value
        wanted = household_comparisons(comparisons, extra) if drop_households else []
        for batch in batches:
            left = batch.column("l").to_numpy().astype(np.int64)
            right = batch.column("r").to_numpy().astype(np.int64)
            mask = batch.column("mask").to_numpy().astype(np.int64)
            known = None
            if drop_households:
                levels = pair_levels([comparisons[c] for c in wanted], table, left, right)
                known = {c: levels[:, k] for k, c in enumerate(wanted)}
                drop = household_pairs(comparisons, extra, known, len(left))
                if drop.any():
                    keep = ~drop
                    left, right, mask = left[keep], right[keep], mask[keep]
                    known = {c: v[keep] for c, v in known.items()}
            gammas = pair_levels(comparisons, table, left, right, known=known)
            yield pa.RecordBatch.from_arrays(
                [pa.array(left), pa.array(right), pa.array(mask),
                 *[pa.array(gammas[:, c]) for c in range(len(comparisons))]],
                names=["l", "r", "mask", *names])

    return pairs.mapInArrow(run, schema)


def pattern_counts(frame, count: int, rules: int):
    """(patterns in :func:`.em.level_patterns` order, pairs per pattern, per rule the pairs
    per pattern): the counts :func:`.training.train_on_patterns` trains on."""
    names = level_names(count)
    rows = frame.groupBy("mask", *names).count().collect()
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros((0, count), dtype=np.int8), empty, [empty.copy() for _ in range(rules)]
    levels = np.array([[row[g] for g in names] for row in rows], dtype=np.int8)
    masks = np.array([row["mask"] for row in rows], dtype=np.int64)
    n = np.array([row["count"] for row in rows], dtype=np.int64)
    # distinct rows, lexicographic: the order level_patterns' mixed-radix keys sort in
    patterns, which = np.unique(levels, axis=0, return_inverse=True)
    which = which.reshape(-1)
    counts = np.bincount(which, weights=n, minlength=len(patterns)).astype(np.int64)
    per_rule = []
    for r in range(rules):
        hit = (masks & (1 << r)) != 0
        per_rule.append(np.bincount(which[hit], weights=n[hit],
                                    minlength=len(patterns)).astype(np.int64))
    return patterns, counts, per_rule


def scored(frame, table_bc, model, count: int):
    """``l, r, g0.., tf<c>.., weight, probability, allowed, evidence, tolerance``."""
    import pyarrow as pa

    names = level_names(count)
    empty = np.zeros(0, dtype=np.int64)
    tf_columns = sorted(score_pairs(model, table_bc.value, empty, empty,
                                    np.zeros((0, count), dtype=np.int8))[0])
    schema = ("l long, r long, " + "".join(f"{g} byte, " for g in names)
              + "".join(f"tf{c} float, " for c in tf_columns)
              + "weight double, probability double, allowed boolean, evidence boolean, "
                "tolerance byte")

    def run(batches):
        table = table_bc.value
        for batch in batches:
            left = batch.column("l").to_numpy().astype(np.int64)
            right = batch.column("r").to_numpy().astype(np.int64)
            gammas = np.empty((len(left), count), dtype=np.int8)
            for c, g in enumerate(names):
                gammas[:, c] = batch.column(g).to_numpy()
            tf, weight, probability, allowed, evidence, tolerance = score_pairs(
                model, table, left, right, gammas)
            yield pa.RecordBatch.from_arrays(
                [pa.array(left), pa.array(right),
                 *[pa.array(gammas[:, c]) for c in range(count)],
                 *[pa.array(tf[c].astype(np.float32)) for c in tf_columns],
                 pa.array(weight.astype(np.float64)), pa.array(probability.astype(np.float64)),
                 pa.array(allowed.astype(bool)), pa.array(evidence.astype(bool)),
                 pa.array(tolerance.astype(np.int8))],
                names=["l", "r", *names, *[f"tf{c}" for c in tf_columns], "weight",
                       "probability", "allowed", "evidence", "tolerance"])

    return frame.select("l", "r", *names).mapInArrow(run, schema), tf_columns


def collected(frame, n: int, count: int, tf_columns: Sequence[int]) -> dict:
    """The scored pairs on the driver as arrays, in the in-process order (by left, right)."""
    arrow = frame.toArrow()
    left = arrow.column("l").to_numpy().astype(np.int64)
    right = arrow.column("r").to_numpy().astype(np.int64)
    order = np.argsort(left * max(n, 1) + right, kind="stable")

    def col(name, dtype):
        return arrow.column(name).to_numpy(zero_copy_only=False).astype(dtype)[order]

    gammas = np.empty((len(left), count), dtype=np.int8)
    for c in range(count):
        gammas[:, c] = col(f"g{c}", np.int8)
    return {"left": left[order], "right": right[order], "gammas": gammas,
            "tf": {c: col(f"tf{c}", np.float32) for c in tf_columns},
            "weight": col("weight", np.float64), "probability": col("probability", np.float64),
            "allowed": col("allowed", bool), "evidence": col("evidence", bool),
            "tolerance": col("tolerance", np.int8)}
