"""Expectation-maximisation of m probabilities, without labels (Fellegi-Sunter, as Splink).

u = P(level | different people) comes from random pairs (almost all non-matches); m =
P(level | same person) is estimated here from the blocked candidate pairs: E-step, each
pair's match probability under the current m, u and λ; M-step, m as the
probability-weighted level frequencies.  Pairs are first collapsed to their distinct
level patterns with counts, so an iteration costs patterns, not pairs.

Comparisons a blocking rule forces to agree (``fixed``) would look perfect among that
rule's pairs, so they are left out of the likelihood and keep their m.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .comparisons import Comparison

M_FLOOR = 1e-6


@dataclass
class EMResult:
    m: list[np.ndarray]          # per comparison, per level
    prior: float                 # λ among the pairs trained on
    iterations: int
    converged: bool


def level_patterns(gammas: np.ndarray, *, inverse: bool = False):
    """Distinct rows of ``gammas`` and how many pairs have each (and, with ``inverse``,
    the pattern of every row, so subsets can be counted without another sort)."""
    if not len(gammas):
        empty = np.zeros(0, dtype=np.int64)
        return (gammas, empty, empty) if inverse else (gammas, empty)
    # One int64 key per row (mixed radix over the levels, built a column at a time: an
    # int64 copy of ten million rows would cost a gigabyte): a 1-D unique is far faster
    # than np.unique(axis=0) over millions of rows.
    radix = gammas.max(axis=0).astype(np.int64) + 1
    key = np.zeros(len(gammas), dtype=np.int64)
    for c in range(gammas.shape[1]):
        key *= radix[c]
        key += gammas[:, c]
    keys, where, counts = np.unique(key, return_inverse=True, return_counts=True)
    del key
    patterns = np.empty((len(keys), gammas.shape[1]), dtype=gammas.dtype)
    rest = keys.copy()
    for c in range(gammas.shape[1] - 1, -1, -1):
        patterns[:, c] = rest % radix[c]
        rest //= radix[c]
    if inverse:
        return patterns, counts, where.reshape(-1)
    return patterns, counts


def _null_mask(comparisons: Sequence[Comparison]) -> list[np.ndarray]:
    return [np.array([lvl.is_null for lvl in c.levels]) for c in comparisons]


def log2_bayes_factors(comparisons, m, u) -> list[np.ndarray]:
    """log2(m/u) per level; null levels carry no evidence."""
    out = []
    for comp, mc, uc in zip(comparisons, m, u):
        bf = np.log2(np.maximum(mc, M_FLOOR) / np.maximum(uc, 1e-12))
        bf[[lvl.is_null for lvl in comp.levels]] = 0.0
        out.append(bf)
    return out


def expectation_maximisation(gammas: np.ndarray, comparisons: Sequence[Comparison],
                             m: Sequence[np.ndarray], u: Sequence[np.ndarray], prior: float,
                             *, fixed: Sequence[int] = (), max_iterations: int = 30,
                             tolerance: float = 1e-4, update_prior: bool = True,
                             update_m: bool = True,
                             patterns: tuple[np.ndarray, np.ndarray] | None = None) -> EMResult:
    """Re-estimate m (and λ) from unlabelled level patterns; ``fixed`` comparisons stay.
    ``patterns`` (distinct level rows, counts) replaces ``gammas`` when already known."""
    patterns, counts = patterns if patterns is not None else level_patterns(gammas)
    keep = counts > 0
    patterns, counts = patterns[keep], counts[keep]
    m = [np.asarray(x, dtype=float).copy() for x in m]
    u = [np.asarray(x, dtype=float) for x in u]
    nulls = _null_mask(comparisons)
    active = [c for c in range(len(comparisons)) if c not in set(fixed)]
    if not len(patterns):
        return EMResult(m, prior, 0, True)
    counts = counts.astype(float)
    converged = False
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        bf = log2_bayes_factors(comparisons, m, u)
        weight = np.full(len(patterns), np.log2(prior / (1 - prior)))
        for c in active:
            weight += bf[c][patterns[:, c]]
        p = 1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60)))
        expected = counts * p
        change = 0.0
        for c in (active if update_m else ()):
            levels = len(comparisons[c].levels)
            totals = np.bincount(patterns[:, c], weights=expected, minlength=levels)
            totals[nulls[c]] = 0.0
            if totals.sum() <= 0:
                continue
            new = np.maximum(totals / totals.sum(), M_FLOOR)
            new[nulls[c]] = m[c][nulls[c]]
            change = max(change, float(np.abs(new - m[c]).max()))
            m[c] = new
        if update_prior:
            new_prior = float(np.clip(expected.sum() / counts.sum(), 1e-9, 1 - 1e-9))
            change = max(change, abs(new_prior - prior))
            prior = new_prior
        if change < tolerance:
            converged = True
            break
    return EMResult(m, prior, iteration, converged)


def estimate_u(gammas: np.ndarray, comparisons: Sequence[Comparison]) -> list[np.ndarray]:
    """u per level from the level frequencies among random pairs (null levels excluded),
    with add-one smoothing so an unseen level is rare, not impossible."""
    out = []
    for c, comp in enumerate(comparisons):
        levels = len(comp.levels)
        counts = np.bincount(gammas[:, c], minlength=levels).astype(float) if len(gammas) \
            else np.zeros(levels)
        nulls = np.array([lvl.is_null for lvl in comp.levels])
        counts[nulls] = 0.0
        counts[~nulls] += 1.0
        u = counts / counts.sum()
        u[nulls] = 1.0
        out.append(u)
    return out
