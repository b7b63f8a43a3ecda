"""Full SSNs and full dates of birth never leave the workspace (DESIGN.md invariant 4)."""

from __future__ import annotations

import re
from datetime import date

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS

REASON = "mail returned undeliverable, need a current address"


def ssn_forms(ssn: str) -> list[str]:
    d = re.sub(r"\D", "", ssn)
    return [d, f"{d[:3]}-{d[3:5]}-{d[5:]}", f"{d[:3]} {d[3:5]} {d[5:]}"]


def dob_forms(iso: str) -> list[str]:
    d = date.fromisoformat(iso)
    return [d.isoformat(), d.strftime("%m/%d/%Y"), f"{d.month}/{d.day}/{d.year}",
            d.strftime("%Y%m%d"), d.strftime("%m-%d-%Y"), f"{d.month}/{d.day}/{d.year % 100:02d}",
            d.strftime("%d/%m/%Y"), d.strftime("%B %d, %Y"), d.strftime("%Y/%m/%d")]


def test_no_full_ssn_or_dob_anywhere_it_must_not_be(ws):
    bad = {**ACCOUNTS[0], "account_id": "BAD-1", "state": "XX", "ssn": "945-67-8901",
           "dob": "1955-07-14"}
    accounts = ws.write_csv("portfolio.csv", [*ACCOUNTS, bad], ACCOUNT_COLUMNS)
    records = ws.write_csv("extract.csv", RECORDS, RECORD_COLUMNS)
    ws("accounts", "import", accounts, "--user", "alice")
    ws("records", "import", records, "--source", "county", "--user", "alice")
    for account in ("ACC-1", "ACC-2", "ACC-3"):
        for flag in ((), ("--json",)):
            ws("--verbose", "trace", account, "--purpose", "collect-debt", "--reason", REASON,
               "--user", "alice", *flag)
    ws("export", "contacts", "--out", ws.root / "contacts.csv", "--user", "alice")
    ws("audit", "verify")
    ws("users", "list")

    ssns = [a["ssn"] for a in ACCOUNTS] + [bad["ssn"]]
    dobs = [date.fromisoformat(d).isoformat() for d in ("1961-03-05", "1975-04-17",
                                                         "1980-02-29", "1955-07-14")]
    streams = "\n".join(r.stdout + r.stderr for r in ws.runs)
    audit_payloads = "\n".join(r[0] for r in ws.sql("SELECT payload FROM audit"))
    exports = (ws.root / "contacts.csv").read_text()
    rejects = (ws.root / "portfolio.rejects.csv").read_text()
    workspace_bytes = b"".join(p.read_bytes() for p in ws.root.glob("tracer.db*"))

    assert "BAD-1" in rejects  # the report exists and names the row
    for ssn in ssns:
        for form in ssn_forms(ssn):
            assert form.encode() not in workspace_bytes, f"SSN in workspace file ({form})"
            for name, text in (("output", streams), ("audit", audit_payloads),
                               ("export", exports), ("rejects", rejects)):
                assert form not in text, f"SSN in {name} ({form})"
    for dob in dobs:
        for form in dob_forms(dob):
            assert form.encode() not in workspace_bytes, f"DOB in workspace file ({form})"
            for name, text in (("output", streams), ("audit", audit_payloads),
                               ("export", exports), ("rejects", rejects)):
                assert form not in text, f"DOB in {name} ({form})"
