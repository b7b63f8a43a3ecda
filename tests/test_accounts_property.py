"""Property (issue #18): for any sequence of portfolio imports (partial columns,
re-deliveries, flags added and dropped, reassignments, reopenings, by a collector or a
supervisor), no field changes that the file did not name, no flag is removed by an import,
a refused row changes nothing, and the audit trail lists every change: replaying its
``account_created`` and ``account_changed`` entries gives the accounts as they are."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tracer.accounts import ACCOUNT_FIELDS, audit_value
from tracer.consent.users import add_user
from tracer.imports import import_accounts
from tracer.models import ACCOUNT_FLAGS
from tracer.workspace import init_workspace

IDS = ("P-1", "P-2", "P-3", "P-4")
VALUES = {
    "street": st.sampled_from(["", "12 Oak St", "77 Pine Ave", "5 Birch Rd"]),
    "city": st.sampled_from(["", "Springfield", "Peoria"]),
    "zip": st.sampled_from(["", "62704", "61602"]),
    "phone": st.sampled_from(["", "217-555-0101", "(309) 555-0144"]),
    "email": st.sampled_from(["", "a@example.com", "B@Example.org"]),
    "dob": st.sampled_from(["", "1961-03-05", "04/17/1975"]),
    "ssn": st.sampled_from(["", "912-34-5678", "XXX-XX-5678", "923-45-6789"]),
    "balance": st.sampled_from(["", "100", "$1,234.50"]),
    "employer": st.sampled_from(["", "ACME"]),
    "flags": st.lists(st.sampled_from(ACCOUNT_FLAGS), max_size=3).map(";".join),
    "assigned_to": st.sampled_from(["", "alice", "bob"]),
    "status": st.sampled_from(["open", "closed", "paid"]),
}
COLUMNS = tuple(VALUES)
#: The account fields each file column sets.
FIELDS_OF = {column: (("ssn_last4", "ssn_hash") if column == "ssn" else (column,))
             for column in COLUMNS}


@st.composite
def imports(draw):
    """One import: who, which optional columns, which accounts (with values), and
    whether it is a re-delivery of the file before it."""
    columns = draw(st.lists(st.sampled_from(COLUMNS), unique=True, max_size=len(COLUMNS)))
    ids = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1, max_size=len(IDS)))
    rows = [{"account_id": i, "first_name": "Ann", "last_name": "Lee",
             **{c: draw(VALUES[c]) for c in columns}} for i in ids]
    return {"user": draw(st.sampled_from(["alice", "sam"])), "columns": columns, "rows": rows,
            "again": draw(st.booleans())}


def _write(path: Path, imp) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["account_id", "first_name", "last_name", *imp["columns"]])
        writer.writeheader()
        writer.writerows(imp["rows"])


def _accounts(ws) -> dict[str, dict]:
    cur = ws.conn.execute("SELECT * FROM accounts")
    cols = [c[0] for c in cur.description]
    return {row[0]: dict(zip(cols, row)) for row in cur}


def _flags(account) -> set[str]:
    return set(filter(None, (account.get("flags") or "").split(";")))


def _refused(path: Path) -> set[str]:
    rejects = path.with_name(path.stem + ".rejects.csv")
    if not rejects.exists():
        return set()
    return {r["account_id"] for r in csv.DictReader(rejects.open())}


def _replayed(ws) -> dict[str, dict]:
    state: dict[str, dict] = {}
    for account_id, payload in ws.conn.execute(
            "SELECT account_id, payload FROM audit WHERE event IN ('account_created',"
            " 'account_changed') ORDER BY seq"):
        for change in json.loads(payload)["changes"]:
            state.setdefault(account_id, {})[change["field"]] = change["after"]
    return state


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(imports(), min_size=1, max_size=5))
def test_imports_change_only_what_they_name_never_drop_a_flag_and_audit_every_change(steps):
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = init_workspace(Path(tmp) / "w.db")
        try:
            for user, role in (("sam", "supervisor"), ("alice", "collector"),
                               ("bob", "collector")):
                add_user(ws, user, role, actor="sam")
            for n, imp in enumerate(steps):
                for attempt in range(2 if imp["again"] else 1):   # a re-delivery
                    path = Path(tmp) / f"file{n}.csv"
                    _write(path, imp)
                    before = _accounts(ws)
                    import_accounts(ws, path, actor=imp["user"])
                    after = _accounts(ws)
                    refused = _refused(path)
                    named = {f for c in imp["columns"] for f in FIELDS_OF[c]}
                    for account_id, old in before.items():
                        new = after[account_id]
                        for field in ACCOUNT_FIELDS:
                            if field not in named or account_id in refused:
                                assert new[field] == old[field], (account_id, field)
                        assert _flags(old) <= _flags(new), account_id   # never removed
            replayed = _replayed(ws)
            for account_id, account in _accounts(ws).items():
                audited = replayed.get(account_id, {})
                for field in ACCOUNT_FIELDS:
                    assert audited.get(field) == audit_value(field, account[field]), \
                        (account_id, field)
        finally:
            ws.close()
