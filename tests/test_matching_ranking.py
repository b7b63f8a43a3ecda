"""Contact ranking: each factor in the waterfall, the kind of contact among them."""

from __future__ import annotations

import math
import sys
from datetime import date
from pathlib import Path

import pytest

from tracer.matching.features import features_of
from tracer.matching.ranking import COEFFICIENTS, Identity, rank_contacts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import match_calibration  # noqa: E402

AS_OF = date(2026, 6, 1)


def _contacts():
    rows = [dict(first_name="Ida", last_name="Marsh", street="12 Oak St", city="Springfield",
                 state="IL", zip="62704", phone="217-555-0101", email="ida.m@example.org",
                 first_seen="2024-01-05", last_seen="2026-04-30"),
            dict(first_name="Ida", last_name="Marsh", street="9 Elm St", city="Springfield",
                 state="IL", zip="62704", phone="217-555-0144",
                 first_seen="2019-03-01", last_seen="2023-11-30")]
    members = [features_of(r, key=f"r{i}", source="county") for i, r in enumerate(rows)]
    return rank_contacts([Identity("id1", members, confidence=0.9)], as_of=AS_OF)


@pytest.mark.parametrize("kind, step", [("address", None), ("phone", "kind phone"),
                                        ("email", "kind email")])
def test_each_kind_has_its_own_term(kind, step):
    for cp in (c for c in _contacts() if c.kind == kind):
        labels = [label for label, _ in cp.waterfall]
        assert (step in labels) if step else not any(x.startswith("kind ") for x in labels)


def test_the_waterfall_adds_up_to_the_confidence():
    for cp in _contacts():
        steps = [v for label, v in cp.waterfall if label != "identity confidence"]
        identity = dict(cp.waterfall)["identity confidence"]
        p = 1 / (1 + math.exp(-sum(steps)))
        assert cp.confidence == pytest.approx(identity * p, abs=1e-3)


def test_the_calibration_bench_reads_back_every_factor():
    """bench/match_calibration.py refits COEFFICIENTS from waterfalls: each step must map
    to its factor, or a refit would silently drop it."""
    for cp in _contacts():
        x, identity = match_calibration.features_of_contact(cp.waterfall, COEFFICIENTS)
        w = [COEFFICIENTS[k] for k in match_calibration.FACTORS]
        steps = sum(v for label, v in cp.waterfall if label != "identity confidence")
        assert sum(a * b for a, b in zip(x, w)) == pytest.approx(steps, abs=1e-2)


def test_a_newer_address_outranks_the_old_one():
    addresses = [c for c in _contacts() if c.kind == "address"]
    assert addresses[0].value.startswith("12 OAK")
    assert addresses[0].confidence > addresses[1].confidence
