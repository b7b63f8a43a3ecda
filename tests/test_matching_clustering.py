"""Bulk clustering: an oracle against networkx, and the mixed-file guard as a property."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings, strategies as st

from tracer.matching.clustering import cluster_pairs

edges_strategy = st.integers(2, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                   st.floats(0.0, 1.0)), max_size=80)))


@settings(max_examples=60, deadline=None)
@given(edges_strategy)
def test_components_match_networkx_without_conflicts(case):
    n, edges = case
    edges = [(a, b, p) for a, b, p in edges if a != b]
    none = np.array([None] * n, dtype=object)
    labels = cluster_pairs(n, [e[0] for e in edges], [e[1] for e in edges],
                           [e[2] for e in edges], dob=none, ssn_last4=none, suffix=none,
                           link_threshold=0.5, bridge_strength=0.0)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((a, b) for a, b, p in edges if p >= 0.5)
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    got: dict[int, set] = {}
    for i, label in enumerate(labels.tolist()):
        got.setdefault(label, set()).add(i)
    assert {frozenset(c) for c in got.values()} == expected
    assert all(label == min(members) for label, members in got.items())


values = st.one_of(st.none(), st.sampled_from(["1961-03-05", "1990-08-08", "1961-05-03"]))


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 25).flatmap(lambda n: st.tuples(
    st.lists(values, min_size=n, max_size=n),
    st.lists(st.one_of(st.none(), st.sampled_from(["1234", "9876"])), min_size=n, max_size=n),
    st.lists(st.one_of(st.none(), st.sampled_from(["JR", "SR"])), min_size=n, max_size=n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.9, 1.0)),
             max_size=60))))
def test_no_cluster_ever_mixes_hard_identifiers(case):
    dobs, ssns, suffixes, edges = case
    n = len(dobs)
    edges = [(a, b, p) for a, b, p in edges if a != b]
    arr = lambda xs: np.array(xs, dtype=object)  # noqa: E731
    labels = cluster_pairs(n, [e[0] for e in edges], [e[1] for e in edges],
                           [e[2] for e in edges], dob=arr(dobs), ssn_last4=arr(ssns),
                           suffix=arr(suffixes), link_threshold=0.9, bridge_strength=0.0)
    clusters: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        clusters.setdefault(label, []).append(i)
    for members in clusters.values():
        assert len({ssns[i] for i in members} - {None}) <= 1
        assert len({suffixes[i] for i in members} - {None}) <= 1
        # 1961-03-05 and 1961-05-03 are a day/month transposition, not a conflict.
        full = {dobs[i] for i in members} - {None}
        assert not ({"1990-08-08"} & full and full - {"1990-08-08"})
