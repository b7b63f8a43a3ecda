"""Training a match model without labels.

``train_model``: u from random record pairs, m by EM per blocking rule (each rule's own
comparisons held fixed, as Splink does), then the prior λ — the chance two random
records are the same person — from the expected number of matches among the blocked
pairs.  Which model a workspace uses (the latest saved, else the shipped defaults of
``config/matching.toml``) is :mod:`.model_store`'s.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np

from .blocking import BlockingRule
from .comparisons import Comparison
from .em import estimate_u, expectation_maximisation, level_patterns
from .levels import pair_levels
from .model import MatchModel, default_model
from .table import RecordTable

log = logging.getLogger("tracer.matching.training")

#: A workspace with at least this many records trains its own model automatically (on
#: first use); below it the estimates would be noise and the shipped defaults are better.
AUTO_TRAIN_MIN_RECORDS = 5_000
#: Training reads at most this many records (evenly spread over the table).
TRAIN_MAX_RECORDS = 200_000
U_SAMPLES = 200_000
#: Below this many records EM has too little to learn from: m keeps its configured values.
EM_MIN_RECORDS = 1_000


def random_pairs(table: RecordTable, count: int, *, seed: int = 42, link: bool = False):
    """``count`` random distinct pairs (cross-file only when linking), deterministic for
    a table in canonical order."""
    n = len(table)
    rng = np.random.default_rng(seed)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if link:
        a_idx = np.flatnonzero(table.file == 0)
        b_idx = np.flatnonzero(table.file == 1)
        if not len(a_idx) or not len(b_idx):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        left = a_idx[rng.integers(0, len(a_idx), count)]
        right = b_idx[rng.integers(0, len(b_idx), count)]
        return left, right
    left = rng.integers(0, n, count)
    right = rng.integers(0, n - 1, count)
    right = np.where(right >= left, right + 1, right)
    return left, right


def initial_m(comparisons: Sequence[Comparison], defaults: dict[str, dict[str, float]]):
    """Starting m per level: the configured value, else a generic decreasing guess."""
    out = []
    for comp in comparisons:
        given = defaults.get(comp.name, {})
        values = []
        real = [lvl for lvl in comp.levels if not lvl.is_null]
        for lvl in comp.levels:
            if lvl.is_null:
                values.append(1.0)
            elif lvl.label in given:
                values.append(float(given[lvl.label]))
            else:
                rank = real.index(lvl)
                values.append(0.8 if rank == 0 else 0.2 / max(len(real) - 1, 1))
        arr = np.array(values)
        nulls = np.array([lvl.is_null for lvl in comp.levels])
        arr[~nulls] = arr[~nulls] / arr[~nulls].sum()
        out.append(arr)
    return out


#: A hard identifier that disagrees is at least this much evidence against (m/u).
CONFLICT_MAX_BAYES_FACTOR = 0.1


def _conflicts_count_against(comp: Comparison, m: np.ndarray, u: np.ndarray) -> None:
    """Keep a hard identifier's disagreement level evidence *against* a match.

    The blocked pairs that disagree on a suffix, DOB or SSN last-4 yet agree on the rest
    are relatives (a Jr and a Sr, a spouse), and EM happily calls them matches; a rare
    level such as two different suffixes then looks like evidence *for* one.  The guard
    refuses those merges anyway; this keeps the probabilities it reports honest."""
    if not comp.hard:
        return
    real = np.array([not lvl.is_null for lvl in comp.levels])
    for k, lvl in enumerate(comp.levels):
        if lvl.label in ("else", "conflict") and m[k] > u[k] * CONFLICT_MAX_BAYES_FACTOR:
            m[k] = u[k] * CONFLICT_MAX_BAYES_FACTOR
            others = real.copy()
            others[k] = False
            if m[others].sum() > 0:
                m[others] *= (1.0 - m[k]) / m[others].sum()


def _as_dict(comparisons, arrays) -> dict[str, dict[str, float]]:
    return {comp.name: {lvl.label: round(float(v), 8) for lvl, v in zip(comp.levels, arr)
                        if not lvl.is_null}
            for comp, arr in zip(comparisons, arrays)}


def train_model(table: RecordTable, comparisons: Sequence[Comparison],
                rules: Sequence[BlockingRule], rule_codes: Sequence[np.ndarray],
                union_codes: np.ndarray, union_gammas: np.ndarray, *,
                link: bool = False, m_defaults: dict | None = None,
                settings: dict[str, Any] | None = None, u_samples: int = U_SAMPLES,
                seed: int = 42) -> MatchModel:
    """A trained :class:`MatchModel` for ``table``'s records.

    ``rule_codes[r]`` are the pair codes (``i * n + j``) rule ``r`` produced and
    ``union_codes``/``union_gammas`` the deduplicated union and its level matrix.
    """
    # The union's level patterns, once: each rule's session counts its pairs' patterns.
    patterns, counts, pattern_of = level_patterns(union_gammas, inverse=True)
    rule_counts = []
    for rule, codes in zip(rules, rule_codes):
        if not _trains(rule, len(codes), len(table)):
            rule_counts.append(None)
            continue
        rows = np.searchsorted(union_codes, codes)
        rule_counts.append(np.bincount(pattern_of[rows], minlength=len(patterns)))
    return train_on_patterns(table, comparisons, rules, [len(c) for c in rule_codes],
                             patterns, counts, rule_counts, len(union_codes), link=link,
                             m_defaults=m_defaults, settings=settings, u_samples=u_samples,
                             seed=seed)


def _trains(rule: BlockingRule, pairs: int, records: int) -> bool:
    """Does EM learn m from this rule's pairs (enough of them, a big enough table)?"""
    return pairs >= 50 and records >= EM_MIN_RECORDS and rule.trains_m


def train_on_patterns(table: RecordTable, comparisons: Sequence[Comparison],
                      rules: Sequence[BlockingRule], rule_pairs: Sequence[int],
                      patterns: np.ndarray, counts: np.ndarray,
                      rule_counts: Sequence[np.ndarray | None], union_pairs: int, *,
                      link: bool = False, m_defaults: dict | None = None,
                      settings: dict[str, Any] | None = None, u_samples: int = U_SAMPLES,
                      seed: int = 42) -> MatchModel:
    """:func:`train_model` from level-pattern counts alone: ``patterns`` (distinct level
    rows, in :func:`.em.level_patterns` order), ``counts`` (pairs of the union per
    pattern) and ``rule_counts[r]`` (rule r's pairs per pattern, None when the rule does
    not train).  A backend that compares pairs elsewhere (Spark) aggregates these counts
    where the pairs are and trains here, with the very same arithmetic."""
    comparisons = tuple(comparisons)
    n = len(table)
    left, right = random_pairs(table, min(u_samples, max(n * (n - 1) // 2, 1)), seed=seed,
                               link=link)
    u = estimate_u(pair_levels(comparisons, table, left, right), comparisons)
    m0 = initial_m(comparisons, m_defaults or {})
    small = n < EM_MIN_RECORDS
    if small:
        # Too few records to learn from: configured u where there is one.
        configured = default_model().u
        u = [initial_m([comp], configured)[0] if comp.name in configured else u[c]
             for c, comp in enumerate(comparisons)]
    names = [c.name for c in comparisons]
    sums = [np.zeros(len(c.levels)) for c in comparisons]
    weights = [0.0] * len(comparisons)
    sessions = []
    for rule, pairs, rule_count in zip(rules, rule_pairs, rule_counts):
        if rule_count is None or not _trains(rule, pairs, n):
            continue
        fixed = [names.index(c) for c in rule.covers if c in names]
        result = expectation_maximisation(None, comparisons, m0, u, 0.1, fixed=fixed,
                                          patterns=(patterns, rule_count))
        expected = result.prior * pairs
        sessions.append({"rule": rule.label, "pairs": int(pairs),
                         "iterations": result.iterations, "converged": result.converged,
                         "prior": round(result.prior, 6)})
        for c in range(len(comparisons)):
            if c in fixed:
                continue
            sums[c] += result.m[c] * expected
            weights[c] += expected
    m = [sums[c] / weights[c] if weights[c] > 0 else m0[c] for c in range(len(comparisons))]
    for c, comp in enumerate(comparisons):
        _conflicts_count_against(comp, m[c], u[c])
        m[c][[lvl.is_null for lvl in comp.levels]] = 1.0
    # λ: expected matches among the blocked pairs over all possible pairs.
    fit = expectation_maximisation(None, comparisons, m, u, 0.01, update_m=False,
                                   patterns=(patterns, counts))
    expected_matches = fit.prior * union_pairs
    if link:
        possible = int((table.file == 0).sum()) * int((table.file == 1).sum())
    else:
        possible = n * (n - 1) // 2
    prior = float(np.clip(expected_matches / max(possible, 1), 1e-12, 0.5))
    if small:
        prior = default_model().prior
    model_settings = dict(default_model().settings)
    model_settings.update(settings or {})
    model_settings["blocking_rules"] = [r.to_dict() for r in rules]
    return MatchModel(comparisons, _as_dict(comparisons, m), _as_dict(comparisons, u), prior,
                      model_settings,
                      {"records": n, "blocked_pairs": int(union_pairs),
                       "random_pairs": int(len(left)), "em_sessions": sessions,
                       "expected_matches": round(expected_matches, 1),
                       "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


#: Names seen fewer times than this in the training sample are not listed in the
#: model's term frequencies: they get the floor of one record (rare, as they are).
TF_MIN_COUNT = 2


def term_frequencies_of(table: RecordTable) -> dict[str, Any]:
    """The share of records carrying each first name and surname (those seen at least
    :data:`TF_MIN_COUNT` times), saved with the model: a trace compares a few hundred
    candidates that share their surname by construction, so it takes how common a name
    is from the workspace, not from them."""
    out: dict[str, Any] = {"records": len(table)}
    for attribute in ("first", "last"):
        codes, values = table.coded(attribute)
        present = codes[codes >= 0]
        if not len(present):
            out[attribute] = {}
            continue
        counts = np.bincount(present, minlength=len(values))
        keep = np.flatnonzero(counts >= TF_MIN_COUNT)
        out[attribute] = {values[k]: round(float(counts[k]) / len(present), 8)
                          for k in keep.tolist()}
    return out
