"""Bulk clustering: an oracle against networkx, and the mixed-file guard as a property."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tracer.matching.clustering import cluster_pairs, identifiers_agree
from tracer.matching.comparisons import iso_dobs_near

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


#: DOBs: equal, a small typo apart (near), another generation; identifiers: one typo
#: apart, another altogether.
guard_dobs = st.one_of(st.none(), st.sampled_from(["1961-03-05", "1961-06-03", "1990-08-08"]))
guard_ids = st.one_of(st.none(), st.sampled_from(["6702216", "6702217", "6634675"]))


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.lists(guard_dobs, min_size=n, max_size=n),
    st.lists(guard_ids, min_size=n, max_size=n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.9, 1.0),
                       st.integers(0, 2)), max_size=12))))
def test_a_dob_waiver_never_reaches_past_the_identifier_it_was_granted_for(case):
    """Whatever the edges' DOB tolerance, no cluster holds two records whose DOBs are
    far apart unless their identifiers agree within one edit (a waived edge joins two
    copies sharing an identifier; it does not vouch for the rest of either cluster)."""
    dobs, ids, edges = case
    n = len(dobs)
    edges = [e for e in edges if e[0] != e[1]]
    none = _ids([None] * n)
    labels = cluster_pairs(n, [e[0] for e in edges], [e[1] for e in edges],
                           [e[2] for e in edges], tolerance=[e[3] for e in edges],
                           dob=_ids(dobs), ssn_last4=none, suffix=none,
                           identifier=_ids([(v,) if v else None for v in ids]),
                           link_threshold=0.9, bridge_strength=0.0)
    for i in range(n):
        for j in range(i + 1, n):
            if labels[i] == labels[j] and dobs[i] and dobs[j] \
                    and not iso_dobs_near(dobs[i], dobs[j]):
                assert identifiers_agree((ids[i],), (ids[j],)), (i, j, dobs, ids, edges)


@pytest.mark.parametrize("tolerance, merged", [
    ([0, 2], [0, 1, 0]),    # the waived copy stays out: its DOB conflicts with record 2's
    ([2, 2], [0, 1, 0]),    # a waiver on both edges still does not vouch for 1 with 2
    ([0, 0], [0, 1, 0]),
])
def test_a_dob_waiver_joins_only_the_records_sharing_the_identifier(tolerance, merged):
    """Record 0 and its copy 1 share an identity number, 1's DOB mistyped wholesale; 2
    has 0's DOB and another number.  0 joins 2 (stronger edge first); the waived edge
    0-1 would put 1 and 2 together, whose DOBs and numbers both differ: refused."""
    labels = cluster_pairs(
        3, [0, 0], [2, 1], [0.99, 0.98], tolerance=tolerance,
        dob=_ids(["1961-03-05", "1990-08-08", "1961-03-05"]), ssn_last4=_ids([None] * 3),
        suffix=_ids([None] * 3), identifier=_ids([("6702216",), ("6702216",), ("6634675",)]),
        link_threshold=0.9, bridge_strength=0.0)
    assert labels.tolist() == merged


def test_a_dob_waiver_does_not_vouch_for_a_year_only_dob_either():
    """As above with a year-only DOB on the copy: 1990 is a generation from 1961."""
    labels = cluster_pairs(
        3, [0, 0], [2, 1], [0.99, 0.98], tolerance=[0, 2],
        dob=_ids(["1961-03-05", None, "1961-03-05"]), dob_year=np.array([1961, 1990, 1961]),
        ssn_last4=_ids([None] * 3), suffix=_ids([None] * 3),
        identifier=_ids([("6702216",), ("6702216",), ("6634675",)]),
        link_threshold=0.9, bridge_strength=0.0)
    assert labels.tolist() == [0, 1, 0]


@pytest.mark.parametrize("bare_tied_to_the_other_man, expected", [
    (False, [0, 0, 2, 0]),
    (True, [0, 0, 2, 3]),
])
def test_a_seam_record_brings_along_a_bare_record_nothing_ties_to_the_other_man(
        bare_tied_to_the_other_man, expected):
    """Record 0 (born 1968) matches 1 (born 1968), 2 (born 1953: another man, refused)
    and 3, a bare name-and-address record.  0 joins 1, with which it shares its DOB; 3
    comes along, since nothing of it points at 2, unless an edge ties 3 to 2 as well."""
    left, right, prob, allowed = [0, 0, 0], [1, 2, 3], [0.999, 0.995, 0.998], [True] * 3
    if bare_tied_to_the_other_man:
        left, right, prob, allowed = left + [3], right + [2], prob + [0.99], allowed + [False]
    labels = cluster_pairs(4, left, right, prob, allowed=allowed,
                           dob=_ids(["1968-10-16", "1968-10-16", "1953-04-11", None]),
                           ssn_last4=_ids([None] * 4), suffix=_ids([None] * 4),
                           link_threshold=0.9, bridge_strength=0.0)
    assert labels.tolist() == expected


def test_a_dob_waiver_joins_two_copies_sharing_the_identifier():
    labels = cluster_pairs(2, [0], [1], [0.98], tolerance=[2],
                           dob=_ids(["1961-03-05", "1990-08-08"]), ssn_last4=_ids([None] * 2),
                           suffix=_ids([None] * 2),
                           identifier=_ids([("6702216",), ("6702217",)]),
                           link_threshold=0.9, bridge_strength=0.0)
    assert labels.tolist() == [0, 0]


@pytest.mark.parametrize("x, y, near", [
    ("1961-03-05", "1961-03-05", True),
    ("1961-03-05", "1961-05-03", True),     # day/month transposed
    ("1961-03-05", "1961-03-15", True),     # one digit
    ("1957-10-24", "1957-12-04", True),     # two digits
    ("1933-01-22", "1933-02-12", True),
    ("1961-03-05", "1916-03-05", False),    # a swap in the year: 45 years apart
    ("1962-04-02", "1990-04-02", False),    # Sr and Jr with the same birthday
    ("1962-04-02", "1962-11-29", False),    # four digits off
])
def test_dobs_near_is_a_typo_never_a_generation(x, y, near):
    assert iso_dobs_near(x, y) is near


def _ids(values):
    return np.array(values, dtype=object)


@pytest.mark.parametrize("dob, ssn, suffix, edges", [
    # record 2 (no DOB, SSN or suffix) matches the Sr (0) and the Jr (1)
    (["1962-09-15", "1990-04-02", None, None], [None, None, None, None],
     ["SR", "JR", None, "SR"], [(0, 2, 0.99), (1, 2, 0.98)]),
    # record 2 has a DOB and SSN but no suffix; the Sr cluster (0, 3) and the Jr (1)
    # carry only suffixes, so nothing but the seam tells them apart
    ([None, None, "1990-04-02", None], [None, None, "1111", None],
     ["SR", "JR", None, "SR"], [(0, 3, 0.99), (2, 3, 0.99), (1, 2, 0.95)]),
])
def test_a_record_matching_a_jr_and_a_sr_joins_neither(dob, ssn, suffix, edges):
    report: dict = {}
    labels = cluster_pairs(4, [e[0] for e in edges], [e[1] for e in edges],
                           [e[2] for e in edges], dob=_ids(dob), ssn_last4=_ids(ssn),
                           suffix=_ids(suffix), link_threshold=0.9, bridge_strength=0.0,
                           report=report)
    assert labels[0] != labels[1]
    assert report["ambiguous"] == 1
    assert labels[2] == 2


@pytest.mark.parametrize("near, far, joins", [
    # the same name at this man's exact address (17.6 bits) vs the same name across town
    # (5.2 bits): 12.4 bits, over 5000:1 — the record is this man's
    (1 - 2 ** -17.6, 0.974, 0),
    (0.9999, 0.9, 0),            # 13.3 vs 3.2 bits
    (0.9999, 0.98, None),        # 13.3 vs 5.6 bits: under SEAM_MARGIN, still ambiguous
    (0.99, 0.98, None),          # a record at a Jr and Sr house matches both alike
    (0.974, 1 - 2 ** -17.6, 1),  # the stronger side wins whichever it is
])
def test_a_seam_record_joins_a_far_stronger_cluster(near, far, joins):
    # record 2 (a name and an address only) matches two men whose SSN last-4s differ
    report: dict = {}
    labels = cluster_pairs(3, [0, 1], [2, 2], [near, far], dob=_ids([None] * 3),
                           ssn_last4=_ids(["8829", "7099", None]), suffix=_ids([None] * 3),
                           link_threshold=0.9, bridge_strength=0.0, report=report)
    assert labels[0] != labels[1]
    if joins is None:
        assert labels[2] == 2 and report["ambiguous"] == 1
    else:
        assert labels[2] == labels[joins] and report["ambiguous"] == 0


def test_a_seam_margin_of_infinity_keeps_every_seam_record_ambiguous():
    labels = cluster_pairs(3, [0, 1], [2, 2], [1 - 2 ** -17.6, 0.974], dob=_ids([None] * 3),
                           ssn_last4=_ids(["8829", "7099", None]), suffix=_ids([None] * 3),
                           link_threshold=0.9, bridge_strength=0.0, seam_margin=float("inf"))
    assert labels.tolist() == [0, 1, 2]


def test_a_record_sharing_an_identifier_is_not_ambiguous():
    # record 2 carries the Sr's SSN: it is the Sr's, even though it matches the Jr too
    labels = cluster_pairs(3, [0, 1], [2, 2], [0.95, 0.99], dob=_ids([None, None, None]),
                           ssn_last4=_ids(["7846", None, "7846"]), suffix=_ids(["SR", "JR", None]),
                           link_threshold=0.9, bridge_strength=0.0)
    assert labels.tolist() == [0, 1, 0]


def test_evidence_edges_never_merge():
    none = _ids([None, None])
    labels = cluster_pairs(2, [0], [1], [0.99], dob=none, ssn_last4=none, suffix=none,
                           allowed=[False], link_threshold=0.9, bridge_strength=0.0)
    assert labels.tolist() == [0, 1]


def test_near_dob_tolerance_joins_only_a_typo_apart():
    dob = _ids(["1957-10-24", "1957-12-04", "1980-12-04"])
    none = _ids([None] * 3)
    args = dict(dob=dob, ssn_last4=none, suffix=none, link_threshold=0.9, bridge_strength=0.0)
    strict = cluster_pairs(3, [0, 1], [1, 2], [0.99, 0.99], **args)
    near = cluster_pairs(3, [0, 1], [1, 2], [0.99, 0.99], tolerance=[1, 1], **args)
    assert len(set(strict.tolist())) == 3
    assert near.tolist()[:2] == [0, 0] and near[2] == 2


@pytest.mark.parametrize("dob, dob_year, merged", [
    ([None, None], [1971, 1948], False),               # year only vs year only, a generation
    (["1948-03-02", None], [1948, 1971], False),       # full vs year only
    (["1948-03-02", None], [1948, 1950], True),        # two years: a typo's reach
    ([None, None], [1971, 1972], True),
])
def test_a_year_only_dob_far_from_another_dob_is_a_hard_conflict(dob, dob_year, merged):
    none = _ids([None, None])
    labels = cluster_pairs(2, [0], [1], [0.99], dob=_ids(dob), dob_year=np.array(dob_year),
                           ssn_last4=none, suffix=none, link_threshold=0.9, bridge_strength=0.0)
    assert bool(labels[0] == labels[1]) is merged


def test_hard_conflict_counts_a_year_only_dob():
    from datetime import date
    from tracer.matching.clustering import hard_conflict
    from tracer.matching.features import features_of

    sr = features_of({"first_name": "Al", "last_name": "Rook", "dob": "1948"}, key="a")
    jr = features_of({"first_name": "Al", "last_name": "Rook", "dob": "1971-05-02"}, key="b")
    typo = features_of({"first_name": "Al", "last_name": "Rook", "dob": "1949"}, key="c")
    assert sr.dob is None and sr.dob_year == 1948 and jr.dob == date(1971, 5, 2)
    assert hard_conflict(sr, jr) and hard_conflict(jr, sr)
    assert not hard_conflict(sr, typo)


# Records: (first, last, place, year, ssn, suffix) codes, -1 missing.  Records 0-1 share
# a name and place; the group is a namesake group when they conflict (or one has a suffix).
@pytest.mark.parametrize("rows, namesake", [
    ([(0, 0, 0, 1948, -1, -1), (0, 0, 0, 1971, -1, -1), (0, 0, 0, -1, -1, -1)], True),
    ([(0, 0, 0, -1, 1, -1), (0, 0, 0, -1, 2, -1), (0, 0, 0, -1, -1, -1)], True),
    ([(0, 0, 0, -1, -1, 0), (0, 0, 0, -1, -1, 1), (0, 0, 0, -1, -1, -1)], True),
    ([(0, 0, 0, -1, -1, 0), (0, 0, 0, 1971, 5, -1), (0, 0, 0, -1, -1, -1)], True),  # a suffix
    ([(0, 0, 0, 1948, 1, -1), (0, 0, 0, 1949, 1, -1), (0, 0, 0, -1, -1, -1)], False),
    ([(0, 0, 0, 1948, -1, -1), (0, 0, 1, 1971, -1, -1), (0, 0, 0, -1, -1, -1)], False),
    ([(0, 0, 0, 1948, -1, -1), (1, 0, 0, 1971, -1, -1), (0, 0, 0, -1, -1, -1)], False),
])
def test_namesake_groups(rows, namesake):
    from tracer.matching.clustering import namesake_groups

    cols = [np.array(c, dtype=np.int64) for c in zip(*rows)]
    group, count = namesake_groups(*cols[:3], dob_year=cols[3], ssn_last4=cols[4],
                                   suffix=cols[5])
    assert bool(group[2] >= 0) is namesake and count == int(namesake)
    assert group[0] == group[2] if namesake else group[0] == -1
    # row order cannot change which records are namesakes
    rev = namesake_groups(*(c[::-1] for c in cols[:3]), dob_year=cols[3][::-1],
                          ssn_last4=cols[4][::-1], suffix=cols[5][::-1])[0][::-1]
    assert ((rev >= 0) == (group >= 0)).all()


# Records: (first, last, place, middle initial, suffix) codes, -1 missing; record 0 is
# a JAMES T SMITH SR.  Which of the others could be his Jr/Sr namesake?
@pytest.mark.parametrize("other, namesake", [
    ((0, 0, 0, 5, -1), True),     # same middle initial
    ((0, 0, 0, -1, -1), True),    # no middle initial: could be either
    ((0, 0, 0, 7, -1), False),    # JAMES R SMITH: another man
    ((0, 0, 1, 5, -1), False),    # another place
    ((1, 0, 0, 5, -1), False),    # another first name
])
def test_suffix_namesakes_respect_the_middle_initial(other, namesake):
    from tracer.matching.clustering import suffix_namesakes

    rows = [(0, 0, 0, 5, 0), other]
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows)]
    out = suffix_namesakes(*cols[:3], middle=cols[3], suffix=cols[4])
    assert bool(out[1]) is namesake and bool(out[0])
    # a suffix bearer with no middle initial is a namesake of every middle initial
    rows = [(0, 0, 0, -1, 0), other]
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows)]
    out = suffix_namesakes(*cols[:3], middle=cols[3], suffix=cols[4])
    assert bool(out[1]) is (other[:3] == (0, 0, 0))


# Records: (first, last, dob, address, suffix) codes, -1 missing.  Record 0 is a JAMES
# SMITH JR born on dob 3 who lived at address 0.
@pytest.mark.parametrize("other, marked", [
    ((0, 0, -1, 0, -1), True),    # a bare JAMES SMITH at the Jr's house: his or his father's
    ((0, 0, 3, 1, -1), True),     # the Jr (same DOB, suffix dropped) at another house ...
    ((0, 0, -1, 2, -1), False),   # ... but not a bare JAMES SMITH at an unrelated house
    ((0, 0, 9, 0, -1), True),     # another JAMES SMITH (his father?) at the Jr's house
    ((1, 0, -1, 0, -1), False),   # the Jr's wife
])
def test_generational_addresses_follow_the_suffix_bearer(other, marked):
    from tracer.matching.clustering import generational_addresses

    rows = [(0, 0, 3, 0, 0), other]
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows)]
    out = generational_addresses(*cols[:4], suffix=cols[4])
    assert bool(out[0]) and bool(out[1]) is marked
    # row order cannot change the answer
    rev = generational_addresses(*(c[::-1] for c in cols[:4]), suffix=cols[4][::-1])[::-1]
    assert (rev == out).all()


def test_generational_addresses_mark_the_houses_of_the_suffix_bearers_dob():
    """Where the Jr's DOB turns up without the suffix, that house is marked too, so a
    bare namesake there is ambiguous."""
    from tracer.matching.clustering import generational_addresses

    # 0: JR dob 3 at house 0; 1: same man without suffix at house 1; 2: bare at house 1
    cols = [np.array(c, dtype=np.int64) for c in zip((0, 0, 3, 0, 0), (0, 0, 3, 1, -1),
                                                       (0, 0, -1, 1, -1), (0, 0, -1, 5, -1))]
    out = generational_addresses(*cols[:4], suffix=cols[4])
    assert out.tolist() == [True, True, True, False]
    empty = np.array([], dtype=np.int64)
    assert generational_addresses(empty, empty, empty, empty, suffix=empty).size == 0
