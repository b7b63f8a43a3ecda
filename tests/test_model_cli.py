"""`tracer model train` and `tracer model show`: a versioned model trained on the
workspace's records, and clear errors when there is nothing to train on."""

from __future__ import annotations

import json

import pytest

from conftest import RECORD_COLUMNS, RECORDS


@pytest.mark.parametrize("records, message", [(0, "has no records"),
                                              (1, "has only one record")])
def test_training_needs_pairs_of_records(ws, records, message):
    if records:
        path = ws.write_csv("extract.csv", RECORDS[:records], RECORD_COLUMNS)
        assert ws("records", "import", path, "--source", "county", "--user", "alice").exit_code == 0
    run = ws("model", "train")
    assert run.exit_code == 2
    assert message in run.stderr and "tracer records import" in run.stderr
    assert ws.sql("SELECT count(*) FROM match_models") == [(0,)]


def test_each_training_saves_the_next_version_and_show_prints_it(ws):
    path = ws.write_csv("extract.csv", RECORDS, RECORD_COLUMNS)
    assert ws("records", "import", path, "--source", "county", "--user", "alice").exit_code == 0
    first = ws("model", "train")
    assert first.exit_code == 0 and "model version 1:" in first.stdout
    second = json.loads(ws("model", "train", "--json").stdout)
    assert ws.sql("SELECT version FROM match_models ORDER BY version") == [(1,), (2,)]
    shown = json.loads(ws("model", "show", "--json").stdout)
    assert shown["m"] == second["m"] and shown["u"] == second["u"]
    assert shown["trained_on"]["records"] == len(RECORDS)
