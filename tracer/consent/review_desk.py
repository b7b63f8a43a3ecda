"""The reviewer's desk for a front end: the readers of :mod:`.review` behind the check
that the user reviews (compliance or supervisor), with paging, and the chain's status.

The CLI checks the same role before it calls :mod:`.review`; a server calls these, so
that a collector's session cannot read the audit console by URL or API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import AccessDenied, AuditIntegrityError
from ..models import Reason
from ..audit.trail import AuditTrail
from .authorization import Verdict
from .authorizer import Authorizer
from .review import (FINDINGS, REVIEWER_ROLES, add_finding, export_text, list_lookups,
                     lookup_trail, sample, stats)
from .users import get_user, require_user

PAGE = 50


def may_review(ws, user_id: str | None) -> bool:
    """Whether to offer the reviewer's pages (they check again when asked)."""
    user = get_user(ws, user_id)
    return bool(user and user["active"] and user["role"] in REVIEWER_ROLES)


def require_reviewer(ws, user_id: str | None, what: str) -> dict:
    """The reviewing user, or an audited ``access_denied`` raised as AccessDenied."""
    user = require_user(ws, user_id)
    if user["role"] in REVIEWER_ROLES:
        return user
    auth = Authorizer(ws)
    verdict = Verdict(what, False, (Reason(
        "role_not_permitted", f"role {user['role']!r} may not read the audit; needs role "
                              f"{' or '.join(REVIEWER_ROLES)}"),), auth.policy.version)
    auth.record_denial(verdict, user["id"], None)
    raise AccessDenied(f"user {user['id']!r} ({user['role']}) may not do this: "
                       f"{verdict.text} ({verdict.code})", verdict)


def lookups_page(ws, user_id: str, *, page: int = 1, per_page: int = PAGE,
                 **filters) -> dict[str, Any]:
    """One page of the lookups the trail records, newest first, filtered like
    `tracer audit list` (actor, account, purpose, decision, since, until), and by batch
    and whether a reviewer has recorded a finding (``reviewed`` True/False)."""
    require_reviewer(ws, user_id, "review-lookups")
    rows = list_lookups(ws, **{k: v for k, v in filters.items()
                               if v is not None and v != ""})
    rows.reverse()
    page = max(1, page)
    start = (page - 1) * per_page
    return {"rows": rows[start:start + per_page], "total": len(rows), "page": page,
            "pages": max(1, -(-len(rows) // per_page))}


def sample_draw(ws, user_id: str, n: int, seed: int, **filters) -> list[dict[str, Any]]:
    """`tracer audit sample`: the same workspace, filters and seed draw the same lookups."""
    require_reviewer(ws, user_id, "review-sample")
    return sample(ws, n, seed, **{k: v for k, v in filters.items() if v is not None and v != ""})


def stats_over_time(ws, user_id: str, **filters) -> dict[str, Any]:
    """`tracer audit stats`, plus lookups and denials per week (ISO week of the request),
    in total and by purpose: what the console's charts draw."""
    require_reviewer(ws, user_id, "review-stats")
    kept = {k: v for k, v in filters.items() if v is not None and v != ""}
    summary = stats(ws, **kept)
    weeks: dict[str, dict[str, Any]] = {}
    for row in list_lookups(ws, **kept):
        week = _week(row["ts"])
        slot = weeks.setdefault(week, {"week": week, "lookups": 0, "denied": 0,
                                       "by_purpose": {}})
        denied = row["decision"] == "deny"
        slot["lookups"] += 1
        slot["denied"] += denied
        purpose = slot["by_purpose"].setdefault(row["purpose"] or "?", [0, 0])
        purpose[0] += 1
        purpose[1] += denied
    return {**summary, "weeks": [weeks[w] for w in sorted(weeks)]}


def _week(ts: str) -> str:
    from datetime import date
    try:
        year, week, _ = date.fromisoformat(ts[:10]).isocalendar()
    except ValueError:
        return "?"
    return f"{year}-W{week:02d}"


def export_for(ws, user_id: str, fmt: str, *, lookup_id: str | None = None):
    """The trail (or one lookup's) as ``jsonl`` or ``csv`` text chunks, for a reviewer;
    the export is audited by the caller once it has been handed over."""
    from ..errors import InputError
    reviewer = require_reviewer(ws, user_id, "review-export")
    if fmt not in ("jsonl", "csv"):
        raise InputError(f"an audit export is jsonl or csv, not {fmt!r}")
    return reviewer, export_text(ws, fmt, lookup_id=lookup_id)


def record_export(ws, reviewer: dict, fmt: str, lookup_id: str | None) -> None:
    AuditTrail(ws).append("export", {"what": "audit", "format": fmt, "lookup": lookup_id},
                          actor=reviewer["id"], lookup_id=lookup_id)


def trail(ws, user_id: str, lookup_id: str) -> list[dict[str, Any]]:
    """Every audit entry of one lookup, in order."""
    require_reviewer(ws, user_id, "review-trail")
    return lookup_trail(ws, lookup_id)


def record_finding(ws, user_id: str, lookup_id: str, finding: str, note: str) -> int:
    """A reviewer's finding (ok / issue, with a note) on someone else's lookup: nobody
    reviews their own (an audited ``self_review`` denial).  Returns the entry's seq."""
    from ..errors import InputError
    reviewer = require_reviewer(ws, user_id, "review-finding")
    if finding not in FINDINGS:
        raise InputError(f"a finding is one of {', '.join(FINDINGS)}, not {finding!r}")
    if not (note or "").strip():
        raise InputError("say what you found: a finding needs a note")
    requested = [e for e in lookup_trail(ws, lookup_id) if e["event"] == "lookup_requested"]
    if requested and requested[0]["actor"] == reviewer["id"]:
        auth = Authorizer(ws)
        verdict = Verdict("review-finding", False, (Reason(
            "self_review", "nobody reviews their own lookup: ask another reviewer"),),
            auth.policy.version)
        auth.record_denial(verdict, reviewer["id"], requested[0]["account_id"], lookup_id)
        raise AccessDenied(f"user {reviewer['id']!r} may not do this: {verdict.text} "
                           "(self_review)", verdict)
    return add_finding(ws, lookup_id, finding, note.strip(), reviewer=reviewer["id"])


def chain_status(ws, user_id: str) -> dict[str, Any]:
    """Does the chain verify, its head, and the newest checkpoint file on hand."""
    require_reviewer(ws, user_id, "review-chain")
    audit = AuditTrail(ws)
    try:
        count, error = audit.verify(), None
    except AuditIntegrityError as exc:
        count, error = None, str(exc)
    seq, head = audit.head()
    return {"ok": error is None, "entries": count, "error": error, "head_seq": seq,
            "head": head, "checkpoint": _newest_checkpoint(ws)}


def _newest_checkpoint(ws) -> dict[str, Any] | None:
    from .checkpoints import configured_key, read_checkpoint
    key = configured_key()
    folder = os.environ.get("TRACER_CHECKPOINT_DIR", "").strip() or (key and key.parent)
    if not folder:
        return None
    found = sorted(Path(folder).expanduser().glob(f"{ws.path.name}.*.checkpoint.json"),
                   key=lambda p: p.stat().st_mtime)
    if not found:
        return None
    data = read_checkpoint(found[-1])
    return {"file": found[-1].name, "seq": data.get("seq"), "ts": data.get("ts"),
            "signed": "signature" in data}
