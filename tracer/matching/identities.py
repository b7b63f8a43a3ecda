"""From one account and the records the sources returned to candidate identities, each
with a confidence that it is the account's debtor."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Sequence

from .clustering import Edge, cluster, hard_conflict
from .features import Features
from .model import MatchModel, PairScore
from .ranking import Identity

_PAIR_KEYS = ("last_key", "phone", "email", "addr_key", "ssn_last4")


@dataclass
class IdentityResult:
    identities: list[Identity]
    account_scores: dict[str, PairScore]
    pairs_scored: int


def _candidate_pairs(records: Sequence[Features]) -> set[tuple[int, int]]:
    """Record pairs that share a key; comparing every pair would be quadratic for nothing."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, f in enumerate(records):
        for attr in _PAIR_KEYS:
            value = getattr(f, attr)
            if value:
                groups.setdefault((attr, value), []).append(i)
    pairs = set()
    for members in groups.values():
        if len(members) > 200:  # a very common key carries no information
            continue
        pairs.update(combinations(members, 2))
    return pairs


def identify(account: Features, records: Sequence[Features], model: MatchModel) -> IdentityResult:
    link = float(model.settings.get("link_threshold", 0.9))
    bridge = float(model.settings.get("bridge_strength", 0.99))
    name_only = float(model.settings.get("name_only_confidence", 0.5))
    nodes = [account, *records]
    edges: list[Edge] = []
    account_scores: dict[str, PairScore] = {}
    for i, f in enumerate(records, start=1):
        levels = model.levels(account, f)
        score = model.score_levels(levels)
        account_scores[f.key] = score
        if score.probability >= link and model.corroborated(levels) \
                and not hard_conflict(account, f):
            edges.append(Edge(0, i, score.probability))
    pairs = _candidate_pairs(records)
    for a, b in pairs:
        fa, fb = records[a], records[b]
        levels = model.levels(fa, fb)
        score = model.score_levels(levels)
        if score.probability >= link and model.corroborated(levels) and not hard_conflict(fa, fb):
            edges.append(Edge(a + 1, b + 1, score.probability))
    clusters = cluster(nodes, edges, link_threshold=link, bridge_strength=bridge)

    identities = []
    for members in clusters:
        member_features = [nodes[i] for i in members if i != 0]
        if not member_features:
            continue
        best_key = max(member_features, key=lambda f: account_scores[f.key].probability).key
        best = account_scores[best_key]
        if 0 in members:
            # Linked to the account itself: as sure as its strongest direct link.
            direct = [account_scores[f.key].probability for f in member_features
                      if account_scores[f.key].probability >= link]
            confidence = max(direct) if direct else best.probability
        else:
            conflicting = any(hard_conflict(account, f) for f in member_features)
            confidence = 0.0 if conflicting else best.probability
            if not any(model.corroborated(account_scores[f.key].levels) for f in member_features):
                # Names alone (a national index hit): however rare the name looks, a
                # namesake is as likely as not.
                confidence = min(confidence, name_only)
        identities.append(Identity(
            identity_id=f"I{len(identities) + 1}", members=member_features,
            confidence=confidence, evidence=best.explain(), is_best=0 in members))
    identities.sort(key=lambda ident: (-ident.confidence, ident.identity_id))
    for n, ident in enumerate(identities, start=1):
        ident.identity_id = f"I{n}"
    return IdentityResult(identities, account_scores, len(records) + len(pairs))
