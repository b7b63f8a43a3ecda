"""`tracer model calibrate`: the contact model learns from the workspace's outcomes."""

from __future__ import annotations

import json
import math
import random
import shutil
from datetime import date
from pathlib import Path

import pytest

from tracer.matching import calibration as C
from tracer.matching.contact_model import PRIOR, PRIOR_COEFFICIENTS, ContactModel
from tracer_dev.portfolio_world import build_world, write_world

REASON = "Placement skip-trace: mail returned, phones disconnected"


def _examples(truth: dict[str, float], n: int, seed: int) -> list[C.Example]:
    """Outcomes drawn from a known model: the fit must find it again."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ev = {"years_since_seen": round(rng.uniform(0, 5), 2),
              "extra_sources": float(rng.randint(0, 3)),
              "other_later": float(rng.random() < 0.2), "mobile": float(rng.random() < 0.7)}
        z = truth["base"] + sum(truth[k] * v for k, v in ev.items())
        p = 1 / (1 + math.exp(-z))
        out.append(C.Example("phone", ev, 1.0, int(rng.random() < p), f"A{i}"))
    return out


def test_the_fit_finds_the_model_that_made_the_outcomes():
    truth = {"base": 1.0, "years_since_seen": -0.8, "extra_sources": 0.5,
             "other_later": -2.5, "mobile": 0.4}
    model = C.fit(_examples(truth, 4000, seed=1))
    fitted = model.coefficients["phone"]
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, abs=0.3), name
    held_out = C.reliability(model, _examples(truth, 2000, seed=2))
    assert held_out["ece"] <= 0.03
    assert C.reliability(PRIOR, _examples(truth, 2000, seed=2))["ece"] > held_out["ece"]


def test_a_kind_without_both_labels_keeps_the_prior():
    only_bad = [C.Example("address", {"years_since_seen": 1.0}, 1.0, 0, f"A{i}")
                for i in range(100)]
    model = C.fit(only_bad)
    assert model.coefficients["address"] == PRIOR_COEFFICIENTS["address"]
    assert model.coefficients["email"] == PRIOR_COEFFICIENTS["email"]


def test_few_outcomes_stay_near_the_prior():
    truth = {"base": 3.0, "years_since_seen": 0.0, "extra_sources": 0.0,
             "other_later": 0.0, "mobile": 0.0}
    few = C.fit(_examples(truth, 40, seed=3)).coefficients["phone"]
    many = C.fit(_examples(truth, 4000, seed=3)).coefficients["phone"]
    prior = PRIOR_COEFFICIENTS["phone"]["other_later"]
    assert abs(few["other_later"] - prior) < abs(many["other_later"] - prior) + 1.0
    assert abs(few["base"] - PRIOR_COEFFICIENTS["phone"]["base"]) < \
        abs(many["base"] - PRIOR_COEFFICIENTS["phone"]["base"])


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[int, Path]:
    """Two worlds of our own generator (tracer_dev), another seed each."""
    out = {}
    for seed in (3, 4):
        folder = tmp_path_factory.mktemp(f"world{seed}")
        write_world(build_world(seed, 200, date(2025, 6, 30)), folder)
        out[seed] = folder
    return out


def _workspace(ws, world: Path, *, outcomes: bool):
    """A workspace of ``world`` (portfolio, every source, optionally the outcomes)."""
    assert ws("accounts", "import", world / "input" / "portfolio.csv", "--user", "sam").exit_code == 0
    for path in sorted((world / "input" / "sources").glob("*.csv")):
        assert ws("records", "import", path, "--source", path.stem, "--user", "sam").exit_code == 0
    if outcomes:
        run = ws("outcomes", "import", world / "input" / "outcomes.csv", "--user", "sam")
        assert run.exit_code == 0, run.output


def _ece(ws, world: Path) -> float:
    """ECE of every exported row of allowed accounts against the world's truth (as
    world-dev's score.py measures it): truth measures, nothing is fitted to it."""
    truth = json.loads((world / "truth.json").read_text())
    rows = ws.sql("SELECT c.account_id, c.kind, c.value, c.confidence FROM contact_results c")
    bins = [[0, 0.0, 0] for _ in range(10)]
    from tracer.outcomes import contact_value
    for account, kind, value, conf in rows:
        t = truth["accounts"][account]
        if t["must_refuse"] or t["scrub"]:
            continue
        if kind == "phone":
            ok = value in t["current_phones"]
        elif kind == "email":
            ok = value == t["current_email"]
        else:
            want = contact_value("address", t["current_address"] or "")
            ok = want is not None and contact_value("address", value)[1] == want[1]
        b = bins[min(9, int(conf * 10))]
        b[0], b[1], b[2] = b[0] + 1, b[1] + conf, b[2] + ok
    return sum(abs(b[1] - b[2]) for b in bins) / sum(b[0] for b in bins)


def _batch(ws):
    run = ws("batch", "--purpose", "collect-debt", "--reason", REASON, "--as-of",
             "2025-06-30", "--user", "sam", "--json")
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)


def test_calibrate_is_versioned_audited_and_shown(ws, worlds):
    _workspace(ws, worlds[3], outcomes=True)
    run = ws("model", "calibrate", "--user", "sam", "--json")
    assert run.exit_code == 0, run.output
    report = json.loads(run.stdout)
    assert report["version"] == 1 and report["by_kind"]["phone"] >= C.MIN_EXAMPLES
    [payload] = [json.loads(p) for (p,) in ws.sql(
        "SELECT payload FROM audit WHERE event = 'model_calibrated'")]
    assert payload["version"] == 1 and payload["examples"] == report["by_kind"]
    shown = ws("model", "show")
    assert "contact model v1" in shown.stdout and "held-out outcomes" in shown.stdout
    assert "predicted" in shown.stdout and "observed" in shown.stdout


def test_a_batch_recalibrates_when_outcomes_arrived_and_only_then(ws, worlds):
    _workspace(ws, worlds[3], outcomes=True)
    _batch(ws)
    assert ws.sql("SELECT count(*) FROM contact_models")[0][0] == 1
    ranked = ws.sql("SELECT payload FROM audit WHERE event = 'candidates_ranked' LIMIT 1")
    assert json.loads(ranked[0][0])["models"]["contact"] == 1
    _batch(ws)                                      # no new outcomes: the same model
    assert ws.sql("SELECT count(*) FROM contact_models")[0][0] == 1


def test_calibration_on_one_seed_holds_on_another(ws, worlds, tmp_path, monkeypatch):
    """Fit on seed 3's outcomes; trace seed 4 (no outcomes of its own) with that model:
    its confidence is calibrated within 0.05 there (measured on these 200-account worlds:
    prior 0.071, fitted 0.031; on 2,000-account worlds of seeds 1 and 2 the transfer
    gives 0.057 against the prior's 0.058, see bench/README.md)."""
    from conftest import Workspace
    _workspace(ws, worlds[3], outcomes=True)
    assert ws("model", "calibrate", "--user", "sam").exit_code == 0
    [(fitted,)] = ws.sql("SELECT model FROM contact_models")

    other = Workspace(tmp_path / "other", monkeypatch)
    (tmp_path / "other").mkdir()
    for args in (("init",), ("users", "add", "sam", "--role", "supervisor")):
        assert other(*args).exit_code == 0
    _workspace(other, worlds[4], outcomes=False)
    _batch(other)
    prior_ece = _ece(other, worlds[4])
    import sqlite3
    conn = sqlite3.connect(other.db)
    conn.execute("DELETE FROM contact_results")
    conn.commit()
    conn.close()
    from tracer import open_workspace
    from tracer.matching.contact_model import save_contact_model
    target = open_workspace(other.db)
    save_contact_model(target, ContactModel.from_dict(json.loads(fitted)), 0)
    target.close()
    _batch(other)
    fitted_ece = _ece(other, worlds[4])
    assert fitted_ece <= 0.05, (prior_ece, fitted_ece)
    assert fitted_ece < prior_ece
