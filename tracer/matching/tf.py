"""Term-frequency adjustment: agreeing on a rare surname says more than agreeing on SMITH.

For a pair that agrees exactly on value ``v``, the level's u (the chance two random
records agree on *some* value) is replaced by the chance they agree on *this* value,
tf(v) = share of records carrying v.  The adjustment added to the pair's match weight is
log2(u_exact / tf(v)), clipped so a one-off typo'd spelling cannot dominate a score, and
kept as its own line in the explanation.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

#: Comparisons adjusted by default (their exact level), and the attribute whose value counts.
TF_COMPARISONS = {"first_name": "first", "last_name": "last"}
MIN_ADJUSTMENT, MAX_ADJUSTMENT = -5.0, 6.0


def term_frequencies(values: np.ndarray, *, min_count: int = 1) -> dict[str, float]:
    """Share of non-missing records per value (values seen fewer than ``min_count``
    times are left out; they get the floor of one record)."""
    present = [v for v in values if v is not None]
    if not present:
        return {}
    uniq, counts = np.unique(np.asarray(present, dtype=object).astype(str), return_counts=True)
    total = float(len(present))
    return {str(v): c / total for v, c in zip(uniq, counts) if c >= min_count}


def tf_adjustments(values: np.ndarray, frequencies: Mapping[str, float], u_exact: float,
                   floor: float) -> np.ndarray:
    """log2(u_exact / tf(v)) for each agreeing value ``v`` in ``values``."""
    tf = np.fromiter((frequencies.get(v, floor) for v in values), dtype=float,
                     count=len(values))
    adj = np.log2(max(u_exact, 1e-12) / np.maximum(tf, 1e-12))
    return np.clip(adj, MIN_ADJUSTMENT, MAX_ADJUSTMENT)


def tf_adjustment_one(value: str | None, frequencies: Mapping[str, float], u_exact: float,
                      floor: float) -> float:
    if value is None:
        return 0.0
    return float(tf_adjustments(np.array([value], dtype=object), frequencies, u_exact, floor)[0])
