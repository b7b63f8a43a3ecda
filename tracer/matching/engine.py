"""The trace's matching: the one resolve engine, run on an account and its candidates.

``tracer resolve`` and ``tracer trace`` share every step: the same blocking rules (data),
comparison levels, term frequencies (the workspace's, from the model, not the few
hundred candidates'), pair guard, Jr/Sr namesake guards and guarded clustering
(:func:`.resolve.resolve_table`).  The account's own row is one record among them; the
cluster it lands in is the debtor's identity, every other cluster a candidate identity
scored by its strongest direct link to the account.

    result = identify(account_features, candidate_features, model)
    result.identities[0].confidence
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .features import Features
from .levels import pair_levels
from .model import MatchModel, PairScore
from .identity import Identity
from .resolve import Resolution, ResolveConfig, resolve_table, term_weights
from .table import FEATURE_COLUMNS, RecordTable

#: A candidate cluster that conflicts with the account on a hard identifier is not the
#: debtor; one linked by names alone is a namesake as likely as not (``name_only``).
CONFLICT_CONFIDENCE = 0.0
#: Levels that tie a record to one person rather than to a name in a place: a shared
#: DOB, SSN last-4, email, phone or exact address.
PERSONAL = {"dob": ("exact", "transposed", "one digit off"), "ssn_last4": ("exact",),
            "email": ("exact",), "phone": ("exact",), "address": ("exact",)}


def personal_pairs(model: MatchModel, gammas: np.ndarray) -> np.ndarray:
    """Per pair (rows of ``gammas``): does a :data:`PERSONAL` level agree?"""
    out = np.zeros(len(gammas), dtype=bool)
    for c, comp in enumerate(model.comparisons):
        wanted = [i for i, lvl in enumerate(comp.levels) if lvl.label in PERSONAL.get(comp.name, ())]
        if wanted:
            out |= np.isin(gammas[:, c], wanted)
    return out


def _loose_members(own: list[int], resolution, position: np.ndarray, account_gammas,
                   account_probability, model: MatchModel, link: float) -> set[int]:
    """Members of the account's cluster (input rows) that no chain of personal links at
    the link threshold ties to the account: they joined on a name in a place."""
    members = set(own)
    parent = {i: i for i in (0, *own)}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    direct = personal_pairs(model, account_gammas) & (account_probability >= link)
    for i in own:
        if direct[i - 1]:
            union(0, i)
    res = resolution
    if len(res.left):
        strong = personal_pairs(model, res.gammas) & (res.probability >= link)
        for k in np.flatnonzero(strong).tolist():
            a, b = int(position[res.left[k]]), int(position[res.right[k]])
            if a in parent and b in parent and (a in members or a == 0) \
                    and (b in members or b == 0):
                union(a, b)
    core = find(0)
    return {i for i in own if find(i) != core}


@dataclass
class IdentityResult:
    identities: list[Identity]
    #: record key -> the account-vs-record score (with term frequencies)
    account_scores: dict[str, PairScore]
    pairs_scored: int
    #: the engine's run over the candidates (pairs, levels, probabilities, clusters)
    resolution: Resolution | None = None

    def record_edges(self, min_probability: float = 0.01) -> list[tuple[str, str, float, str]]:
        """(record key, record key, probability, readable evidence) of every scored
        record pair from ``min_probability`` up: the "same person" edges of the graph."""
        res = self.resolution
        if res is None:
            return []
        bf = res.model.bayes_factor_table()
        out = []
        for k in np.flatnonzero(res.probability >= min_probability).tolist():
            a, b = str(res.table.ids[res.left[k]]), str(res.table.ids[res.right[k]])
            evidence = [e for e in res.evidence(k, bf) if e[2] > 0.5]
            text = ", ".join(f"{name} {label}" for name, label, _ in
                             sorted(evidence, key=lambda e: -e[2])[:3]) or "weak evidence"
            out.append((a, b, round(float(res.probability[k]), 4), text))
        return out


def table_of(features: Sequence[Features]) -> RecordTable:
    """A :class:`RecordTable` of already normalized records: the trace reads each
    candidate's features as imported, so nothing is normalized twice."""
    n = len(features)
    columns: dict[str, np.ndarray] = {}
    for name in FEATURE_COLUMNS:
        col = np.empty(n, dtype=object)
        if name == "dob":
            col[:] = [f.dob.isoformat() if f.dob else None for f in features]
        else:
            col[:] = [getattr(f, name) for f in features]
        columns[name] = col
    columns["dob_year"] = np.array([f.dob_year or -1 for f in features], dtype=np.int32)
    mobile = np.empty(n, dtype=object)
    mobile[:] = [f.phone if f.phone_type == "mobile" else None for f in features]
    columns["mobile"] = mobile
    start = np.array([f.first_seen.toordinal() if f.first_seen else -1 for f in features],
                     dtype=np.int32)
    end = np.array([f.last_seen.toordinal() if f.last_seen else -1 for f in features],
                   dtype=np.int32)
    missing = (start < 0) | (end < 0)
    start[missing] = end[missing] = -1
    columns["seen_from"], columns["seen_to"] = start, end
    ids = np.empty(n, dtype=object)
    ids[:] = [f.key for f in features]
    table = RecordTable(ids, np.zeros(n, dtype=np.int8), columns, {})
    table.add_derived()
    return table


def _account_scores(model: MatchModel, table: RecordTable, frequencies):
    """(levels, term-frequency weights, weight, probability) of the account (row 0)
    against every other row."""
    n = len(table)
    left = np.zeros(n - 1, dtype=np.int64)
    right = np.arange(1, n, dtype=np.int64)
    gammas = pair_levels(model.comparisons, table, left, right)
    tf = term_weights(model, table, left, right, gammas, frequencies)
    weight, probability = model.score_gammas(gammas, sum(tf.values()) if tf else None)
    return gammas, tf, weight, probability


def _pair_score(model: MatchModel, levels, weight: float, probability: float,
                extra: Mapping[int, float]) -> PairScore:
    evidence = []
    for c, (comp, row) in enumerate(zip(model.comparisons, model.bayes_factor_table())):
        bf = float(row[levels[c]]) + extra.get(c, 0.0)
        evidence.append((comp.name, comp.levels[levels[c]].label, bf))
    return PairScore(float(probability), float(weight), tuple(evidence),
                     tuple(int(v) for v in levels))


def identify(account: Features, records: Sequence[Features], model: MatchModel,
             frequencies: Mapping[str, Mapping[str, float]] | None = None) -> IdentityResult:
    """Candidate identities of ``records`` for ``account``, strongest first.

    ``frequencies`` are the workspace's term frequencies (``{"first": {value: share},
    "last": ...}``, see :func:`.training.workspace_frequencies`); ``None`` leaves names
    unadjusted, since the candidates of one trace share their surname by construction."""
    settings = model.settings
    link = float(settings.get("link_threshold", 0.9))
    name_only = float(settings.get("name_only_confidence", 0.5))
    nodes = [account, *records]
    frequencies = frequencies if frequencies is not None else {}
    table = table_of(nodes)
    if len(nodes) < 2:
        return IdentityResult([], {}, 0)
    config = ResolveConfig(threshold=link,
                           bridge_strength=float(settings.get("bridge_strength", 0.99)),
                           max_block=int(settings.get("max_block", 400)))
    resolution = resolve_table(table, config, model=model, frequencies=frequencies)
    labels = np.empty(len(nodes), dtype=np.int64)
    labels[resolution.input_position] = resolution.input_position[resolution.labels]
    gammas, tf, weight, probability = _account_scores(model, table, frequencies)
    scores: dict[str, PairScore] = {}
    for i, f in enumerate(records):
        extra = {c: float(w[i]) for c, w in tf.items()}
        scores[f.key] = _pair_score(model, gammas[i], weight[i], probability[i], extra)

    clusters: dict[int, list[int]] = {}
    for i in range(1, len(nodes)):
        clusters.setdefault(int(labels[i]), []).append(i)
    identities: list[Identity] = []
    own = int(labels[0])
    loose = _loose_members(clusters.get(own, []), resolution, resolution.input_position,
                           gammas, probability, model, link)
    for label, members in clusters.items():
        member_features = [nodes[i] for i in members]
        direct = [(scores[f.key], f) for f in member_features]
        best_score, _best = max(direct, key=lambda d: d[0].probability)
        if label == own:
            linked = [s.probability for s, _ in direct if s.probability >= link
                      and model.corroborated(s.levels) and not model.hard_conflict(s.levels)]
            confidence = max(linked) if linked else best_score.probability
        elif any(model.hard_conflict(s.levels) for s, _ in direct):
            confidence = CONFLICT_CONFIDENCE
        else:
            confidence = best_score.probability
            if not any(model.corroborated(s.levels) for s, _ in direct):
                # Names alone (a national index hit): however rare the name looks, a
                # namesake is as likely as not.
                confidence = min(confidence, name_only)
        identities.append(Identity(identity_id="", members=member_features,
                                   confidence=float(confidence),
                                   evidence=best_score.explain(), is_best=label == own,
                                   loose=frozenset(nodes[i].key for i in members
                                                   if label == own and i in loose)))
    identities.sort(key=lambda ident: (-ident.confidence, not ident.is_best,
                                       min(f.key for f in ident.members)))
    for n, ident in enumerate(identities, start=1):
        ident.identity_id = f"I{n}"
    return IdentityResult(identities, scores, len(resolution.left) + len(records),
                          resolution)
