"""Clustering scored pairs into candidate identities, guarded against mixed files.

Transitive closure over weak pairs is how one "person" swallows a quarter of a million
records.  So: edges are merged strongest first (union-find), a merge is refused when the
two clusters' hard identifiers conflict (different full DOB, a year-only DOB more than
two years from another DOB, different SSN last-4, different generation suffix), an edge
must be corroborated by more than name and partial SSN, and weak bridges (an edge whose
removal splits a cluster in two real groups) are cut.  :func:`namesake_groups` finds the
records that share a name and place with a Jr/Sr pair, which ``tracer resolve`` keeps
from joining either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Sequence

import networkx as nx
from rapidfuzz.distance import OSA, Levenshtein

from .comparisons import iso_dobs_near
from .features import Features
from .normalize import dates_transposed


@dataclass(frozen=True)
class Edge:
    a: int
    b: int
    probability: float


#: A seam record (one that matches two clusters the guard keeps apart) joins the cluster
#: whose evidence beats every conflicting cluster's by at least this many bits (log2 of
#: the odds ratio, 256:1): a record at the exact address of one JOHN SMITH is not
#: ambiguous because another JOHN SMITH lives across town.  A Jr and a Sr seen at the same
#: house match such a record about equally, so it stays ambiguous.
SEAM_MARGIN = 8.0

#: A year-only DOB more than this many years from another DOB (full or year-only) is a
#: hard conflict: a typo moves a year by one or two, a generation by twenty or more.
YEAR_TOLERANCE = 2


@dataclass
class _Group:
    members: list[int]
    dobs: set[date] = field(default_factory=set)
    ssns: set[str] = field(default_factory=set)
    suffixes: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)     # year-only DOBs


def dobs_conflict(x: date, y: date) -> bool:
    if x == y or dates_transposed(x, y):
        return False
    return Levenshtein.distance(x.isoformat(), y.isoformat()) > 1


def years_conflict(year_only: Iterable[int], years: Iterable[int]) -> bool:
    """Does a year-only DOB lie more than :data:`YEAR_TOLERANCE` years from any of
    ``years`` (the years of full DOBs, or other year-only DOBs)?"""
    years = list(years)
    return any(abs(y - x) > YEAR_TOLERANCE for y in year_only for x in years)


def _year_only(f: Features) -> int | None:
    return f.dob_year if f.dob is None and f.dob_year else None


def hard_conflict(a: Features, b: Features) -> bool:
    if a.dob and b.dob and dobs_conflict(a.dob, b.dob):
        return True
    ya, yb = _year_only(a), _year_only(b)
    if ya is not None or yb is not None:
        year_a = ya if ya is not None else (a.dob.year if a.dob else None)
        year_b = yb if yb is not None else (b.dob.year if b.dob else None)
        if year_a is not None and year_b is not None and abs(year_a - year_b) > YEAR_TOLERANCE:
            return True
    if a.ssn_last4 and b.ssn_last4 and a.ssn_last4 != b.ssn_last4:
        return True
    return bool(a.suffix and b.suffix and a.suffix != b.suffix)


def _groups_conflict(g: _Group, h: _Group) -> bool:
    if len(g.ssns | h.ssns) > 1 or len(g.suffixes | h.suffixes) > 1:
        return True
    if years_conflict(g.years, h.years | {d.year for d in h.dobs}) or \
            years_conflict(h.years, {d.year for d in g.dobs}):
        return True
    return any(dobs_conflict(x, y) for x in g.dobs for y in h.dobs)


def cluster(features: Sequence[Features], edges: Iterable[Edge], *,
            link_threshold: float = 0.9, bridge_strength: float = 0.99) -> list[list[int]]:
    """Indices of ``features`` grouped into identities (singletons included), each sorted."""
    parent = list(range(len(features)))
    groups: dict[int, _Group] = {}
    for i, f in enumerate(features):
        year = _year_only(f)
        groups[i] = _Group([i], {f.dob} if f.dob else set(),
                           {f.ssn_last4} if f.ssn_last4 else set(),
                           {f.suffix} if f.suffix else set(),
                           {year} if year is not None else set())

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
        ga.years |= gb.years
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


#: How far apart two clusters' DOBs may be for an edge to join them (``tolerance``):
#: strict (equal, transposed or one character off), near (a small typo, see
#: :func:`iso_dobs_near`), or waived (a full identifier agrees).
DOB_STRICT, DOB_NEAR, DOB_WAIVED = 0, 1, 2


def cluster_pairs(n: int, left, right, probability, *, dob, ssn_last4, suffix, strong=None,
                  tolerance=None, allowed=None, dob_year=None, identifier=None, isolated=None,
                  link_threshold: float = 0.9,
                  evidence_threshold: float | None = None, bridge_strength: float = 0.99,
                  seam_margin: float = SEAM_MARGIN, report: dict | None = None,
                  codes: dict | None = None, evidence_seams: bool | None = None):
    """Bulk version of :func:`cluster` over arrays (``tracer resolve``, a million records).

    ``left``/``right``/``probability`` are the scored edges; ``dob`` (ISO strings),
    ``ssn_last4`` and ``suffix`` are per-record hard identifiers (None when missing);
    ``dob_year`` (ints, -1 when missing) adds the year of records whose DOB is a year
    only: one more than :data:`YEAR_TOLERANCE` years from another DOB conflicts.
    Returns an int64 array: for every record, the smallest record index of its cluster.

    The guard: a merge is refused when the two clusters' full DOBs, SSN last-4 or
    generation suffixes conflict; weak bridges are cut.  ``tolerance`` (per edge,
    ``DOB_*``) lets an edge join clusters whose DOBs differ by a small typo (``DOB_NEAR``)
    or at all (``DOB_WAIVED``: a full identifier agrees; ``strong`` is the older spelling).
    ``identifier`` (per record, a tuple of full identifier values, None when missing) keeps
    that waiver to the records it was granted for: a waived edge never brings together
    two records whose DOBs are far apart unless their identifiers agree within one edit
    (two copies that share an identifier despite a mistyped DOB are one person; a third
    record with the first DOB and another identifier is not the second's).
    Edges with ``allowed`` False are evidence only: they never join two records, but
    they count when deciding whether a record is ambiguous, from ``evidence_threshold``
    (default: ``link_threshold``) up.

    Ambiguity: a record at the seam between two clusters the guard keeps apart (a
    suffix-less, DOB-less "JOHN SMITH" at the address of a Jr and a Sr) that matches both,
    shares no identifier value with either and conflicts with neither could be either
    person, so it joins neither, unless its strongest edge to one of them is
    ``seam_margin`` bits (log2 odds) above its strongest to every cluster that one conflicts
    with; ``report["ambiguous"]`` counts the records left alone.
    Records flagged ``isolated`` (namesakes, see :func:`namesake_groups`) never join:
    their edges are evidence only; ``report["isolated"]`` counts them.
    ``codes`` may give ``dob``, ``ssn_last4`` and ``suffix`` as integer codes already
    (-1 when missing, a table's), which spares coding a million objects again.
    ``evidence_seams`` says whether evidence edges between conflicting clusters mark
    seams; by default they do when the guard refused any merge at all (in any
    component), which ``report["refused"]`` tells: a backend that clusters one component
    at a time passes the whole file's answer to keep that rule.
    """
    import numpy as np

    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    probability = np.asarray(probability, dtype=float)
    tol = np.zeros(len(left), dtype=np.int8) if tolerance is None \
        else np.asarray(tolerance, dtype=np.int8).copy()
    if strong is not None:
        tol[np.asarray(strong, bool)] = DOB_WAIVED
    merge = np.ones(len(left), dtype=bool) if allowed is None \
        else np.asarray(allowed, bool).copy()
    if isolated is not None:
        isolated = np.asarray(isolated, dtype=bool)
        merge &= ~(isolated[left] | isolated[right])
    low = link_threshold if evidence_threshold is None else min(evidence_threshold,
                                                                link_threshold)
    # Edges from ``low`` up are evidence; only those from the link threshold up merge.
    keep = (probability >= low) & (left != right)
    merge &= probability >= link_threshold
    order = np.flatnonzero(keep)
    order = order[np.lexsort((right[order], left[order], -probability[order]))]
    left, right, probability = left[order], right[order], probability[order]
    tol, merge = tol[order], merge[order]

    # Merging never crosses a connected component of the kept edges, and inside a
    # component whose records carry no two different identifiers nothing can be
    # refused: its clusters are the components of its merge edges.  Only components
    # with a possible conflict (a Jr and a Sr, a mixed family) take the greedy path.
    component = _components(n, left, right)
    coded = [codes[name] if codes and name in codes else _object_codes(values)
             for name, values in (("dob", dob), ("ssn_last4", ssn_last4), ("suffix", suffix))]
    slow = _may_conflict(component, *coded, dob_year)
    slow_edge = slow[component[left]] if len(left) else np.zeros(0, dtype=bool)
    fast_merge = np.flatnonzero(merge & ~slow_edge)
    roots = _smallest_member(_components(n, left[fast_merge], right[fast_merge]))
    accepted = [fast_merge]
    ambiguous = 0
    info: dict = {}
    nodes = np.flatnonzero(slow[component])
    if len(nodes):
        local = np.full(n, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        edges = np.flatnonzero(slow_edge)
        ids = _Identifiers(len(nodes), _take(dob, nodes), _take(ssn_last4, nodes),
                           _take(suffix, nodes),
                           None if dob_year is None else np.asarray(dob_year)[nodes],
                           None if identifier is None else _take(identifier, nodes))
        sub_roots, sub_accepted, ambiguous = _greedy_with_guard(
            ids, local[left[edges]], local[right[edges]], tol[edges], merge[edges],
            _log_odds(probability[edges]), seam_margin, evidence_seams=evidence_seams,
            info=info)
        roots[nodes] = nodes[sub_roots]
        accepted.append(edges[sub_accepted])
    if report is not None:
        report["ambiguous"] = ambiguous
        report["refused"] = bool(info.get("refused"))
        report["isolated"] = 0 if isolated is None else int(isolated.sum())
    accepted = np.concatenate(accepted)
    if bridge_strength > link_threshold and len(accepted):
        accepted.sort()
        acc_a, acc_b, acc_p = left[accepted], right[accepted], probability[accepted]
        weak = acc_p < bridge_strength
        weak_roots = set(roots[acc_a[weak]].tolist())
        if weak_roots:
            sizes = np.bincount(roots, minlength=n)
            candidates = [r for r in weak_roots if sizes[r] >= 4]
            if candidates:
                roots = _cut_bridges_bulk(roots, acc_a, acc_b, acc_p, candidates,
                                          bridge_strength)
    # Label each cluster by its smallest member.
    return _smallest_member(roots)


def _take(values, index):
    import numpy as np
    return np.asarray(values, dtype=object)[index]


def _components(n: int, left, right):
    """Connected component id per node (scipy's union-find in C)."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(left):
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _smallest_member(group):
    """For every node, the smallest node index of its group."""
    import numpy as np

    n = len(group)
    smallest = np.full(int(group.max(initial=-1)) + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(smallest, group, np.arange(n, dtype=np.int64))
    return smallest[group]


def _may_conflict(component, dob, ssn_last4, suffix, dob_year):
    """Per component: could two of its records conflict on a hard identifier?  (Two
    different SSN last-4s, suffixes or full DOBs, or a year-only DOB more than
    :data:`YEAR_TOLERANCE` from another year.)  Conservative: a DOB typo counts.
    ``dob``, ``ssn_last4`` and ``suffix`` are integer codes, -1 when missing."""
    import numpy as np

    groups = int(component.max(initial=-1)) + 1
    out = np.zeros(groups, dtype=bool)
    for codes in (dob, ssn_last4, suffix):
        codes = np.asarray(codes, dtype=np.int64)
        ok = codes >= 0
        if ok.any():
            # one key per (component, value): components with two keys may conflict
            pair = np.unique(component[ok] * (int(codes.max()) + 1) + codes[ok])
            out |= np.bincount(pair // (int(codes.max()) + 1), minlength=groups) > 1
    if dob_year is not None:
        years = np.asarray(dob_year, dtype=np.int64)
        full = np.asarray(dob) >= 0
        only = (years >= 0) & ~full
        if only.any():
            has = years >= 0
            hi = np.full(groups, -1, dtype=np.int64)
            lo = np.full(groups, np.iinfo(np.int64).max, dtype=np.int64)
            np.maximum.at(hi, component[has], years[has])
            np.minimum.at(lo, component[has], years[has])
            with_only = np.zeros(groups, dtype=bool)
            with_only[component[only]] = True
            out |= with_only & (hi - lo > YEAR_TOLERANCE)
    return out


def _object_codes(values):
    """Integer codes of an array of hashable values, -1 for None."""
    from .table import factorize
    return factorize(values.tolist() if hasattr(values, "tolist") else list(values))[0]


def _log_odds(probability):
    """log2 odds of each probability (clipped where float64 rounds it to 0 or 1)."""
    import numpy as np

    p = np.clip(np.asarray(probability, dtype=float), 1e-15, 1 - 1e-15)
    return np.log2(p / (1 - p))


def _greedy_with_guard(ids, left, right, tol, merge, strength=None,
                       margin: float = SEAM_MARGIN, *, evidence_seams: bool | None = None,
                       info: dict | None = None):
    """The guarded greedy merge over edges sorted strongest first: (root per record,
    indices of the accepted edges, ambiguous records).  ``strength`` (log2 odds per
    edge) lets a seam record choose a far stronger cluster (:data:`SEAM_MARGIN`)."""
    import numpy as np

    # 1. Greedy merging, strongest edge first, refusing conflicting merges: the seams.
    first = ids.union_find()
    refused = first.union_all(np.flatnonzero(merge), left, right, tol)
    if info is not None:
        info["refused"] = bool(refused)
    if (bool(refused) if evidence_seams is None else evidence_seams):
        # Evidence edges between two clusters that conflict mark seams as well.
        roots = first.roots()
        ev = np.flatnonzero(~merge)
        ra, rb = roots[left[ev]], roots[right[ev]]
        differ = ra != rb
        for k, a, b in zip(ev[differ].tolist(), ra[differ].tolist(), rb[differ].tolist()):
            if first.conflict(a, b, int(tol[k])):
                refused.append(k)
    seams = np.zeros(ids.n, dtype=bool)
    if refused:
        refused_arr = np.array(refused, dtype=np.int64)
        seams[left[refused_arr]] = True
        seams[right[refused_arr]] = True
    seam_edges = seams[left] | seams[right]
    # 2. The core: the same merging without the seam records.
    core = ids.union_find()
    core.union_all(np.flatnonzero(merge & ~seam_edges), left, right, tol)
    # 3. Each seam record chooses among the clusters it matches, or is ambiguous.
    ambiguous = 0
    if seams.any():
        chosen, ambiguous_set = _place_seams(ids, core, seams, left, right, tol, seam_edges,
                                             strength, margin)
        ambiguous = len(ambiguous_set)
        kept = []
        for k in np.flatnonzero(merge & seam_edges).tolist():
            a, b = int(left[k]), int(right[k])
            if a in ambiguous_set or b in ambiguous_set:
                continue
            key_b = ("s", b) if seams[b] else ("c", core.find(b))
            key_a = ("s", a) if seams[a] else ("c", core.find(a))
            if (not seams[a] or key_b in chosen[a]) and (not seams[b] or key_a in chosen[b]):
                kept.append(k)
        core.union_all(np.array(kept, dtype=np.int64), left, right, tol)
    return core.roots(), np.array(core.accepted, dtype=np.int64), ambiguous


def identifiers_agree(x: tuple | None, y: tuple | None) -> bool:
    """Do two records' full identifiers (tuples, one value per identifier column) agree
    within one edit on any column?  The test behind ``DOB_WAIVED``."""
    if not x or not y:
        return False
    return any(a and b and OSA.distance(a, b) <= 1 for a, b in zip(x, y))


def _sets_conflict(a: tuple, b: tuple, level: int) -> bool:
    """Do two (dobs, ssns, suffixes, year-only DOBs, (dob, identifiers) pairs) tuples of
    sets conflict?"""
    if a[1] and b[1] and a[1] != b[1]:
        return True
    if a[2] and b[2] and a[2] != b[2]:
        return True
    if level >= DOB_WAIVED:
        # The waiver holds between records whose identifiers agree, no further.
        return any(_dates_far(x, y) and not identifiers_agree(ix, iy)
                   for x, ix in a[4] for y, iy in b[4])
    if a[3] or b[3]:
        years_a = a[3] | {int(x[:4]) for x in a[0]}
        years_b = b[3] | {int(x[:4]) for x in b[0]}
        if years_conflict(a[3], years_b) or years_conflict(b[3], years_a):
            return True
    if not a[0] or not b[0] or a[0] == b[0]:
        return False
    test = iso_dobs_conflict if level == DOB_STRICT else _iso_dobs_far
    return any(test(x, y) for x in a[0] for y in b[0])


def _dates_far(x: str | int, y: str | int) -> bool:
    """Two DOBs (ISO strings, or ints for year-only ones) beyond a typo of each other."""
    if isinstance(x, str) and isinstance(y, str):
        return x != y and _iso_dobs_far(x, y)
    year_x = x if isinstance(x, int) else int(x[:4])
    year_y = y if isinstance(y, int) else int(y[:4])
    return abs(year_x - year_y) > YEAR_TOLERANCE


class _Identifiers:
    """Per-record hard identifiers, and union-finds that track them per cluster."""

    def __init__(self, n, dob, ssn_last4, suffix, dob_year=None, identifier=None):
        import numpy as np

        self.n = n
        self.dob, self.ssn, self.sfx = dob, ssn_last4, suffix
        year_only = np.full(n, None, dtype=object)
        if dob_year is not None:
            years = np.asarray(dob_year, dtype=np.int64)
            full = np.array([v is not None for v in dob], dtype=bool) if n else \
                np.zeros(0, dtype=bool)
            pick = np.flatnonzero((years >= 0) & ~full)
            year_only[pick] = years[pick].tolist()
        self.year = year_only
        # (DOB or year-only DOB, identifiers) per record with either, when identifiers
        # are given: what a DOB_WAIVED merge checks (see :func:`_sets_conflict`).
        self.dob_id = np.full(n, None, dtype=object)
        if identifier is not None:
            for i, (d, y, v) in enumerate(zip(dob, year_only, identifier)):
                when = d if d is not None else y
                if when is not None:
                    self.dob_id[i] = (when, tuple(v) if v is not None else None)

    def own(self, i: int) -> tuple:
        return tuple({v} if v is not None else set()
                     for v in (self.dob[i], self.ssn[i], self.sfx[i], self.year[i],
                               self.dob_id[i]))

    def union_find(self) -> "_UnionFind":
        return _UnionFind(self)


class _UnionFind:
    def __init__(self, ids: _Identifiers):
        n = ids.n
        self.parent = list(range(n))
        self.size = [1] * n
        self.accepted: list[int] = []
        self.tables: tuple[dict, ...] = ({}, {}, {}, {}, {})
        for table, col in zip(self.tables, (ids.dob, ids.ssn, ids.sfx, ids.year, ids.dob_id)):
            for i, v in enumerate(col.tolist() if hasattr(col, "tolist") else col):
                if v is not None:
                    table[i] = {v}

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def identifiers(self, root: int) -> tuple:
        return tuple(t.get(root) or set() for t in self.tables)

    def conflict(self, ra: int, rb: int, level: int) -> bool:
        return _sets_conflict(self.identifiers(ra), self.identifiers(rb), level)

    def union_all(self, edges, left, right, tol) -> list[int]:
        """Merge along ``edges`` (indices, in order); returns the refused ones."""
        refused = []
        find, size, parent = self.find, self.size, self.parent
        dobs, ssns, sfx, years, _ = self.tables
        for k in edges.tolist():
            ra, rb = find(int(left[k])), find(int(right[k]))
            if ra != rb:
                if (ra in dobs or ra in ssns or ra in sfx or ra in years) and \
                        (rb in dobs or rb in ssns or rb in sfx or rb in years) and \
                        self.conflict(ra, rb, int(tol[k])):
                    refused.append(k)
                    continue
                if size[ra] < size[rb]:
                    ra, rb = rb, ra
                parent[rb] = ra
                size[ra] += size[rb]
                for table in self.tables:
                    moved = table.pop(rb, None)
                    if moved:
                        table.setdefault(ra, set()).update(moved)
            self.accepted.append(k)
        return refused

    def roots(self):
        import numpy as np
        return np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64,
                           count=len(self.parent))


def _place_seams(ids, core, seams, left, right, tol, seam_edges, strength=None,
                 margin: float = SEAM_MARGIN):
    """For each seam record: the clusters (core roots, or other seam records) it may join,
    or its membership of the ambiguous set.  Among conflicting candidates, those more than
    ``margin`` bits weaker than the strongest (``strength``, log2 odds per edge) drop out."""
    import numpy as np

    def key_of(y: int) -> tuple:
        """A seam record stands for itself; any other record for its core cluster."""
        return ("s", y) if seams[y] else ("c", core.find(y))

    def identifiers_of(key: tuple) -> tuple:
        return ids.own(key[1]) if key[0] == "s" else core.identifiers(key[1])

    candidates: dict[int, dict[tuple, int]] = {}
    best: dict[int, dict[tuple, float]] = {}
    for k in np.flatnonzero(seam_edges).tolist():
        a, b = int(left[k]), int(right[k])
        for x, y in ((a, b), (b, a)):
            if seams[x]:
                key = key_of(y)
                cands = candidates.setdefault(x, {})
                cands[key] = max(cands.get(key, 0), int(tol[k]))
                if strength is not None:
                    odds = best.setdefault(x, {})
                    odds[key] = max(odds.get(key, -np.inf), float(strength[k]))
    chosen: dict[int, set] = {}
    ambiguous = set()
    adjacent: dict[tuple, set] | None = None
    for x in sorted(candidates):
        mine = ids.own(x)
        found = {}
        for key, level in candidates[x].items():
            theirs = identifiers_of(key)
            if not _sets_conflict(mine, theirs, level):
                found[key] = theirs
        shared = {key: t for key, t in found.items()
                  if any(m & o for m, o in zip(mine[:3], t[:3]))}
        pool = shared or found
        keys = sorted(pool)

        def torn(keys):
            return any(_sets_conflict(pool[p], pool[q], DOB_STRICT)
                       for i, p in enumerate(keys) for q in keys[i + 1:])

        if strength is not None and torn(keys):
            top = max(best[x][q] for q in keys)
            keys = [q for q in keys if best[x][q] > top - margin]
        if torn(keys):
            ambiguous.add(x)
            continue
        chosen[x] = set(keys)
        if shared and len(found) > len(shared):
            # A candidate that shares no identifier with x (a bare record at x's address)
            # joins along with the clusters x chose, unless it conflicts with them or an
            # edge ties it to a cluster that does: it could be that other man's.
            if adjacent is None:
                adjacent = {}
                for a, b in zip(left.tolist(), right.tolist()):
                    ka, kb = key_of(a), key_of(b)
                    if ka != kb:
                        adjacent.setdefault(ka, set()).add(kb)
                        adjacent.setdefault(kb, set()).add(ka)
            sides = [mine, *(pool[q] for q in keys)]

            def clashes(t: tuple) -> bool:
                return any(_sets_conflict(t, side, DOB_STRICT) for side in sides)

            chosen[x].update(
                key for key, t in found.items() if key not in pool and not clashes(t)
                and not any(clashes(identifiers_of(z)) for z in adjacent.get(key, ())
                            if z != ("s", x)))
    return chosen, ambiguous


def iso_dobs_conflict(x: str, y: str) -> bool:
    """Two ISO dates that are neither equal, day/month transposed nor one typo apart."""
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


def _iso_dobs_far(x: str, y: str) -> bool:
    return not iso_dobs_near(x, y)


def dense_key(*codes):
    """One dense int64 code per row for a tuple of int code columns (-1: a part missing)."""
    import numpy as np

    n = len(codes[0])
    key = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for col in codes:
        col = np.asarray(col, dtype=np.int64)
        valid &= col >= 0
        key = key * (int(col.max(initial=0)) + 1) + np.maximum(col, 0)
        key = np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(n)
    key[~valid] = -1
    return key


def _distinct_per_group(group, values, groups: int):
    """How many distinct non-missing ``values`` each group holds."""
    import numpy as np

    ok = (group >= 0) & (values >= 0)
    if not ok.any():
        return np.zeros(groups, dtype=np.int64)
    pairs = np.unique(np.stack([group[ok], values[ok]], axis=1), axis=0)
    return np.bincount(pairs[:, 0], minlength=groups)


def suffix_namesakes(*keys, middle, suffix):
    """Per record: does a record with a generation suffix share every key column (int
    codes, -1 when missing) and a compatible middle initial (the same one, or either
    missing)?  A Jr and a Sr share their middle name, so a JAMES T SMITH is no namesake
    of JAMES R SMITH SR.  Numpy group-bys only."""
    import numpy as np

    key = dense_key(*keys)
    n = len(key)
    out = np.zeros(n, dtype=bool)
    suffix = np.asarray(suffix, np.int64)
    bearer = (key >= 0) & (suffix >= 0)
    if not bearer.any():
        return out
    middle = np.asarray(middle, np.int64)
    width = int(middle.max(initial=0)) + 2
    # keys with a suffix bearer of no middle initial, or of each middle initial
    any_bearer = np.zeros(int(key.max()) + 1, dtype=bool)
    any_bearer[key[bearer]] = True
    bare_bearer = np.zeros_like(any_bearer)
    bare_bearer[key[bearer & (middle < 0)]] = True
    pair = key[bearer & (middle >= 0)] * width + middle[bearer & (middle >= 0)]
    has = key >= 0
    k = np.maximum(key, 0)
    with_middle = has & (middle >= 0)
    out[has & (middle < 0)] = any_bearer[k[has & (middle < 0)]]
    out[with_middle] = bare_bearer[k[with_middle]] | np.isin(
        k[with_middle] * width + middle[with_middle], pair)
    return out


def generation_families(first, last, place, *, suffix):
    """Per record: do records of its name (int codes) in its ``place`` (an address, a
    ZIP area) carry two different generation suffixes: a Jr and a Sr of the name live
    there?  Numpy group-bys only."""
    import numpy as np

    key = dense_key(first, last, place)
    if not len(key) or key.max(initial=-1) < 0:
        return np.zeros(len(key), dtype=bool)
    suffixes = _distinct_per_group(key, np.asarray(suffix, np.int64), int(key.max()) + 1)
    return (key >= 0) & (suffixes >= 2)[np.maximum(key, 0)]


def generational_addresses(first, last, dob, address, *, suffix):
    """Per record: did a generational namesake live at its address?  A record carrying a
    Jr/Sr suffix marks its name at its address; so does any record with the same name
    and full DOB as a suffix bearer (the same man, his suffix dropped on this record).
    Where a Jr and a Sr shared a house, a bare record of the name there is either's.
    Numpy group-bys only."""
    import numpy as np

    suffix = np.asarray(suffix, np.int64)
    by_dob = dense_key(first, last, dob)
    bearer_dob = np.zeros(int(by_dob.max(initial=0)) + 1, dtype=bool)
    bearer_dob[by_dob[(by_dob >= 0) & (suffix >= 0)]] = True
    generational = (suffix >= 0) | ((by_dob >= 0) & bearer_dob[np.maximum(by_dob, 0)])
    at = dense_key(first, last, address)
    marked = np.zeros(int(at.max(initial=0)) + 1, dtype=bool)
    marked[at[generational & (at >= 0)]] = True
    return (at >= 0) & marked[np.maximum(at, 0)]


def namesake_groups(*keys, dob_year, ssn_last4, suffix, generational: bool = True,
                    conflicts: bool = True):
    """Namesake groups: the records sharing every key column (int codes, -1 when missing;
    e.g. first name, last name and address) among which two conflict on a hard identifier
    (``conflicts``: two SSN last-4s, two generation suffixes, or birth years more than
    :data:`YEAR_TOLERANCE` apart) or one carries a generation suffix (``generational``) —
    a Jr and a Sr at one address.  Returns (group id per record, -1 when the record is in
    no such group; the number of such groups).  Numpy group-bys only, so the answer does
    not depend on row order and costs a few sorts at a million records."""
    import numpy as np

    key = dense_key(*keys)
    n = len(key)
    if not n or key.max(initial=-1) < 0:
        return np.full(n, -1, dtype=np.int64), 0
    groups = int(key.max()) + 1
    suffix = np.asarray(suffix, np.int64)
    suffixes = _distinct_per_group(key, suffix, groups)
    conflict = np.zeros(groups, dtype=bool)
    if generational:
        # A generation suffix says on its own that the name has two bearers.
        conflict |= suffixes > 0
    years = np.asarray(dob_year, dtype=np.int64)
    has = (key >= 0) & (years >= 0)
    if conflicts:
        conflict |= (_distinct_per_group(key, np.asarray(ssn_last4, np.int64), groups) > 1) \
            | (suffixes > 1)
    if conflicts and has.any():
        hi = np.full(groups, -1, dtype=np.int64)
        lo = np.full(groups, np.iinfo(np.int64).max, dtype=np.int64)
        np.maximum.at(hi, key[has], years[has])
        np.minimum.at(lo, key[has], years[has])
        conflict |= (hi >= 0) & (hi - lo > YEAR_TOLERANCE)
    out = np.where((key >= 0) & conflict[np.maximum(key, 0)], key, -1)
    return out, int(conflict.sum())

