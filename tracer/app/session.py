"""A Session: one user's operations on one store, each authorized and audited here.

The CLI parses options, calls a session and renders what comes back; a web handler or a
notebook does the same.  Whoever calls, the role checks (:mod:`tracer.consent.users`, the
one policy of :mod:`tracer.consent.authorization`) and the audit entries happen in the
session, so no front end can skip them::

    session = Session(open_workspace("tracer.db"), "carol")
    rows = session.audit_list(decision="deny")        # InputError unless carol reviews
    session.export_audit("jsonl", write=sink.writelines)  # the export is audited

Construction does no work (no settings parsed, no model loaded): each operation reads
what it needs, so a server can make one session per request.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from ..audit.trail import AuditTrail
from ..consent.authorizer import Authorizer
from ..consent.users import (add_user, deactivate_user, list_users, require_user,
                             require_user_manager)
from ..errors import InputError
from .team import TeamOperations
from .work import WorkOperations


class Session(TeamOperations, WorkOperations):
    """``Session(store, user, settings)``: ``user`` is the acting user's id (``None`` for
    the set-up commands that need none), ``settings`` an optional mapping of overrides
    the operations read (kept as given: nothing is parsed at construction)."""

    def __init__(self, store, user: str | None = None, settings: Any = None):
        self.store = store
        self.user_id = user
        self.settings = settings

    # -- who is acting -----------------------------------------------------------------
    def require(self, roles: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The acting user, active and (with ``roles``) in one of them; else InputError."""
        return require_user(self.store, self.user_id, roles=roles)

    def reviewer(self) -> dict[str, Any]:
        """The acting user as a reviewer of the audit trail (compliance or supervisor)."""
        from ..consent.review import REVIEWER_ROLES
        return self.require(REVIEWER_ROLES)

    # -- users ---------------------------------------------------------------------------
    def add_user(self, new_id: str, role: str) -> bool:
        """Add or change a user; True when created.  Needs a user manager, except while
        a new workspace has none."""
        require_user_manager(self.store, self.user_id, adding=True)
        return add_user(self.store, new_id, role, actor=self.user_id)

    def deactivate_user(self, target: str) -> None:
        require_user_manager(self.store, self.user_id)
        deactivate_user(self.store, target, actor=self.user_id)

    def may_set_password(self, target: str) -> None:
        """One's own password, or anyone's for a user manager (InputError otherwise)."""
        if self.user_id != target:
            require_user_manager(self.store, self.user_id, adding=True)

    def set_password(self, target: str, password: str) -> None:
        """Set ``target``'s sign-in password (argon2id; tracer.auth), audited."""
        from ..auth import set_password
        self.may_set_password(target)
        set_password(self.store, target, password, actor=self.user_id)

    def users(self) -> list[dict[str, Any]]:
        return list_users(self.store)

    # -- imports and outcomes ------------------------------------------------------------
    def import_records(self, path: Path, *, source: str, column_map: dict[str, str],
                       progress: Callable[[int], None] | None = None):
        from ..imports import import_records
        self.require()
        return import_records(self.store, path, source=source, column_map=column_map,
                              actor=self.user_id, progress=progress)

    def import_outcomes(self, path: Path, *, column_map: dict[str, str],
                        progress: Callable[[int], None] | None = None):
        from ..outcomes import import_outcomes
        self.require()
        return import_outcomes(self.store, path, column_map=column_map, actor=self.user_id,
                               progress=progress)

    def outcomes(self, account_id: str):
        from ..outcomes import list_outcomes
        self.require()
        return list_outcomes(self.store, account_id)

    # -- the match and contact models ----------------------------------------------------
    def train_model(self):
        """Train the match model on the records, save it as the next version, audit it;
        returns ``(model, version)``."""
        from ..matching.model_store import record_count, save_model, train_workspace_model
        count = record_count(self.store)
        if count < 2:
            what = "no records" if count == 0 else "only one record"
            raise InputError(f"the workspace has {what} to train on (a model needs pairs "
                             "of records): run `tracer records import` first")
        model = train_workspace_model(self.store)
        version = save_model(self.store, model)
        AuditTrail(self.store).append("model_trained", {
            "version": version, "records": model.trained_on.get("records", 0),
            "blocked_pairs": model.trained_on.get("blocked_pairs", 0)}, actor=self.user_id)
        return model, version

    def calibrate_model(self):
        """Fit the contact model to the outcomes (audited by the fit); ``(model, report)``."""
        from ..matching.calibration import calibrate_workspace
        self.require()
        return calibrate_workspace(self.store, actor=self.user_id)

    # -- the audit trail, for reviewers --------------------------------------------------
    def audit_list(self, **filters) -> list[dict[str, Any]]:
        from ..consent.review import list_lookups
        self.reviewer()
        return list_lookups(self.store, **filters)

    def audit_trail(self, lookup_id: str) -> list[dict[str, Any]]:
        from ..consent.review import lookup_trail
        self.reviewer()
        return lookup_trail(self.store, lookup_id)

    def audit_sample(self, n: int, seed: int, **filters) -> list[dict[str, Any]]:
        from ..consent.review import sample
        self.reviewer()
        return sample(self.store, n, seed, **filters)

    def audit_stats(self, **filters) -> dict[str, Any]:
        from ..consent.review import stats
        self.reviewer()
        return stats(self.store, **filters)

    def audit_review(self, lookup_id: str, finding: str, note: str) -> int:
        """Record a reviewer's finding; returns its audit entry's seq."""
        from ..consent.review import add_finding
        reviewer = self.reviewer()
        return add_finding(self.store, lookup_id, finding, note, reviewer=reviewer["id"])

    def export_audit(self, fmt: str, *, lookup_id: str | None = None,
                     write: Callable[[Iterable[str]], None]) -> None:
        """Hand the entries (jsonl or csv text) to ``write``, then audit the export: an
        export that failed to write is not recorded as made."""
        from ..consent.review import export_text
        reviewer = self.reviewer()
        write(export_text(self.store, fmt, lookup_id=lookup_id))
        AuditTrail(self.store).append("export", {"what": "audit", "format": fmt,
                                                 "lookup": lookup_id},
                                      actor=reviewer["id"], lookup_id=lookup_id)

    def purge(self, before: date, *, dry_run: bool):
        from ..consent.retention import purge
        reviewer = self.reviewer()
        return purge(self.store, before, dry_run=dry_run, actor=reviewer["id"])

    def verify_trail(self) -> int:
        """Recompute the chain (anyone may): the number of entries, or AuditIntegrityError."""
        return AuditTrail(self.store).verify()

    def trail(self) -> AuditTrail:
        """The trail for reading (verify, head, checkpoints); appends go through the
        operations above."""
        return AuditTrail(self.store)

    # -- the identity graph --------------------------------------------------------------
    def graph(self, account_id: str, fmt: str = "json", *,
              lookup_id: str | None = None) -> tuple[str, str]:
        """The identity graph behind ``account_id``'s lookup (the latest allowed one, or
        ``lookup_id``), rendered as ``json`` or ``html``, masked, and audited as an
        export; returns ``(lookup_id, text)``."""
        from ..matching.graph import render_html
        lookup_id, graph = self.graph_data(account_id, fmt, lookup_id=lookup_id)
        title = f"Identity graph: account {account_id}, lookup {lookup_id}"
        text = render_html(graph, title) if fmt == "html" else json.dumps(
            {"account_id": account_id, "lookup_id": lookup_id, **graph}, indent=2)
        return lookup_id, text

    def graph_data(self, account_id: str, fmt: str = "web", *,
                   lookup_id: str | None = None) -> tuple[str, dict]:
        """The masked graph as nodes and edges, authorized by the live gate and audited
        as an export in ``fmt``; returns ``(lookup_id, graph)``."""
        from ..matching.graph import latest_lookup, load_graph, rebuild_graph
        from ..matching.model_store import workspace_model
        from ..privacy import mask_identifiers
        auth = Authorizer(self.store)
        auth.require(self.user_id, "view-graph")          # the role at all, before reading
        if lookup_id:
            self._check_lookup(lookup_id, account_id)
        else:
            lookup_id = latest_lookup(self.store, account_id)
        if lookup_id is None:
            raise InputError(f"account {account_id} has no allowed lookup yet: run "
                             "`tracer trace`")
        user = auth.require(self.user_id, "view-graph", account_id, lookup_id=lookup_id).user
        graph = load_graph(self.store, lookup_id)
        if graph is None:
            rebuild_graph(self.store, lookup_id, workspace_model(self.store, auto_train=False))
            graph = load_graph(self.store, lookup_id) or {"nodes": [], "edges": []}
        graph = _masked(graph, mask_identifiers)
        AuditTrail(self.store).append("export", {"what": "identity graph", "format": fmt},
                                      actor=user["id"], account_id=account_id,
                                      lookup_id=lookup_id)
        return lookup_id, graph

    def _check_lookup(self, lookup_id: str, account_id: str) -> None:
        """``lookup_id`` must be an allowed lookup of ``account_id``: another account's
        would be shown and audited under the wrong account, and a denied one has no graph."""
        with self.store.unit_of_work() as uow:
            lookup = uow.lookups.get(lookup_id)
        if lookup is None:
            raise InputError(f"--lookup {lookup_id}: no such lookup")
        if lookup["account_id"] != account_id:
            raise InputError(f"--lookup {lookup_id} is not a lookup of account {account_id}")
        if lookup["outcome"] == "deny":
            raise InputError(f"--lookup {lookup_id} was denied: it has no identity graph")

    # -- consent and exports -------------------------------------------------------------
    def record_consent(self, account_id: str, channel: str, value: str, status: str,
                       note: str = "") -> dict[str, Any]:
        from ..consent.consents import record_consent
        return record_consent(self.store, self.user_id, account_id, channel, value, status,
                              note)

    def consents(self, account_id: str) -> list[dict[str, Any]]:
        from ..consent.consents import list_consents
        return list_consents(self.store, self.user_id, account_id)

    def export_contacts(self, out: Path, *, account_id: str | None = None,
                        batch_id: str | None = None) -> tuple[int, int]:
        """FORMATS.md section 3 for what the user may export now; ``(rows, accounts)``."""
        from ..export import export_contacts
        return export_contacts(self.store, out, account_id=account_id, batch_id=batch_id,
                               actor=self.user_id)


def initialize(db=None):
    """Create (or migrate) the workspace; a new one's trail starts with its own entry.
    Returns ``(store, created)``."""
    from ..workspace import SCHEMA_VERSION, init_workspace
    store, created = init_workspace(db)
    if created:
        try:
            AuditTrail(store).append("workspace_initialized",
                                     {"schema_version": SCHEMA_VERSION}, actor=None)
        except BaseException:
            store.close()
            raise
    return store, created


def _masked(graph: dict, mask: Callable[[str], str]) -> dict:
    """Labels, ids and evidence with SSN-shaped runs and labelled dates of birth masked:
    records stored before the import checked every field must not show one."""
    def clean(item: dict, keys) -> dict:
        return {k: mask(v) if k in keys and isinstance(v, str) else v
                for k, v in item.items()}
    return {**graph,
            "nodes": [clean(n, ("node_id", "label")) for n in graph.get("nodes", [])],
            "edges": [clean(e, ("src", "dst", "evidence")) for e in graph.get("edges", [])]}
