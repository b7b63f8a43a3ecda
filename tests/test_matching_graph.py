"""The identity graph: persisted per lookup, shown as JSON or one self-contained page."""

from __future__ import annotations

import json

from tracer.matching.graph import SVG_NAMESPACE

REASON = "mail returned undeliverable, need a current address"


def _trace(ws):
    run = ws("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
             "--user", "alice", "--as-of", "2026-11-01")
    assert run.exit_code == 0, run.output


def test_graph_json_has_records_attributes_and_scored_edges(loaded):
    _trace(loaded)
    run = loaded("graph", "ACC-1", "--format", "json", "--user", "alice")
    assert run.exit_code == 0, run.output
    graph = json.loads(run.stdout)
    kinds = {n["kind"] for n in graph["nodes"]}
    assert {"account", "record", "address", "phone"} <= kinds
    same = [e for e in graph["edges"] if e["kind"] == "same_person"]
    assert same and all(0 <= e["probability"] <= 1 for e in same)
    assert any(e["kind"] == "has_attribute" and e["last_seen"] for e in graph["edges"])
    text = run.stdout
    assert "1961-03-05" not in text and "5678" not in text  # no DOB, no SSN digits
    assert loaded.sql("SELECT count(*) FROM graph_nodes")[0][0] == len(graph["nodes"])


def test_graph_html_is_self_contained(loaded):
    _trace(loaded)
    out = loaded.root / "graph.html"
    assert loaded("graph", "ACC-1", "--format", "html", "--out", out, "--user", "alice").exit_code == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "http://" not in page.replace(SVG_NAMESPACE, "")
    assert "https://" not in page and "<script" not in page


def test_graph_without_lookup_is_a_clear_error(loaded):
    run = loaded("graph", "ACC-1", "--user", "alice")
    assert run.exit_code != 0 and "no allowed lookup" in run.output
