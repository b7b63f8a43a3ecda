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

#: Record pairs worth scoring share one of these keys.  A surname alone is no key: the
#: candidates of a trace mostly share it, and scoring all their pairs is quadratic for
#: pairs that the household rule refuses anyway.
_PAIR_KEYS = (("last_key", "first_any"), ("phone",), ("email",), ("addr_key",),
              ("ssn_last4", "last_key"), ("dob", "last_key"))


def _key(f: Features, attrs: tuple[str, ...]) -> tuple | None:
    values = []
    for attr in attrs:
        value = (f.first_root or f.first) if attr == "first_any" else getattr(f, attr)
        if not value:
            return None
        values.append(value)
    return tuple(values)


@dataclass
class IdentityResult:
    identities: list[Identity]
    account_scores: dict[str, PairScore]
    pairs_scored: int


def _candidate_pairs(records: Sequence[Features]) -> set[tuple[int, int]]:
    """Record pairs that share a key; comparing every pair would be quadratic for nothing."""
    groups: dict[tuple, list[int]] = {}
    for i, f in enumerate(records):
        for attrs in _PAIR_KEYS:
            value = _key(f, attrs)
            if value is not None:
                groups.setdefault((attrs, value), []).append(i)
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
    # Record pairs are scored outward from the records that matter: those that could be
    # reported (account probability from min_identity_confidence up), then whatever
    # links to them, and so on.  Two namesakes of the account in its town can join
    # each other only into an identity that would never be reported, so their pair is
    # not worth scoring (most candidates of a trace are such neighbours).
    floor = min(link, float(model.settings.get("min_identity_confidence", 0.2)))
    neighbours: dict[int, list[int]] = {}
    for a, b in _candidate_pairs(records):
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    frontier = [i for i, f in enumerate(records) if account_scores[f.key].probability >= floor]
    reached = set(frontier)
    scored: set[tuple[int, int]] = set()
    while frontier:
        a = frontier.pop()
        for b in sorted(neighbours.get(a, ())):
            pair = (a, b) if a < b else (b, a)
            if pair in scored:
                continue
            scored.add(pair)
            fa, fb = records[pair[0]], records[pair[1]]
            levels = model.levels(fa, fb)
            score = model.score_levels(levels)
            if score.probability >= link and model.corroborated(levels) \
                    and not hard_conflict(fa, fb):
                edges.append(Edge(pair[0] + 1, pair[1] + 1, score.probability))
                if b not in reached:
                    reached.add(b)
                    frontier.append(b)
    pairs = scored
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
