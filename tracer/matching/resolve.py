"""Bulk entity resolution: deduplicate one file or link two (``tracer resolve``).

normalize (:mod:`.table`, :mod:`.columns`) → block (:mod:`.blocking`, capped by
:mod:`.evidence`) → compare (:mod:`.levels`) → train u/m without labels
(:mod:`.training`, :mod:`.em`) → score with term-frequency adjustments (:mod:`.model`,
:mod:`.tf`) → the pair guard (:mod:`.guards`) → cluster with the mixed-file guard and the
namesake rules (:mod:`.namesakes`, :func:`.clustering.cluster_pairs`).  Every step runs on the table in canonical order
(file, record_id), so shuffling the input rows cannot change a single output value.

    result = resolve_rows(rows, ResolveConfig(extra_kinds={"soc_sec_id": "identifier"}))
    result.cluster_ids()      # one cluster id per record, in input order
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import InputError
from .blocking import (DEFAULT_MAX_BLOCK, PEOPLE_RULES, BlockingReport, BlockingRule, block_on,
                       candidate_pairs, rules_for)
from .comparisons import (CROSSED_DEFAULT_M, EXTRA_DEFAULT_M, PEOPLE_COMPARISONS, Comparison,
                          extra_comparison)
from .guards import (PERSONAL_CONTACTS, full_identifiers, household_comparisons,
                     household_pairs, pair_guard, share_identifier)
from .levels import pair_levels
from .namesakes import (cluster_with_namesakes, generation_risk, namesake_bare, namesakes,
                        torn_from_family)
from .model import MatchModel, default_model
from .table import RecordTable, identifier_half
from .tf import MAX_ADJUSTMENT, MIN_ADJUSTMENT, TF_COMPARISONS
from .training import train_model

__all__ = ["DEFAULT_THRESHOLD", "PAIRS_MIN_PROBABILITY", "Resolution", "ResolveConfig",
           "comparisons_for", "resolve_rows", "resolve_table", "rules_for_table",
           # moved to .guards and .namesakes, still importable from here
           "PERSONAL_CONTACTS", "full_identifiers", "generation_risk", "namesake_bare",
           "namesakes", "pair_guard", "share_identifier", "torn_from_family"]

log = logging.getLogger("tracer.matching.resolve")

#: A pair at or above this match probability joins two records (``--threshold``).
DEFAULT_THRESHOLD = 0.9
#: Pairs below this probability are not written to ``--pairs`` (they are noise).
PAIRS_MIN_PROBABILITY = 0.01

Progress = Callable[[str, int, int], None]


@dataclass
class ResolveConfig:
    threshold: float = DEFAULT_THRESHOLD
    max_block: int = DEFAULT_MAX_BLOCK
    extra_kinds: dict[str, str] = field(default_factory=dict)
    #: extra columns declared together, compared crosswise too (values keyed in the
    #: other column: address lines 1 and 2 swapped)
    extra_groups: list[tuple[str, ...]] = field(default_factory=list)
    link: bool = False
    bridge_strength: float = 0.0
    workers: int | None = None
    #: blocked pairs need ``log2(records) + evidence_margin`` bits of exact agreement
    #: (:mod:`.evidence`, e.g. ``DEFAULT_MARGIN``); None compares every blocked pair.
    #: Off by default: on people-dev it keeps pairs linear (1M: 1.28M pairs, x11.7 from
    #: 100k, F1 0.9767, 136 s CPU; off: 4.2M pairs, 0.9757, 190 s CPU), but on our own
    #: generator's 1M it joins 2 of 4,188 Jr/Sr pairs (off: 0) and costs 0.0018 F1.
    evidence_margin: float | None = None
    #: leave households (first names that disagree, nothing personal agreeing) out
    #: before comparing every field.  A file drawn by whole persons keeps a tenth of
    #: each household at a tenth of the size, so these pairs grow with the square of
    #: the file (people-dev 100k -> 1M: x40, 234,630 at 1M).  Keeping them costs that
    #: growth and gains our generator's 100k 0.0004 F1 (0.9611 against 0.9607).
    drop_households: bool = True


@dataclass
class Resolution:
    """Everything one resolve run computed, on the table in canonical order."""

    table: RecordTable
    input_position: np.ndarray      # canonical row -> input row
    left: np.ndarray
    right: np.ndarray
    gammas: np.ndarray
    tf_weights: dict[int, np.ndarray]
    weight: np.ndarray
    probability: np.ndarray
    labels: np.ndarray              # canonical row -> canonical row of its cluster's label
    model: MatchModel
    report: BlockingReport
    timings: dict[str, float]
    link: bool = False
    #: records left alone because they link into two clusters the guard keeps apart
    ambiguous: int = 0
    #: records left alone because a namesake (Jr/Sr) could be theirs as well
    isolated: int = 0

    def cluster_ids(self) -> list[str]:
        """Cluster id per *input* row: the id of the cluster's first record in canonical
        order (prefixed with the file number when linking)."""
        canonical = [self._label(int(self.labels[k])) for k in range(len(self.table))]
        out = [""] * len(self.table)
        for k, pos in enumerate(self.input_position.tolist()):
            out[pos] = canonical[k]
        return out

    def _label(self, k: int) -> str:
        rid = str(self.table.ids[k])
        return f"{int(self.table.file[k]) + 1}:{rid}" if self.link else rid

    def clusters(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for k, label in enumerate(self.labels.tolist()):
            out.setdefault(label, []).append(k)
        return out

    def evidence(self, k: int, bf: list | None = None) -> list[tuple[str, str, float]]:
        """(comparison, level label, log2 Bayes factor incl. term frequency) of pair k."""
        bf = self.model.bayes_factor_table() if bf is None else bf
        out = []
        for c, comp in enumerate(self.model.comparisons):
            level = int(self.gammas[k, c])
            value = float(bf[c][level])
            if c in self.tf_weights:
                value += float(self.tf_weights[c][k])
            out.append((comp.name, comp.levels[level].label, round(value, 3)))
        return out

    def pair_rows(self, min_probability: float = PAIRS_MIN_PROBABILITY,
                  chunk: int = 100_000) -> Iterator[dict]:
        """The pairs from ``min_probability`` up, strongest first, with their evidence
        (the same values :meth:`evidence` gives), computed a chunk of pairs at a time."""
        keep = np.flatnonzero(self.probability >= min_probability)
        keep = keep[np.lexsort((self.right[keep], self.left[keep], -self.probability[keep]))]
        bf = self.model.bayes_factor_table()
        columns = self.pair_columns()
        for start in range(0, len(keep), chunk):
            part = keep[start:start + chunk]
            a, b = self.left[part], self.right[part]
            values: list = []
            if self.link:
                values += [(self.table.file[a] + 1).tolist(), (self.table.file[b] + 1).tolist()]
            values += [self.table.ids[a].tolist(), self.table.ids[b].tolist(),
                       np.round(self.probability[part], 6).tolist(),
                       np.round(self.weight[part], 3).tolist(),
                       (self.labels[a] == self.labels[b]).astype(int).tolist()]
            for c, comp in enumerate(self.model.comparisons):
                levels = self.gammas[part, c]
                labels = np.array([lvl.label for lvl in comp.levels], dtype=object)
                value = bf[c][levels]
                if c in self.tf_weights:
                    value = value + self.tf_weights[c][part]
                values += [labels[levels].tolist(), np.round(value, 3).tolist()]
            for row in zip(*values):
                yield dict(zip(columns, row))

    def pair_columns(self) -> list[str]:
        cols = (["left_file", "right_file"] if self.link else []) + [
            "left_id", "right_id", "probability", "match_weight", "same_cluster"]
        for comp in self.model.comparisons:
            cols += [comp.name, f"{comp.name}_bf"]
        return cols


def comparisons_for(table: RecordTable, extra_kinds: Mapping[str, str],
                    groups: Sequence[Sequence[str]] = ()) -> list[Comparison]:
    """The people comparisons whose attribute the input fills, then the declared extras
    (each also compared with the other columns of its group)."""
    out = [c for c in PEOPLE_COMPARISONS
           if table.has_values(c.attribute) or (c.attribute == "dob_year"
                                                and table.has_values("dob_year"))]
    partners: dict[str, list[str]] = {}
    for group in groups:
        for column in group:
            partners.setdefault(column, []).extend(c for c in group if c != column)
    out += [extra_comparison(column, kind, partners.get(column, ()))
            for column, kind in extra_kinds.items()]
    return out


def rules_for_table(table: RecordTable, extra_kinds: Mapping[str, str]) -> list[BlockingRule]:
    rules = rules_for(table, PEOPLE_RULES)
    for column, kind in extra_kinds.items():
        if kind in ("identifier", "exact") and table.has_values(column):
            rules.append(block_on(column, covers=(column,), name=column))
        if kind == "identifier":
            # A typo or two swapped digits leave one half whole, whatever the names say
            # (a first name keyed as another, names swapped); the first initial narrows
            # a half that is too common to block on alone.
            for part, label in ((0, "first"), (1, "second")):
                half = identifier_half(column, part)
                if table.has_values(half):
                    rules.append(block_on(half, covers=(column,), name=f"{column} {label} half",
                                          trains_m=False))
                    rules.append(block_on(half, "first_initial", covers=(column,),
                                          name=f"{column} {label} half + first initial",
                                          trains_m=False))
    return rules


def rules_in_use(table: RecordTable, model: MatchModel | None) -> list[BlockingRule]:
    """The blocking rules of a run: a reused model's (else the table's own), less those
    whose columns the table lacks."""
    extra = dict(table.extra_kinds)
    if model is not None:
        rules = [BlockingRule.from_dict(r) for r in model.settings.get("blocking_rules", [])] \
            or rules_for_table(table, extra)
    else:
        rules = rules_for_table(table, extra)
    return [r for r in rules if all(c in table.columns for c in r.columns)]


def training_inputs(config: ResolveConfig, extra: Mapping[str, str],
                    comparisons: Sequence[Comparison]) -> tuple[dict, dict]:
    """(starting m per comparison, settings saved with the model) of a run that trains."""
    m_defaults = dict(default_model().m)
    for column, kind in extra.items():
        m_defaults[column] = dict(EXTRA_DEFAULT_M[kind])
    for comp in comparisons:
        for lvl in comp.levels:
            if lvl.kind == "crossed":
                m_defaults[comp.name][lvl.label] = CROSSED_DEFAULT_M
    settings = {"link_threshold": config.threshold,
                "bridge_strength": config.bridge_strength,
                "max_block": config.max_block,
                "extra_kinds": dict(extra),
                "extra_groups": [list(g) for g in config.extra_groups],
                "link": config.link}
    return m_defaults, settings


def term_weights(model: MatchModel, table: RecordTable, left, right, gammas,
                 frequencies: Mapping[str, Any] | None = None) -> dict:
    """Per comparison with a term-frequency adjustment: extra weight per pair.

    tf(v) is the share of records with a value that carry v: the table's own by default;
    ``frequencies`` (``{"first": {value: share}, "last": ..., "records": n}``) gives the
    workspace's instead, for a table of a few hundred candidates that share their surname
    by construction (a trace); an attribute it does not name is left unadjusted."""
    out = {}
    for c, comp in enumerate(model.comparisons):
        attribute = TF_COMPARISONS.get(comp.name)
        if attribute is None and table.extra_kinds.get(comp.name) == "name":
            attribute = comp.name
        if attribute is None:
            continue
        if frequencies is not None and attribute not in frequencies:
            continue
        labels = [lvl.label for lvl in comp.levels]
        if "exact" not in labels:
            continue
        exact = labels.index("exact")
        u_exact = float(model.u.get(comp.name, {}).get("exact", 0.01))
        codes, values = table.coded(attribute)
        rows = np.flatnonzero(gammas[:, c] == exact)
        weights = np.zeros(len(left), dtype=np.float32)
        if frequencies is not None:
            given = frequencies[attribute]
            floor = 1.0 / max(float(frequencies.get("records", 0) or 0), 1.0)
            by_code = np.array([given.get(v, floor) for v in values] + [floor])
            share = by_code[codes[left[rows]]] if len(rows) else np.zeros(0)
        else:
            present = codes[codes >= 0]
            share = (np.bincount(present)[codes[left[rows]]] / len(present)
                     if len(rows) and len(present) else np.zeros(0))
        if len(rows) and len(share):
            # tf(v): the share of records with a value that carry v (tracer.matching.tf).
            weights[rows] = np.clip(np.log2(max(u_exact, 1e-12) / np.maximum(share, 1e-12)),
                                    MIN_ADJUSTMENT, MAX_ADJUSTMENT)
        out[c] = weights
    return out


def score_pairs(model: MatchModel, table: RecordTable, left: np.ndarray, right: np.ndarray,
                gammas: np.ndarray, frequencies: Mapping[str, Any] | None = None):
    """(term-frequency weights, match weight, probability, may join, is evidence, DOB
    tolerance) of the pairs: pair by pair, so any slice of the pairs scores alike."""
    tf = term_weights(model, table, left, right, gammas, frequencies)
    tf_total = sum(tf.values()) if tf else None
    weight, probability = model.score_gammas(gammas, tf_total)
    allowed, evidence, tolerance = pair_guard(model, gammas, weight)
    return tf, weight, probability, allowed, evidence, tolerance


def _without_households(comparisons, extra: Mapping[str, str], table: RecordTable,
                        left: np.ndarray, right: np.ndarray, rule_codes: list,
                        report: BlockingReport):
    """The blocked pairs less the households (:func:`.guards.household_pairs`: first
    names that disagree, nothing personal agreeing), which can neither join two records
    nor count as evidence: (left, right, levels already computed by comparison index).
    The comparisons they need go first; the rest only for the pairs kept."""
    wanted = household_comparisons(comparisons, extra)
    levels = pair_levels([comparisons[c] for c in wanted], table, left, right)
    known = {c: levels[:, k] for k, c in enumerate(wanted)}
    drop = household_pairs(comparisons, extra, known, len(left))
    if not drop.any():
        return left, right, known
    keep = ~drop
    n = len(table)
    dropped = np.sort(left[drop] * n + right[drop])
    for r, codes in enumerate(rule_codes):
        rule_codes[r] = codes[~_sorted_isin(codes, dropped)]
    report.household_pairs = int(drop.sum())
    report.total = int(keep.sum())
    return left[keep], right[keep], {c: v[keep] for c, v in known.items()}


def _sorted_isin(values: np.ndarray, sorted_codes: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted, unique ``sorted_codes`` (a binary search per value)."""
    if not len(sorted_codes):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_codes, values), len(sorted_codes) - 1)
    return sorted_codes[at] == values


class StepClock:
    """Seconds per stage of a resolve (the report's ``timings``), each stage announced
    to ``progress`` as it ends: one clock for both engines."""

    def __init__(self, progress: Progress | None = None):
        self.timings: dict[str, float] = {}
        self._progress = progress
        self._clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 3)
        self._clock = now
        if self._progress:
            self._progress(name, 1, 1)



def resolve_table(table: RecordTable, config: ResolveConfig, *, model: MatchModel | None = None,
                  progress: Progress | None = None,
                  frequencies: Mapping[str, Any] | None = None) -> Resolution:
    """Resolve a table built in input order; see :func:`resolve_rows`."""
    step = StepClock(progress)
    timings = step.timings

    order = table.canonical_order()
    table = table.take(order)
    extra = dict(table.extra_kinds)
    rules = rules_in_use(table, model)
    rule_codes: list[np.ndarray] = []
    left, right, report = candidate_pairs(table, rules, max_block=config.max_block,
                                          link=config.link, rule_codes=rule_codes,
                                          evidence_margin=config.evidence_margin)
    step("block")
    comparisons = tuple(model.comparisons) if model is not None \
        else tuple(comparisons_for(table, extra, config.extra_groups))
    known = None
    if config.drop_households:
        left, right, known = _without_households(comparisons, extra, table, left, right,
                                                 rule_codes, report)
    gammas = pair_levels(comparisons, table, left, right, known=known)
    step("compare")
    if model is None:
        n = len(table)
        union_codes = left * n + right
        m_defaults, settings = training_inputs(config, extra, comparisons)
        model = train_model(table, comparisons, rules, rule_codes, union_codes, gammas,
                            link=config.link, m_defaults=m_defaults, settings=settings)
        step("train")
    tf, weight, probability, allowed, evidence, tolerance = score_pairs(
        model, table, left, right, gammas, frequencies)
    step("score")
    cluster_report: dict[str, int] = {}
    labels = cluster_with_namesakes(table, left, right, probability, allowed, evidence,
                                    tolerance, threshold=config.threshold,
                                    bridge_strength=config.bridge_strength,
                                    report=cluster_report)
    step("cluster")
    return Resolution(table, order, left, right, gammas, tf, weight, probability, labels,
                      model, report, timings, config.link,
                      ambiguous=cluster_report.get("ambiguous", 0),
                      isolated=cluster_report.get("isolated", 0))


def resolve_rows(rows: Sequence[Mapping[str, Any]], config: ResolveConfig | None = None, *,
                 other: Sequence[Mapping[str, Any]] | None = None,
                 model: MatchModel | None = None, progress: Progress | None = None,
                 engine: Callable[..., Resolution] | None = None) -> Resolution:
    """Deduplicate ``rows`` (or link them to ``other``): FORMATS.md §2 dictionaries with
    a unique ``record_id`` within each file.  ``engine`` resolves the normalized table
    (:func:`resolve_table`'s signature; the Spark engine's, ``tracer.spark.engine``)."""
    config = config or ResolveConfig()
    if other is not None:
        config.link = True
    files = [rows] if other is None else [rows, other]
    all_rows: list[Mapping[str, Any]] = []
    file_of: list[int] = []
    for number, part in enumerate(files):
        seen: set[str] = set()
        for row in part:
            rid = str(row.get("record_id") or "").strip()
            if not rid:
                raise InputError(f"a row of file {number + 1} has no record_id")
            if rid in seen:
                raise InputError(f"record_id {rid!r} appears twice in file {number + 1}")
            seen.add(rid)
        all_rows.extend(part)
        file_of.extend([number] * len(part))
    extra = dict(config.extra_kinds)
    if model is not None:
        extra = {**model.settings.get("extra_kinds", {}), **extra}
    started = time.perf_counter()
    table = RecordTable.from_rows(
        all_rows, file=file_of, extra_kinds=extra, workers=config.workers,
        progress=(lambda done: progress("normalize", done, len(all_rows))) if progress else None)
    normalized = round(time.perf_counter() - started, 3)
    result = (engine or resolve_table)(table, config, model=model, progress=progress)
    result.timings = {"normalize": normalized, **result.timings}
    return result
