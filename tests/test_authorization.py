"""One authorization policy for every action (issue #18): every command, for every role,
on an account assigned to the user and one assigned to another, each clean and flagged
bankrupt since its lookup; allow or deny, and every denial in the audit with its reason.

The workspace is built once (accounts traced by a supervisor, attachments made, then two
accounts flagged) and copied for each case, so each command meets the same state."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ACCOUNT_COLUMNS, ACCOUNTS, RECORD_COLUMNS, RECORDS, Workspace

#: Run on SQLite and on PostgreSQL (tests/conftest.py, pg_server.py).
BOTH_STORES = True

REASON = "mail returned undeliverable, need a current address"
ROLES = {"collector": "col", "supervisor": "sam", "compliance": "carol", "data": "dee"}
#: The four accounts: (assigned to the acting collector?, flagged bankrupt since?)
STATES = {"own": "A-OWN", "other": "A-OTHER", "own_flagged": "A-OWN-F",
          "other_flagged": "A-OTHER-F"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("authorization")
    with pytest.MonkeyPatch.context() as mp:
        ws = Workspace(root, mp)
        assert ws("init").exit_code == 0
        ws("users", "add", "sam", "--role", "supervisor")
        for user, role in (("col", "collector"), ("bob", "collector"),
                           ("carol", "compliance"), ("dee", "data")):
            assert ws("users", "add", user, "--role", role, "--user", "sam").exit_code == 0
        # Four accounts of one debtor (William Okafor), each with a military flag to remove.
        rows = [{**ACCOUNTS[0], "account_id": account, "flags": "military",
                 "assigned_to": "col" if "OWN" in account else "bob"}
                for account in STATES.values()]
        assert ws("accounts", "import", ws.write_csv("p.csv", rows, ACCOUNT_COLUMNS),
                  "--user", "sam").exit_code == 0
        assert ws("records", "import", ws.write_csv("r.csv", RECORDS, RECORD_COLUMNS),
                  "--source", "county_records", "--user", "sam").exit_code == 0
        facts = {}
        for account in STATES.values():
            run = ws("trace", account, "--purpose", "collect-debt", "--reason", REASON,
                     "--user", "sam", "--as-of", "2026-11-01", "--json")
            assert run.exit_code == 0, run.output
            lookup = json.loads(run.stdout)["lookup_id"]
            owner = "col" if "OWN" in account else "bob"
            assert ws("accept", lookup, "address:1", "--user", owner).exit_code == 0
            attachment = ws.sql("SELECT max(id) FROM attachments")[0][0]
            facts[account] = {"lookup": lookup, "attachment": attachment}
        for account in ("A-OWN-F", "A-OTHER-F"):
            assert ws("accounts", "flag", account, "--add", "bankruptcy", "--reason",
                      "petition filed, notice received", "--user", "sam").exit_code == 0
        (root / "facts.json").write_text(json.dumps(facts))
    return root


@pytest.fixture
def copy(built, tmp_path, monkeypatch) -> Workspace:
    for name in ("tracer.db", "tracer.db.key", "facts.json"):
        shutil.copyfile(built / name, tmp_path / name)
        (tmp_path / name).chmod(0o600)     # a copy must stay private, as tracer makes it
    ws = Workspace(tmp_path, monkeypatch)
    ws.facts = json.loads((tmp_path / "facts.json").read_text())
    return ws


def _accounts_file(ws, account):
    path = ws.root / "ids.txt"
    path.write_text(account + "\n")
    return path


#: command -> how to run it for (workspace, account, user).
COMMANDS = {
    "trace": lambda ws, a, u: ws("trace", a, "--purpose", "collect-debt", "--reason", REASON,
                                 "--user", u, "--as-of", "2026-11-01"),
    "accounts show": lambda ws, a, u: ws("accounts", "show", a, "--user", u),
    "accounts flag --add": lambda ws, a, u: ws("accounts", "flag", a, "--add", "disputed",
                                               "--reason", "debtor disputes in writing",
                                               "--user", u),
    "accounts flag --remove": lambda ws, a, u: ws("accounts", "flag", a, "--remove",
                                                  "military", "--reason",
                                                  "discharged, DD-214 on file", "--user", u),
    "accounts assign": lambda ws, a, u: ws("accounts", "assign", a, "--to", "col",
                                           "--reason", "workload rebalance", "--user", u),
    "accounts set": lambda ws, a, u: ws("accounts", "set", a, "phone=217-555-0199",
                                        "--reason", "debtor called from it", "--user", u),
    "accept": lambda ws, a, u: ws("accept", ws.facts[a]["lookup"], "phone:1", "--user", u),
    "reject": lambda ws, a, u: ws("reject", ws.facts[a]["lookup"], "address:2", "--user", u),
    "undo": lambda ws, a, u: ws("undo", ws.facts[a]["attachment"], "--user", u),
    "export contacts": lambda ws, a, u: ws("export", "contacts", "--account", a, "--out",
                                           ws.root / "out.csv", "--user", u),
    "graph": lambda ws, a, u: ws("graph", a, "--out", ws.root / "graph.json", "--user", u),
    "consent record": lambda ws, a, u: ws("consent", "record", a, "--channel", "phone",
                                          "--value", "309-555-0144", "--status", "revoked",
                                          "--user", u),
    "consent list": lambda ws, a, u: ws("consent", "list", a, "--user", u),
    "batch": lambda ws, a, u: ws("batch", "--purpose", "collect-debt", "--reason",
                                 "monthly skip trace of returned mail", "--accounts",
                                 _accounts_file(ws, a), "--user", u, "--as-of", "2026-11-01"),
}

OK, NA, FB, RNP = "permitted", "not_assigned", "flag_bankruptcy", "role_not_permitted"
CANNOT_TRACE = "role_cannot_trace"
ALL_OK, NO_ROLE = (OK, OK, OK, OK), (RNP, RNP, RNP, RNP)
# The expected first reason for (own, other, own_flagged, other_flagged), by role.
WORK = {"collector": (OK, NA, OK, NA), "supervisor": ALL_OK}           # scoped, any state
STATE = {"collector": (OK, NA, FB, NA), "supervisor": (OK, OK, FB, FB)}  # scoped, workable now
EXPECTED = {
    "trace": {**STATE, "compliance": (CANNOT_TRACE,) * 4, "data": (CANNOT_TRACE,) * 4},
    "accounts show": {**WORK, "compliance": ALL_OK, "data": NO_ROLE},
    "accounts flag --add": {"collector": ALL_OK, "supervisor": ALL_OK, "compliance": ALL_OK,
                            "data": NO_ROLE},
    "accounts flag --remove": {**WORK, "compliance": ALL_OK, "data": NO_ROLE},
    "accounts assign": {"collector": NO_ROLE, "supervisor": ALL_OK, "compliance": NO_ROLE,
                        "data": NO_ROLE},
    "accounts set": {**WORK, "compliance": NO_ROLE, "data": NO_ROLE},
    "accept": {**STATE, "compliance": NO_ROLE, "data": NO_ROLE},
    "reject": {**STATE, "compliance": NO_ROLE, "data": NO_ROLE},
    # the collector's own accounts carry their own attachments, the others bob's
    "undo": {**WORK, "compliance": NO_ROLE, "data": NO_ROLE},
    "export contacts": {**STATE, "compliance": NO_ROLE, "data": NO_ROLE},
    "graph": {**STATE, "compliance": ALL_OK, "data": NO_ROLE},
    "consent record": {**WORK, "compliance": ALL_OK, "data": NO_ROLE},
    "consent list": {**WORK, "compliance": ALL_OK, "data": NO_ROLE},
    "batch": {"collector": NO_ROLE, "supervisor": (OK, OK, FB, FB), "compliance": NO_ROLE,
              "data": NO_ROLE},
}
CASES = [(command, role, state) for command in COMMANDS for role in ROLES for state in STATES]


def test_the_table_covers_every_command_role_and_state():
    assert set(EXPECTED) == set(COMMANDS)
    assert all(set(by_role) == set(ROLES) and all(len(v) == 4 for v in by_role.values())
               for by_role in EXPECTED.values())


def _entries(ws, after: int) -> list[tuple[str, str, str | None, dict]]:
    return [(event, actor, account, json.loads(payload)) for event, actor, account, payload
            in ws.sql("SELECT event, actor, account_id, payload FROM audit WHERE seq > ?"
                      " ORDER BY seq", (after,))]


@pytest.mark.parametrize("command, role, state", CASES,
                         ids=[f"{c}-{r}-{s}" for c, r, s in CASES])
def test_every_command_for_every_role_and_account_state(copy, command, role, state):
    user, account = ROLES[role], STATES[state]
    expected = EXPECTED[command][role][list(STATES).index(state)]
    seq = copy.sql("SELECT max(seq) FROM audit")[0][0]
    run = COMMANDS[command](copy, account, user)
    assert "Traceback" not in run.output
    entries = _entries(copy, seq)
    denials = [p for event, _a, _acc, p in entries if event == "access_denied"]
    decisions = [p for event, _a, acc, p in entries if event == "decision" and acc == account]
    if command in ("trace", "batch") and not (command == "batch" and expected == RNP):
        # The gate decides each lookup (a batch's too): its decision entry has the reason.
        assert run.exit_code in ((0,) if command == "batch" or expected == OK else (3,)), \
            run.output
        assert len(decisions) == 1 and not denials
        decision = decisions[0]
        if expected == OK:
            assert decision["outcome"] != "deny", decision["reasons"]
        else:
            assert decision["outcome"] == "deny"
            assert decision["reasons"][0]["code"] == expected
        assert decision["settings"]["policy"]["sha256"]
        return
    if expected == OK:
        assert run.exit_code == 0, run.output
        assert not denials
        return
    assert run.exit_code == 2, run.output
    assert f"({expected}" in run.stderr, run.stderr
    assert len(denials) == 1, entries
    [denial] = denials
    assert denial["outcome"] == "deny" and denial["reasons"][0]["code"] == expected
    assert denial["settings"]["policy"]["sha256"] and denial["policy_version"]
    actor_account = [(a, acc) for event, a, acc, _p in entries if event == "access_denied"]
    assert actor_account[0][0] == user
    assert actor_account[0][1] in (account, None)   # a role check names no account


@pytest.mark.parametrize("who", ["nobody", "gone"])
def test_an_unknown_or_deactivated_user_is_denied_and_audited(copy, who):
    if who == "gone":
        assert copy("users", "add", "gone", "--role", "collector", "--user", "sam").exit_code == 0
        assert copy("users", "deactivate", "gone", "--user", "sam").exit_code == 0
    seq = copy.sql("SELECT max(seq) FROM audit")[0][0]
    run = copy("accounts", "show", "A-OWN", "--user", who)
    assert run.exit_code == 2
    code = "user_unknown" if who == "nobody" else "user_inactive"
    [(event, actor, _account, payload)] = [e for e in _entries(copy, seq)
                                            if e[0] == "access_denied"]
    assert actor == who and payload["reasons"][0]["code"] == code


def test_an_action_no_rule_names_is_denied():
    from tracer.consent.authorization import decide_action
    from tracer.consent.policy import load_policy
    verdict = decide_action(load_policy(), {"id": "sam", "role": "supervisor", "active": 1},
                            "delete-everything")
    assert not verdict.allowed and verdict.code == "unknown_action"


# -- the scenarios: what changed since the lookup counts -------------------------------

def _trace(ws, account, user="alice"):
    run = ws("trace", account, "--purpose", "collect-debt", "--reason", REASON, "--user", user,
             "--as-of", "2026-11-01", "--json")
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)["lookup_id"]


def _last_denial(ws):
    row = ws.sql("SELECT actor, account_id, lookup_id, payload FROM audit"
                 " WHERE event = 'access_denied' ORDER BY seq DESC LIMIT 1")
    return (*row[0][:3], json.loads(row[0][3])) if row else None


def _import_change(**changed):
    """A creditor's file that flags or closes ACC-1 (an import may add flags and close)."""
    def run(ws):
        row = {"account_id": "ACC-1", "first_name": "William", "last_name": "Okafor", **changed}
        return ws("accounts", "import", ws.write_csv("change.csv", [row]), "--user", "alice")
    return run


@pytest.mark.parametrize("change, code", [
    (_import_change(flags="bankruptcy"), "flag_bankruptcy"),
    (_import_change(flags="cease_communication"), "flag_cease_communication"),
    (_import_change(status="closed"), "account_not_open"),
    (lambda ws: ws("accounts", "assign", "ACC-1", "--to", "bob", "--reason", "rebalance",
                   "--user", "sam"), "not_assigned"),
])
def test_a_change_since_the_lookup_stops_accept_reject_export_and_graph(loaded, change, code):
    loaded("users", "add", "bob", "--role", "collector", "--user", "sam")
    lookup = _trace(loaded, "ACC-1")
    assert change(loaded).exit_code == 0
    actions = {
        "accept": ("accept", lookup, "phone:1", "--user", "alice"),
        "reject": ("reject", lookup, "address:2", "--user", "alice"),
        "export": ("export", "contacts", "--account", "ACC-1", "--out",
                   loaded.root / "out.csv", "--user", "alice"),
        "graph": ("graph", "ACC-1", "--user", "alice"),
    }
    for name, args in actions.items():
        run = loaded(*args)
        assert run.exit_code == 2, (name, run.output)
        assert code in run.stderr
        actor, account, lookup_id, payload = _last_denial(loaded)
        assert (actor, account) == ("alice", "ACC-1") and payload["reasons"][0]["code"] == code
        assert lookup_id == lookup                   # decided under that lookup's purpose
    assert loaded.sql("SELECT count(*) FROM attachments") == [(0,)]
    assert not (loaded.root / "out.csv").exists() or \
        "ACC-1" not in (loaded.root / "out.csv").read_text()


def test_an_export_of_everything_leaves_out_what_changed_and_audits_why(loaded):
    lookup = _trace(loaded, "ACC-1")
    assert _import_change(flags="deceased")(loaded).exit_code == 0
    out = loaded.root / "all.csv"
    run = loaded("export", "contacts", "--out", out, "--user", "alice")
    assert run.exit_code == 0, run.output
    assert "ACC-1" not in out.read_text()
    actor, account, _lookup, payload = _last_denial(loaded)
    assert (actor, account, payload["reasons"][0]["code"]) == ("alice", "ACC-1",
                                                              "flag_deceased")
    export = json.loads(loaded.sql("SELECT payload FROM audit WHERE event = 'export'")[0][0])
    assert export["withheld_accounts"] == 1 and export["rows"] == 0
    assert lookup


def test_a_collector_denied_an_account_cannot_accept_onto_it(loaded):
    """bob was denied ACC-1 (assigned to alice); a supervisor's lookup of it does not let
    him attach to it."""
    loaded("users", "add", "bob", "--role", "collector", "--user", "sam")
    run = loaded("trace", "ACC-1", "--purpose", "collect-debt", "--reason", REASON,
                 "--user", "bob")
    assert run.exit_code == 3 and "assigned to another collector" in run.stdout
    lookup = _trace(loaded, "ACC-1", user="sam")
    run = loaded("accept", lookup, "address:1", "--user", "bob")
    assert run.exit_code == 2 and "not_assigned" in run.stderr
    assert loaded.sql("SELECT count(*) FROM attachments") == [(0,)]


def test_a_collector_cannot_undo_another_collectors_attachment(loaded):
    """ACC-9 is unassigned, so both may work it; only the one who attached undoes."""
    loaded("users", "add", "bob", "--role", "collector", "--user", "sam")
    row = {**ACCOUNTS[0], "account_id": "ACC-9", "assigned_to": ""}
    assert loaded("accounts", "import", loaded.write_csv("u.csv", [row], ACCOUNT_COLUMNS),
                  "--user", "sam").exit_code == 0
    lookup = _trace(loaded, "ACC-9")
    assert loaded("accept", lookup, "address:1", "--user", "alice").exit_code == 0
    attachment = loaded.sql("SELECT id FROM attachments")[0][0]
    run = loaded("undo", attachment, "--user", "bob")
    assert run.exit_code == 2 and "(not_own)" in run.stderr
    assert loaded("undo", attachment, "--user", "sam").exit_code == 0


def test_a_running_batchs_next_account_is_decided_on_its_state_then(ws):
    """The progress callback runs between accounts: flag the next one there, as another
    user would while the batch runs."""
    from tracer.accounts import flag_account
    from tracer.batch import BatchSpec, create_batch, run_batch
    from tracer.workspace import open_workspace

    rows = [{"account_id": f"B-{i}", "first_name": "Ann", "last_name": f"Lee{i}",
             "state": "IL", "zip": "62704"} for i in (1, 2, 3)]
    assert ws("accounts", "import", ws.write_csv("b.csv", rows), "--user", "sam").exit_code == 0
    workspace = open_workspace(ws.db)
    try:
        batch_id = create_batch(workspace, BatchSpec(
            user_id="sam", purpose="collect-debt",
            reason="quarterly skip trace of returned mail"))
        flagged = []

        def progress(done, total):
            if done == 1 and not flagged:
                flag_account(workspace, "alice", "B-2", "bankruptcy", add=True,
                             reason="debtor called: filed chapter 7")
                flagged.append("B-2")
        summary = run_batch(workspace, batch_id, progress=progress)
    finally:
        workspace.close()
    assert flagged and summary["denied_by_reason"] == {"flag_bankruptcy": 1}
    result = dict(ws.sql("SELECT account_id, result FROM batch_items"))
    assert result == {"B-1": "nothing_found", "B-2": "denied", "B-3": "nothing_found"}


def test_the_documented_table_is_the_shipped_policy_and_the_code_defaults():
    """docs/authorization.md's table, config/policy.toml's [actions] and the rules code
    applies to an action a policy does not name are one and the same."""
    import re

    from tracer.consent.authorization import DEFAULT_ACTIONS
    from tracer.consent.policy import load_policy
    doc = (Path(__file__).resolve().parent.parent / "docs" / "authorization.md").read_text()
    documented = {}
    for name, _cmd, roles, scoped, state, reason in re.findall(
            r"^\| `([a-z-]+)` \|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|$",
            doc, flags=re.M):
        documented[name] = ({r.strip() for r in roles.split(",")}, scoped.strip() == "yes",
                            {r.strip() for r in state.split(",") if r.strip()},
                            reason.strip() == "yes")
    shipped = load_policy().actions
    assert shipped == DEFAULT_ACTIONS
    assert documented == {name: (set(r.roles), r.scoped, set(r.account_state), r.needs_reason)
                          for name, r in shipped.items()}
