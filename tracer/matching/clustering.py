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


def cluster_pairs(n: int, left, right, probability, *, dob, ssn_last4, suffix, strong=None,
                  link_threshold: float = 0.9, bridge_strength: float = 0.99):
    """Bulk version of :func:`cluster` over arrays (``tracer resolve``, a million records).

    ``left``/``right``/``probability`` are the scored edges; ``dob`` (ISO strings),
    ``ssn_last4`` and ``suffix`` are per-record hard identifiers (None when missing).
    Returns an int64 array: for every record, the smallest record index of its cluster.
    The same guard as :func:`cluster`: a merge is refused when the two clusters' full
    DOBs, SSN last-4 or generation suffixes conflict; weak bridges are cut.  ``strong``
    marks edges confirmed by a full identifier, which may join clusters whose DOBs differ.
    """
    import numpy as np

    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    probability = np.asarray(probability, dtype=float)
    keep = probability >= link_threshold
    strong = np.zeros(len(left), dtype=bool) if strong is None else np.asarray(strong, bool)
    left, right, probability, strong = left[keep], right[keep], probability[keep], strong[keep]
    order = np.lexsort((right, left, -probability))
    parent = list(range(n))
    size = [1] * n
    # Hard identifiers per root; only roots that have any get an entry.
    dobs: dict[int, set] = {}
    ssns: dict[int, set] = {}
    sfx: dict[int, set] = {}
    for i in range(n):
        if dob[i] is not None:
            dobs[i] = {dob[i]}
        if ssn_last4[i] is not None:
            ssns[i] = {ssn_last4[i]}
        if suffix[i] is not None:
            sfx[i] = {suffix[i]}

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    accepted_a, accepted_b, accepted_p = [], [], []
    refused: list[tuple[int, int]] = []
    weak_roots = set()
    for k in order.tolist():
        a, b = int(left[k]), int(right[k])
        ra, rb = find(a), find(b)
        if ra != rb:
            sa, sb = ssns.get(ra), ssns.get(rb)
            if sa and sb and sa != sb:
                refused.append((a, b))
                continue
            fa, fb = sfx.get(ra), sfx.get(rb)
            if fa and fb and fa != fb:
                refused.append((a, b))
                continue
            da, db = dobs.get(ra), dobs.get(rb)
            if da and db and not strong[k] and da != db and any(
                    _iso_dobs_conflict(x, y) for x in da for y in db):
                refused.append((a, b))
                continue
            if size[ra] < size[rb]:
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
            for table in (dobs, ssns, sfx):
                moved = table.pop(rb, None)
                if moved:
                    table.setdefault(ra, set()).update(moved)
        p = float(probability[k])
        accepted_a.append(a)
        accepted_b.append(b)
        accepted_p.append(p)
    # A record with no hard identifier of its own that links strongly into two clusters
    # the guard keeps apart (a "JOHN SMITH" at the address of a Jr and a Sr) belongs to
    # neither: it is left on its own.
    ambiguous = {x for a, b in refused for x in (a, b)
                 if dob[x] is None and ssn_last4[x] is None and suffix[x] is None}
    if ambiguous:
        parent = list(range(n))
        kept = [k for k in range(len(accepted_a))
                if accepted_a[k] not in ambiguous and accepted_b[k] not in ambiguous]
        accepted_a = [accepted_a[k] for k in kept]
        accepted_b = [accepted_b[k] for k in kept]
        accepted_p = [accepted_p[k] for k in kept]
        for a, b in zip(accepted_a, accepted_b):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    if bridge_strength > link_threshold and accepted_a:
        acc_a = np.array(accepted_a, dtype=np.int64)
        acc_b = np.array(accepted_b, dtype=np.int64)
        acc_p = np.array(accepted_p)
        weak = acc_p < bridge_strength
        weak_roots = set(roots[acc_a[weak]].tolist())
        if weak_roots:
            sizes = np.bincount(roots, minlength=n)
            candidates = [r for r in weak_roots if sizes[r] >= 4]
            if candidates:
                roots = _cut_bridges_bulk(roots, acc_a, acc_b, acc_p, candidates,
                                          bridge_strength)
    # Label each cluster by its smallest member.
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, roots, np.arange(n, dtype=np.int64))
    return smallest[roots]


def _iso_dobs_conflict(x: str, y: str) -> bool:
    if x == y:
        return False
    if len(x) == len(y) == 10 and x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]:
        return False
    return Levenshtein.distance(x, y) > 1


def _cut_bridges_bulk(roots, acc_a, acc_b, acc_p, candidates, strength):
    import numpy as np

    roots = roots.copy()
    by_root: dict[int, list[int]] = {}
    edge_root = roots[acc_a]
    wanted = set(candidates)
    for k in np.flatnonzero(np.isin(edge_root, list(wanted))).tolist():
        by_root.setdefault(int(edge_root[k]), []).append(k)
    members_of: dict[int, list[int]] = {}
    for i in np.flatnonzero(np.isin(roots, list(wanted))).tolist():
        members_of.setdefault(int(roots[i]), []).append(i)
    for root, edge_ids in by_root.items():
        edges = [Edge(int(acc_a[k]), int(acc_b[k]), float(acc_p[k])) for k in edge_ids]
        members = members_of[root]
        parts = _cut_weak_bridges([members], edges, lambda i, r=root: r, strength)
        if len(parts) > 1:
            for part in parts:
                label = min(part)
                for i in part:
                    roots[i] = label
    return roots
