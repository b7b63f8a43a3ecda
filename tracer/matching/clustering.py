"""Clustering scored pairs into candidate identities, guarded against mixed files.

Transitive closure over weak pairs is how one "person" swallows a quarter of a million
records.  So: edges are merged strongest first (union-find), a merge is refused when the
two clusters' hard identifiers conflict (different full DOB, different SSN last-4,
different generation suffix), an edge must be corroborated by more than name and partial
SSN, and weak bridges (an edge whose removal splits a cluster in two real groups) are cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Sequence

import networkx as nx
from rapidfuzz.distance import Levenshtein

from .features import Features
from .normalize import dates_transposed


@dataclass(frozen=True)
class Edge:
    a: int
    b: int
    probability: float


@dataclass
class _Group:
    members: list[int]
    dobs: set[date] = field(default_factory=set)
    ssns: set[str] = field(default_factory=set)
    suffixes: set[str] = field(default_factory=set)


def dobs_conflict(x: date, y: date) -> bool:
    if x == y or dates_transposed(x, y):
        return False
    return Levenshtein.distance(x.isoformat(), y.isoformat()) > 1


def hard_conflict(a: Features, b: Features) -> bool:
    if a.dob and b.dob and dobs_conflict(a.dob, b.dob):
        return True
    if a.ssn_last4 and b.ssn_last4 and a.ssn_last4 != b.ssn_last4:
        return True
    return bool(a.suffix and b.suffix and a.suffix != b.suffix)


def _groups_conflict(g: _Group, h: _Group) -> bool:
    if len(g.ssns | h.ssns) > 1 or len(g.suffixes | h.suffixes) > 1:
        return True
    return any(dobs_conflict(x, y) for x in g.dobs for y in h.dobs)


def cluster(features: Sequence[Features], edges: Iterable[Edge], *,
            link_threshold: float = 0.9, bridge_strength: float = 0.99) -> list[list[int]]:
    """Indices of ``features`` grouped into identities (singletons included), each sorted."""
    parent = list(range(len(features)))
    groups: dict[int, _Group] = {}
    for i, f in enumerate(features):
        groups[i] = _Group([i], {f.dob} if f.dob else set(),
                           {f.ssn_last4} if f.ssn_last4 else set(),
                           {f.suffix} if f.suffix else set())

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    accepted: list[Edge] = []
    for edge in sorted((e for e in edges if e.probability >= link_threshold),
                       key=lambda e: (-e.probability, e.a, e.b)):
        ra, rb = find(edge.a), find(edge.b)
        if ra == rb:
            accepted.append(edge)
            continue
        ga, gb = groups[ra], groups[rb]
        if _groups_conflict(ga, gb):
            continue
        if len(ga.members) < len(gb.members):
            ra, rb, ga, gb = rb, ra, gb, ga
        parent[rb] = ra
        ga.members.extend(gb.members)
        ga.dobs |= gb.dobs
        ga.ssns |= gb.ssns
        ga.suffixes |= gb.suffixes
        del groups[rb]
        accepted.append(edge)

    clusters = [sorted(g.members) for g in groups.values()]
    if bridge_strength <= link_threshold:
        return sorted(clusters)
    return sorted(_cut_weak_bridges(clusters, accepted, find, bridge_strength))


def _cut_weak_bridges(clusters, accepted, find, strength) -> list[list[int]]:
    by_root: dict[int, list[Edge]] = {}
    for edge in accepted:
        by_root.setdefault(find(edge.a), []).append(edge)
    out = []
    for members in clusters:
        if len(members) < 4:
            out.append(members)
            continue
        graph = nx.Graph()
        graph.add_nodes_from(members)
        for edge in by_root.get(find(members[0]), []):
            graph.add_edge(edge.a, edge.b, p=edge.probability)
        weak = [(a, b) for a, b in nx.bridges(graph) if graph[a][b]["p"] < strength]
        for a, b in weak:
            graph.remove_edge(a, b)
            sides = [c for c in nx.connected_components(graph) if a in c or b in c]
            if any(len(side) < 2 for side in sides):
                graph.add_edge(a, b)  # a lone record hanging on: not a bridge between groups
        out.extend(sorted(c) for c in nx.connected_components(graph))
    return out
