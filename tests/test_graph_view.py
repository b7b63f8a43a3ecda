"""The identity graph as drawn for the web: every node placed, no two labels overlapping
(for any graph: hypothesis), a legend, and nothing but presentation attributes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tracer.web.graph_view import COLOURS, layout, render_svg

KINDS = ("record", "address", "phone", "email")


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


labels = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789,.-@()", min_size=0,
                 max_size=90)


@st.composite
def graphs(draw):
    nodes = [{"id": "account:A-1", "kind": "account", "label": draw(labels)}]
    for i in range(draw(st.integers(0, 40))):
        nodes.append({"id": f"n{i}", "kind": draw(st.sampled_from(KINDS)),
                      "label": draw(labels)})
    ids = [n["id"] for n in nodes]
    edges = []
    for _ in range(draw(st.integers(0, 60))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        edges.append({"src": a, "dst": b, "kind": draw(st.sampled_from(
            ("same_person", "has_attribute"))), "probability": draw(st.floats(0, 1))})
    return {"nodes": nodes, "edges": edges}


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_no_two_labels_overlap_and_every_node_is_inside(graph):
    placed, width, height = layout(graph)
    assert {p.node["id"] for p in placed} == {n["id"] for n in graph["nodes"]}
    boxes = [p.box for p in placed]
    for i, a in enumerate(boxes):
        assert 0 <= a[0] and a[2] <= width and 0 <= a[1] and a[3] <= height
        for b in boxes[i + 1:]:
            assert not overlap(a, b), (a, b)


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_the_svg_is_plain_and_escaped(graph):
    svg = str(render_svg(graph))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script" not in svg and " style=" not in svg and " on" not in svg.replace(
        " one", "")
    assert svg.count("<circle") >= len(graph["nodes"])


def test_the_legend_names_every_kind_and_both_edges():
    svg = str(render_svg({"nodes": [{"id": "account:A", "kind": "account", "label": "A"}],
                          "edges": []}))
    for colour in COLOURS.values():
        assert colour in svg
    assert "same person" in svg and "has this contact point" in svg


def test_records_are_ordered_by_their_match_to_the_account():
    graph = {"nodes": [{"id": "account:A", "kind": "account", "label": "ANN"},
                       {"id": "r1", "kind": "record", "label": "weak"},
                       {"id": "r2", "kind": "record", "label": "strong"}],
             "edges": [{"src": "account:A", "dst": "r1", "kind": "same_person",
                        "probability": 0.2},
                       {"src": "account:A", "dst": "r2", "kind": "same_person",
                        "probability": 0.97}]}
    placed, _, _ = layout(graph)
    records = [p.node["label"] for p in sorted(placed, key=lambda p: p.y)
               if p.node["kind"] == "record"]
    assert records == ["strong", "weak"]
