"""Who may manage users: supervisors and compliance, after a new workspace's set-up."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import Workspace
from tracer.cli import cli


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Workspace:
    ws = Workspace(tmp_path, monkeypatch)
    assert ws("init").exit_code == 0
    return ws


@pytest.fixture
def staffed(fresh) -> Workspace:
    """sam (supervisor) set the workspace up, then added the rest of the team."""
    assert fresh("users", "add", "sam", "--role", "supervisor").exit_code == 0
    for user, role in (("col", "collector"), ("carol", "compliance"), ("dee", "data")):
        run = fresh("users", "add", user, "--role", role, "--user", "sam")
        assert run.exit_code == 0, run.output
    assert fresh("users", "add", "gone", "--role", "supervisor", "--user", "sam").exit_code == 0
    assert fresh("users", "deactivate", "gone", "--user", "sam").exit_code == 0
    return fresh


def role_of(ws, user):
    return ws.sql("SELECT role, active FROM users WHERE id = ?", (user,))


REFUSED = [
    # (command after `tracer users`, the state that must not change, message)
    (["add", "col", "--role", "supervisor", "--user", "col"], ("col", "collector", 1),
     "needs role supervisor or compliance"),
    (["add", "col", "--role", "supervisor"], ("col", "collector", 1), "--user ID"),
    (["add", "dee", "--role", "compliance", "--user", "dee"], ("dee", "data", 1),
     "needs role supervisor or compliance"),
    (["add", "mal", "--role", "supervisor"], ("mal", None, None), "--user ID"),
    (["add", "mal", "--role", "supervisor", "--user", "nobody"], ("mal", None, None),
     "no user 'nobody'"),
    (["add", "mal", "--role", "supervisor", "--user", "gone"], ("mal", None, None),
     "not active"),
    (["add", "gone", "--role", "supervisor"], ("gone", "supervisor", 0), "--user ID"),
    (["add", "gone", "--role", "supervisor", "--user", "col"], ("gone", "supervisor", 0),
     "needs role"),
    (["deactivate", "sam"], ("sam", "supervisor", 1), "--user ID"),
    (["deactivate", "sam", "--user", "col"], ("sam", "supervisor", 1), "needs role"),
    (["deactivate", "carol", "--user", "dee"], ("carol", "compliance", 1), "needs role"),
]


@pytest.mark.parametrize("args, unchanged, message", REFUSED)
def test_only_supervisors_and_compliance_manage_users(staffed, args, unchanged, message):
    user, role, active = unchanged
    before = staffed.sql("SELECT count(*) FROM audit")
    run = staffed("users", *args)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("Error:") and message in run.stderr
    assert "Traceback" not in run.output
    assert role_of(staffed, user) == ([(role, active)] if role else [])
    assert staffed.sql("SELECT count(*) FROM audit") == before


@pytest.mark.parametrize("manager", ["sam", "carol"])
@pytest.mark.parametrize("args, after", [
    (["add", "new", "--role", "collector"], ("new", "collector", 1)),
    (["add", "col", "--role", "supervisor"], ("col", "supervisor", 1)),
    (["add", "gone", "--role", "collector"], ("gone", "collector", 1)),
    (["deactivate", "col"], ("col", "collector", 0)),
])
def test_supervisor_or_compliance_may(staffed, manager, args, after):
    run = staffed("users", *args, "--user", manager)
    assert run.exit_code == 0, run.output
    user, role, active = after
    assert role_of(staffed, user) == [(role, active)]


def test_user_management_is_audited_with_its_actor(staffed):
    assert staffed("users", "add", "new", "--role", "collector", "--user", "carol").exit_code == 0
    actor = staffed.sql("SELECT actor FROM audit WHERE event = 'user_added' ORDER BY seq DESC"
                        " LIMIT 1")
    assert actor == [("carol",)]


@pytest.mark.parametrize("first", [
    ("ana", "collector"),   # README: a collector first, no manager yet
    ("zed", "supervisor"),  # the first supervisor of a fresh workspace
    ("rita", "compliance"),
])
def test_a_new_workspace_is_set_up_without_user(fresh, first):
    run = fresh("users", "add", first[0], "--role", first[1])
    assert run.exit_code == 0, run.output


def test_set_up_ends_with_the_first_supervisor(fresh):
    assert fresh("users", "add", "ana", "--role", "collector").exit_code == 0
    assert fresh("users", "add", "ben", "--role", "collector").exit_code == 0
    assert fresh("users", "add", "zed", "--role", "supervisor").exit_code == 0
    run = fresh("users", "add", "ana", "--role", "supervisor", "--user", "ana")
    assert run.exit_code == 2 and "needs role" in run.stderr
    assert fresh("users", "add", "eve", "--role", "compliance").exit_code == 2
    assert fresh("users", "add", "eve", "--role", "compliance", "--user", "zed").exit_code == 0


def test_nobody_deactivates_before_set_up(fresh):
    assert fresh("users", "add", "ana", "--role", "collector").exit_code == 0
    run = fresh("users", "deactivate", "ana", "--user", "ana")
    assert run.exit_code == 2 and "no active supervisor or compliance user" in run.stderr
    assert role_of(fresh, "ana") == [("collector", 1)]


@pytest.mark.parametrize("args", [
    ["deactivate", "sam", "--user", "sam"],
    ["add", "sam", "--role", "collector", "--user", "sam"],
])
def test_the_last_manager_stays(fresh, args):
    assert fresh("users", "add", "sam", "--role", "supervisor").exit_code == 0
    run = fresh("users", *args)
    assert run.exit_code == 2 and "last active supervisor or compliance" in run.stderr
    assert role_of(fresh, "sam") == [("supervisor", 1)]
    # With a second manager the first may go.
    assert fresh("users", "add", "carol", "--role", "compliance", "--user", "sam").exit_code == 0
    assert fresh("users", *args).exit_code == 0


def test_env_user_counts_as_user(staffed):
    run = staffed("users", "add", "new", "--role", "collector", env={"TRACER_USER": "sam"})
    assert run.exit_code == 0, run.output
    run = staffed("users", "add", "new2", "--role", "supervisor", env={"TRACER_USER": "col"})
    assert run.exit_code == 2


@pytest.mark.parametrize("bad_id", ["eve\n", "eve\r", "ev e", " eve", "eve\t", "eve\x00",
                                    "ev\x1be", "", ".eve", "e" * 65, "ève"])
def test_user_ids_with_control_characters_or_spaces_are_refused(fresh, bad_id):
    # Through click directly: the Workspace helper maps arguments through str() only.
    result = CliRunner().invoke(cli, ["--db", str(fresh.db), "users", "add", bad_id,
                                      "--role", "supervisor"])
    assert result.exit_code == 2, result.output
    assert "invalid user id" in result.stderr
    assert fresh.sql("SELECT count(*) FROM users") == [(0,)]


@pytest.mark.parametrize("good_id", ["eve", "e.ve_1@corp-x", "E" * 64])
def test_plain_user_ids_are_accepted(fresh, good_id):
    assert fresh("users", "add", good_id, "--role", "collector").exit_code == 0
