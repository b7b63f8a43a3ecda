"""Property: whatever the identity, no full SSN or DOB reaches audit payloads, logs,
exports or error messages (DESIGN.md invariant 4)."""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from tracer.cli import cli

REASON = "mail returned undeliverable, need a current address"
names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=2,
                max_size=12)
ssns = st.tuples(st.integers(900, 999), st.integers(10, 99), st.integers(1000, 9999)) \
    .map(lambda t: f"{t[0]}-{t[1]}-{t[2]}")
dobs = st.dates(min_value=date(1930, 1, 1), max_value=date(2004, 12, 31))
ssn_styles = st.sampled_from(["dashed", "plain", "spaced", "bad"])
dob_styles = st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "bad"])


def forms_of_ssn(ssn: str) -> list[str]:
    d = ssn.replace("-", "")
    return [d, ssn, f"{d[:3]} {d[3:5]} {d[5:]}"]


def forms_of_dob(d: date) -> list[str]:
    return [d.isoformat(), d.strftime("%m/%d/%Y"), d.strftime("%Y%m%d"),
            f"{d.month}/{d.day}/{d.year}", d.strftime("%m-%d-%Y")]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=names, last=names, ssn=ssns, dob=dobs, ssn_style=ssn_styles, dob_style=dob_styles)
def test_no_full_ssn_or_dob_leaks(first, last, ssn, dob, ssn_style, dob_style):
    digits = ssn.replace("-", "")
    shown_ssn = {"dashed": ssn, "plain": digits, "spaced": ssn.replace("-", " "),
                 "bad": digits + "7"}[ssn_style]
    shown_dob = dob.strftime(dob_style) if dob_style != "bad" else dob.strftime("%m/%d/%Y") + "x"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runner = CliRunner()
        outputs = []

        def run(*args):
            result = runner.invoke(cli, ["--db", str(root / "t.db"), "-v", *map(str, args)])
            outputs.append(result.stdout + result.stderr)
            return result
        run("init")
        run("users", "add", "ann", "--role", "supervisor")
        with (root / "p.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["account_id", "first_name", "last_name", "dob", "ssn", "zip"])
            writer.writerow(["P-1", first, last, shown_dob, shown_ssn, "62704"])
            writer.writerow(["P-2", first, last, dob.isoformat(), ssn, "62704"])
        with (root / "r.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["record_id", "first_name", "last_name", "dob", "ssn_last4",
                             "street", "city", "state", "zip", "last_seen"])
            writer.writerow(["R-1", first, last, dob.isoformat(), digits[-4:], "5 Main St",
                             "Springfield", "IL", "62704", "2026-01-01"])
        run("accounts", "import", root / "p.csv", "--user", "ann")
        run("records", "import", root / "r.csv", "--source", "s", "--user", "ann")
        for account in ("P-1", "P-2"):
            run("trace", account, "--purpose", "collect-debt", "--reason", REASON, "--user", "ann")
        run("export", "contacts", "--out", root / "c.csv", "--user", "ann")
        run("users", "add", "rev", "--role", "compliance", "--user", "ann")
        run("audit", "export", "--out", root / "a.jsonl", "--user", "rev")
        texts = outputs + [(root / "c.csv").read_text(), (root / "a.jsonl").read_text()]
        rejects = root / "p.rejects.csv"
        if rejects.exists():
            texts.append(rejects.read_text())
        blob = "\n".join(texts)
        for form in forms_of_ssn(ssn):
            assert form not in blob
        for form in forms_of_dob(dob):
            assert form not in blob
