"""Many lookups, resumable: ``tracer batch``.

A batch is justified once (purpose, reason, as-of date, who) and recorded with its size
(``batch_started``); then every account gets its own gate decision and audit trail,
exactly like an interactive trace with ``batch_id`` set.  State lives in ``batches`` and
``batch_items`` (see :mod:`tracer.batch_lookup` for how an item moves in step with its
lookup), so :func:`resume_batch` after a crash or ``kill -9`` traces no account twice.

Concurrency: a batch leases its accounts (``account_leases``) when it starts or resumes
and releases them when it completes, so a second batch over the same accounts refuses
with the name of the batch holding them instead of interleaving.  A batch records the
processes running it (``owner``); resuming a batch whose processes are still alive
refuses too.  Every write goes through ``BEGIN IMMEDIATE`` so concurrent processes
serialise on the audit chain.

    batch_id = create_batch(ws, BatchSpec(user_id="sam", purpose="collect-debt", ...))
    summary = run_batch(ws, batch_id, progress=print)
"""

from __future__ import annotations

import csv
import json
import logging
import multiprocessing
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

from .store.sqlite.filters import mentions_status, where_sql
from .batch_lookup import BatchContext, BatchTracer, ItemNotPending
from .matching.calibration import calibrate_workspace, needs_calibration
from .audit.trail import AuditTrail, now_iso
from .consent.checkpoints import checkpoint_after, configured_key, load_private_key
from .consent.policy import LookupContext, load_policy, rule_justification
from .consent.purposes import load_catalog
from .consent.authorizer import Authorizer
from .csvio import clean_header, sniff_csv
from .errors import InputError, LookupFailed, TracerError
from .models import ACCOUNT_ID
from .privacy import mask_text, safe_file_name
from .workspace import open_workspace

log = logging.getLogger("tracer.batch")

BATCH_CACHE_KB = int(os.environ.get("TRACER_BATCH_CACHE_KB", 131072))  # per process
FINISHED = ("completed", "cancelled")
Progress = Callable[[int, int], None]   # (done, total)


class BatchRefused(TracerError):
    """The batch cannot run (its accounts are leased, it is already running, ...)."""

    exit_code = 4


@dataclass
class BatchSpec:
    user_id: str
    purpose: str
    reason: str
    as_of: date | None = None
    accounts_file: Path | None = None
    where: str | None = None
    workers: int = 1
    attach_above: float | None = None


# -- selection ------------------------------------------------------------------------

def read_account_ids(path: Path) -> list[str]:
    """Account ids from a CSV with an ``account_id`` column (any delimiter tracer reads),
    or one id per line.  A value that is not a well-formed account id refuses the file,
    naming its line but never repeating it (the file may be anything)."""
    encoding, delimiter = sniff_csv(path)
    try:
        with Path(path).open(encoding=encoding, errors="replace", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    column = 0
    if rows:
        header = [clean_header(c) for c in rows[0]]
        if "account_id" in header:
            column, rows = header.index("account_id"), rows[1:]
    seen: dict[str, None] = {}
    for number, r in enumerate(rows, start=1):
        value = r[column].strip() if column < len(r) else ""
        if value and not ACCOUNT_ID.fullmatch(value):
            raise InputError(f"{path}: entry {number} is not an account id (letters, "
                             "digits and . _ - : / #, at most 64): is this a list of "
                             "accounts?")
        if value:
            seen.setdefault(value, None)
    if not seen:
        raise InputError(f"{path} names no accounts")
    return list(seen)


def _unknown_accounts(conn, ids: list[str]) -> tuple[int, int | None]:
    """How many of ``ids`` no account has, and the position of the first (1-based)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS batch_ids (pos INTEGER, account_id TEXT)")
    conn.execute("DELETE FROM temp.batch_ids")
    conn.executemany("INSERT INTO temp.batch_ids VALUES (?, ?)", enumerate(ids, start=1))
    count, first = conn.execute(
        "SELECT count(*), min(pos) FROM temp.batch_ids b WHERE NOT EXISTS"
        " (SELECT 1 FROM accounts a WHERE a.account_id = b.account_id)").fetchone()
    conn.execute("DELETE FROM temp.batch_ids")
    return count, first


def _selection_sql(where: str | None) -> tuple[str, list[Any]]:
    if not where:
        return "status = 'open'", []
    condition, params = where_sql(where)
    if not mentions_status(where):
        condition = f"status = 'open' AND {condition}"
    return condition, params


# -- creating, resuming, running ----------------------------------------------------------

def _check_justification(ws, spec: BatchSpec) -> None:
    """The batch's own justification, judged once by the gate's rules before anything runs."""
    catalog, policy = load_catalog(), load_policy()
    purpose = catalog.get(spec.purpose)
    if purpose is None:
        raise InputError(f"purpose {spec.purpose!r} is not in the purpose catalog")
    ctx = LookupContext(user=None, account=None, purpose_code=spec.purpose, purpose=purpose,
                        reason=spec.reason)
    for finding in rule_justification(ctx, policy):
        if finding.effect == "deny":
            raise InputError(f"batch justification refused: {finding.reason.text}")


def _check_checkpoint_key() -> None:
    """A configured checkpoint key that cannot sign is refused before anything runs."""
    key = configured_key()
    if key is not None:
        load_private_key(key)


def create_batch(ws, spec: BatchSpec) -> str:
    """Record a new batch, its items and their leases, and audit ``batch_started``.
    An ``accounts_file`` is read, and every id in it checked against the portfolio,
    before anything is written: an id no account has refuses the batch."""
    Authorizer(ws).require(spec.user_id, "start-batch")
    _check_checkpoint_key()
    _check_justification(ws, spec)
    if spec.accounts_file and spec.where:
        raise InputError("give --accounts or --where, not both")
    if spec.workers < 1:
        raise InputError("--workers must be at least 1")
    if spec.attach_above is not None and not 0.0 <= spec.attach_above <= 1.0:
        raise InputError("--attach-above is a confidence between 0 and 1")
    as_of = (spec.as_of or date.today()).isoformat()
    batch_id = "B-" + uuid.uuid4().hex[:10]
    selection: dict[str, Any]
    ids: list[str] | None = None
    if spec.accounts_file:
        ids = read_account_ids(spec.accounts_file)
        unknown, first = _unknown_accounts(ws.conn, ids)
        if unknown:
            raise InputError(f"{spec.accounts_file}: {unknown} of its {len(ids)} account ids "
                             f"are not in the workspace (the first is entry {first}); "
                             "nothing was started")
        selection = {"accounts_file": safe_file_name(Path(spec.accounts_file).name),
                     "count": len(ids)}
    else:
        condition, params = _selection_sql(spec.where)
        selection = {"where": spec.where or "status = 'open'"}
    now = now_iso()
    with ws.transaction() as conn:
        if ids is not None:
            conn.executemany("INSERT INTO batch_items (batch_id, seq, account_id) VALUES (?,?,?)",
                             ((batch_id, i, a) for i, a in enumerate(ids, start=1)))
        else:
            conn.execute(
                "INSERT INTO batch_items (batch_id, seq, account_id) SELECT ?,"
                " row_number() OVER (ORDER BY account_id), account_id FROM accounts"
                f" WHERE {condition} ORDER BY account_id", [batch_id, *params])
        total = conn.execute("SELECT count(*) FROM batch_items WHERE batch_id = ?",
                             (batch_id,)).fetchone()[0]
        if total == 0:
            raise InputError("the selection matches no accounts; nothing to trace")
        conn.execute(
            "INSERT INTO batches (batch_id, user_id, purpose, reason, as_of, selection,"
            " attach_above, workers, total, status, owner, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,'running',?,?,?)",
            (batch_id, spec.user_id, spec.purpose, spec.reason, as_of, json.dumps(selection),
             spec.attach_above, spec.workers, total, _owner([os.getpid()]), now, now))
        _lease(conn, batch_id)
        AuditTrail(ws).append("batch_started", {
            "batch_id": batch_id, "purpose": spec.purpose, "reason": spec.reason,
            "as_of": as_of, "selection": selection, "size": total,
            "workers": spec.workers, "attach_above": spec.attach_above,
        }, actor=spec.user_id)
    return batch_id


def _interrupted(conn, batch_id: str, nothing: str) -> dict:
    """The batch row, if the batch is neither finished nor still running."""
    batch = _batch_row(conn, batch_id)
    if batch["status"] in FINISHED:
        raise BatchRefused(f"batch {batch_id} is {batch['status']}; {nothing}")
    if owner_alive(batch["owner"]):
        raise BatchRefused(f"batch {batch_id} is still running ({batch['owner']}); "
                           "wait for it or stop it first")
    return batch


def resume_batch(ws, batch_id: str, *, user_id: str, workers: int | None = None) -> dict:
    """Take over an interrupted batch; returns what is left.  Refuses a finished batch or
    one whose processes are still running."""
    Authorizer(ws).require(user_id, "start-batch")
    _check_checkpoint_key()
    with ws.transaction() as conn:
        batch = _interrupted(conn, batch_id, "nothing to resume")
        counts = dict(conn.execute("SELECT status, count(*) FROM batch_items WHERE batch_id = ?"
                                   " GROUP BY status", (batch_id,)).fetchall())
        reopened = [r[0] for r in conn.execute(
            "SELECT lookup_id FROM batch_items WHERE batch_id = ? AND status = 'open'"
            " ORDER BY seq", (batch_id,))]
        conn.execute("UPDATE batches SET status = 'running', owner = ?, workers = ?,"
                     " updated_at = ? WHERE batch_id = ?",
                     (_owner([os.getpid()]), workers or batch["workers"], now_iso(), batch_id))
        _lease(conn, batch_id)
        left = {"pending": counts.get("pending", 0), "open": len(reopened),
                "done": counts.get("done", 0)}
        AuditTrail(ws).append("batch_resumed", {
            "batch_id": batch_id, "previous_status": batch["status"], **left,
            "rerun_lookups": reopened[:1000],
        }, actor=user_id)
    return left


def cancel_batch(ws, batch_id: str, *, user_id: str) -> dict:
    """Give up an interrupted batch: release its leases; its finished lookups stay."""
    Authorizer(ws).require(user_id, "start-batch")
    with ws.transaction() as conn:
        _interrupted(conn, batch_id, "nothing to cancel")
        conn.execute("UPDATE batches SET status = 'cancelled', owner = NULL, updated_at = ?"
                     " WHERE batch_id = ?", (now_iso(), batch_id))
        return _finish(conn, ws, batch_id, user_id, "cancelled")


def run_batch(ws, batch_id: str, *, progress: Progress | None = None,
              workers: int | None = None) -> dict:
    """Trace every item not yet done; returns the summary (see :func:`summarize`)."""
    batch = _batch_row(ws.conn, batch_id)
    n = max(1, workers or batch["workers"] or 1)
    if needs_calibration(ws):
        # Outcomes arrived since the contact model was last fitted: learn from them
        # before the first lookup, so every lookup of the batch uses one model.
        calibrate_workspace(ws, actor=batch["user_id"])
    try:
        if n == 1:
            _work(ws, batch, 0, 1, progress)
        else:
            _run_workers(ws, batch, n, progress)
    except BaseException:
        with ws.transaction() as conn:
            conn.execute("UPDATE batches SET status = 'interrupted', owner = NULL,"
                         " updated_at = ? WHERE batch_id = ? AND status = 'running'",
                         (now_iso(), batch_id))
        raise
    with ws.transaction() as conn:
        left = conn.execute("SELECT count(*) FROM batch_items WHERE batch_id = ? AND"
                            " status != 'done'", (batch_id,)).fetchone()[0]
        status = "completed" if left == 0 else "incomplete"
        conn.execute("UPDATE batches SET status = ?, owner = NULL, updated_at = ? WHERE"
                     " batch_id = ?", (status, now_iso(), batch_id))
        summary = _finish(conn, ws, batch_id, batch["user_id"], status)
    # With compliance's key configured, the trail up to batch_finished is signed now:
    # a later rewrite of any of this batch's entries fails `audit verify --checkpoint`.
    checkpoint = checkpoint_after(ws, batch_id)
    if checkpoint is not None:
        summary["checkpoint"] = str(checkpoint)
    return summary


def _finish(conn, ws, batch_id: str, user_id: str, status: str) -> dict:
    if status in FINISHED:
        conn.execute("DELETE FROM account_leases WHERE batch_id = ?", (batch_id,))
        conn.execute("UPDATE batches SET finished_at = ? WHERE batch_id = ?",
                     (now_iso(), batch_id))
    summary = summarize(ws, batch_id)
    conn.execute("UPDATE batches SET summary = ? WHERE batch_id = ?",
                 (json.dumps(summary), batch_id))
    AuditTrail(ws).append("batch_finished", {
        k: summary[k] for k in ("batch_id", "status", "total", "done", "traced", "located",
                                "nothing_current", "nothing_found", "withheld", "denied", "denied_by_reason",
                                "source_errors", "attached", "errors")}, actor=user_id)
    return summary


def _work(ws, batch: dict, k: int, n: int, progress: Progress | None,
          parent: int | None = None) -> None:
    """Trace this process's share (``seq % n == k``) of the items not yet done."""
    ctx = BatchContext(batch["batch_id"], batch["user_id"], batch["purpose"], batch["reason"],
                       date.fromisoformat(batch["as_of"]), batch["attach_above"])
    # Every lookup inserts into the same large indexes (audit, identity graph, results);
    # SQLite's default 2 MB page cache turns that into disk reads as they grow.
    ws.conn.execute(f"PRAGMA cache_size = {-BATCH_CACHE_KB}")
    tracer = BatchTracer(ws, ctx)
    # Sources that answer a whole chunk at once (OSCN: one crawl) make the batch decide a
    # chunk's items first and ask them together; otherwise each item is traced in turn.
    together = bool(tracer.sources_asked_together())
    bid, total = batch["batch_id"], batch["total"]
    done = ws.conn.execute("SELECT count(*) FROM batch_items WHERE batch_id = ? AND"
                           " status = 'done'", (bid,)).fetchone()[0]
    if progress:
        progress(done, total)
    for status in ("open", "pending"):
        last = 0
        while True:
            rows = ws.conn.execute(
                "SELECT seq, account_id, lookup_id FROM batch_items WHERE batch_id = ? AND"
                " status = ? AND seq > ? AND seq % ? = ? ORDER BY seq LIMIT 500",
                (bid, status, last, n, k)).fetchall()
            if not rows:
                break
            last = rows[-1][0]

            def item_failed(seq: int, account_id: str, exc: Exception) -> None:
                log.exception("batch %s: account %s failed", bid, account_id)
                with ws.unit_of_work(write=True) as uow:
                    uow.batches.set_item_error(
                        bid, seq, mask_text(f"{type(exc).__name__}: {exc}")[:300])

            if status == "pending" and together:
                steps = _traced_together(tracer, rows, item_failed, parent)
            else:
                steps = _traced_one_by_one(tracer, status, rows, item_failed, parent)
            for _ in steps:
                done += 1
                if progress:
                    progress(done, total)
    tracer.close()


def _check_parent(parent: int | None) -> None:
    if parent is not None and os.getppid() != parent:
        raise SystemExit("batch parent process is gone")


def _traced_one_by_one(tracer, status: str, rows, item_failed, parent):
    """Each item traced in turn (an ``open`` one re-run); yields once per item done."""
    for seq, account_id, lookup_id in rows:
        _check_parent(parent)
        try:
            if status == "open":
                tracer.rerun(lookup_id)
            else:
                tracer.trace_item(account_id)
        except ItemNotPending:
            continue
        except LookupFailed:      # recorded failed, its item done, by the tracer
            pass
        except Exception as exc:  # one bad account never sinks the batch
            item_failed(seq, account_id, exc)
            continue
        yield account_id


def _traced_together(tracer, rows, item_failed, parent):
    """The chunk's items decided by the gate first, the sources that answer many at once
    asked once for all of them (one OSCN crawl), then each lookup finished; an item
    interrupted after its decision is ``open``, and `batch resume` re-runs it."""
    opened = []
    for seq, account_id, _lookup_id in rows:
        _check_parent(parent)
        try:
            result = tracer.open_item(account_id)
        except ItemNotPending:
            continue
        except Exception as exc:  # one bad account never sinks the batch
            item_failed(seq, account_id, exc)
            continue
        if result.decision.allowed:
            opened.append((seq, account_id, result))
        else:
            yield account_id      # denied: the gate left its item done
    try:
        tracer.ask_together([result for _seq, _account, result in opened])
    except Exception:             # then each lookup asks its sources itself
        log.exception("asking sources for the batch's lookups together failed")
    try:
        for seq, account_id, result in opened:
            _check_parent(parent)
            try:
                tracer.finish_item(result)
            except LookupFailed:  # recorded failed, its item done, by the tracer
                pass
            except Exception as exc:
                item_failed(seq, account_id, exc)
                continue
            yield account_id
    finally:
        tracer.answered.clear()


def _worker_main(db_path: str, batch_id: str, k: int, n: int, parent: int) -> None:
    ws = open_workspace(db_path)
    try:
        _work(ws, _batch_row(ws.conn, batch_id), k, n, None, parent=parent)
    finally:
        ws.close()


def _run_workers(ws, batch: dict, n: int, progress: Progress | None) -> None:
    # spawn, not fork: a forked child must not inherit the parent's SQLite handle.
    mp = multiprocessing.get_context("spawn")
    procs = [mp.Process(target=_worker_main,
                        args=(str(ws.path), batch["batch_id"], k, n, os.getpid()))
             for k in range(n)]
    for p in procs:
        p.start()
    with ws.transaction() as conn:
        conn.execute("UPDATE batches SET owner = ? WHERE batch_id = ?",
                     (_owner([os.getpid(), *(p.pid for p in procs)]), batch["batch_id"]))
    try:
        while any(p.is_alive() for p in procs):
            if progress:
                progress(_done(ws, batch["batch_id"]), batch["total"])
            for p in procs:
                p.join(timeout=1.0 / n)   # progress counts done items about once a second
    except BaseException:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        raise
    if progress:
        progress(_done(ws, batch["batch_id"]), batch["total"])
    failed = [p.exitcode for p in procs if p.exitcode]
    if failed:
        raise TracerError(f"{len(failed)} batch worker(s) failed (exit {failed[0]}); "
                          f"`tracer batch resume {batch['batch_id']}` continues")


# -- leases and owners ----------------------------------------------------------------------

def _lease(conn, batch_id: str) -> None:
    """Lease every unfinished item's account to this batch, or refuse naming the holder."""
    conn.execute(
        "INSERT INTO account_leases (account_id, batch_id, acquired_at) SELECT account_id, ?, ?"
        " FROM batch_items WHERE batch_id = ? AND status != 'done'"
        " ON CONFLICT(account_id) DO NOTHING", (batch_id, now_iso(), batch_id))
    held = conn.execute(
        "SELECT l.batch_id, count(*) FROM batch_items i JOIN account_leases l"
        " ON l.account_id = i.account_id WHERE i.batch_id = ? AND i.status != 'done'"
        " AND l.batch_id != ? GROUP BY l.batch_id ORDER BY 2 DESC", (batch_id, batch_id)).fetchall()
    if not held:
        return
    parts = []
    for other, count in held:
        row = conn.execute("SELECT owner FROM batches WHERE batch_id = ?", (other,)).fetchone()
        state = ("running" if row and owner_alive(row[0]) else
                 f"interrupted: `tracer batch resume {other}` or `tracer batch cancel {other}`")
        parts.append(f"{count} by batch {other} ({state})")
    raise BatchRefused("these accounts are leased: " + "; ".join(parts) +
                       ". Two batches never trace the same account at once")


def _owner(pids: Iterable[int]) -> str:
    return f"{socket.gethostname()}:{','.join(str(p) for p in pids)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:   # a zombie (killed, not yet reaped) is not running anything
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def owner_alive(owner: str | None) -> bool:
    """Whether any process recorded as running a batch still runs (on this host)."""
    if not owner:
        return False
    host, _, pids = owner.rpartition(":")
    if host != socket.gethostname():
        return True   # another machine's process: assume alive, never steal its batch
    return any(_pid_alive(int(p)) for p in pids.split(",") if p.isdigit())


# -- reading ------------------------------------------------------------------------------

_BATCH_COLUMNS = ("batch_id", "user_id", "purpose", "reason", "as_of", "selection",
                  "attach_above", "workers", "total", "status", "owner", "created_at",
                  "updated_at", "finished_at")


def _batch_row(conn, batch_id: str) -> dict:
    row = conn.execute(f"SELECT {', '.join(_BATCH_COLUMNS)} FROM batches WHERE batch_id = ?",
                       (batch_id,)).fetchone()
    if row is None:
        raise InputError(f"no batch {batch_id!r}: see `tracer batch list`")
    return dict(zip(_BATCH_COLUMNS, row))


def _done(ws, batch_id: str) -> int:
    return ws.conn.execute("SELECT count(*) FROM batch_items WHERE batch_id = ? AND"
                           " status = 'done'", (batch_id,)).fetchone()[0]


def _status(batch: dict) -> str:
    if batch["status"] == "running" and not owner_alive(batch["owner"]):
        return "interrupted"
    return batch["status"]


def summarize(ws, batch_id: str) -> dict:
    """Counts a supervisor (and ``--json``) reads: traced, located, denied by reason ..."""
    conn = ws.conn
    batch = _batch_row(conn, batch_id)
    by_result = dict(conn.execute(
        "SELECT coalesce(result, status), count(*) FROM batch_items WHERE batch_id = ?"
        " GROUP BY 1", (batch_id,)).fetchall())
    denied: dict[str, int] = {}
    for codes, count in conn.execute("SELECT reasons, count(*) FROM batch_items WHERE"
                                     " batch_id = ? AND result = 'denied' GROUP BY reasons",
                                     (batch_id,)):
        for code in (codes or "unknown").split(";"):
            denied[code] = denied.get(code, 0) + count
    source_errors: dict[str, int] = {}
    for names, count in conn.execute("SELECT source_errors, count(*) FROM batch_items WHERE"
                                     " batch_id = ? AND source_errors IS NOT NULL"
                                     " GROUP BY source_errors", (batch_id,)):
        for name in names.split(";"):
            source_errors[name] = source_errors.get(name, 0) + count
    attached, errors, done = conn.execute(
        "SELECT coalesce(sum(attached), 0), count(error), count(done_at) FROM batch_items"
        " WHERE batch_id = ?", (batch_id,)).fetchone()
    located, nothing, withheld, stale = (by_result.get(k, 0) for k in
                                         ("located", "nothing_found", "withheld",
                                          "nothing_current"))
    return {
        "id": batch_id, "batch_id": batch_id, "status": _status(batch),
        "total": batch["total"], "done": done, "pending": batch["total"] - done,
        "traced": located + nothing + withheld + stale, "located": located,
        "nothing_current": stale, "nothing_found": nothing, "withheld": withheld,
        "denied": by_result.get("denied", 0),
        # lookups that failed after their decision: recorded failed, not retried
        "failed": by_result.get("failed", 0),
        "denied_by_reason": dict(sorted(denied.items(), key=lambda kv: (-kv[1], kv[0]))),
        "source_errors": dict(sorted(source_errors.items())),
        "attached": attached, "errors": errors,
        "user": batch["user_id"], "purpose": batch["purpose"], "as_of": batch["as_of"],
        "selection": json.loads(batch["selection"]), "attach_above": batch["attach_above"],
        "created_at": batch["created_at"], "finished_at": batch["finished_at"],
    }


def list_batches(ws) -> list[dict]:
    rows = ws.conn.execute(
        "SELECT b.batch_id, b.status, b.owner, b.total, b.user_id, b.purpose, b.created_at,"
        " b.finished_at, (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.batch_id"
        " AND i.status = 'done') FROM batches b ORDER BY b.created_at DESC").fetchall()
    return [{"id": r[0], "status": _status({"status": r[1], "owner": r[2]}), "done": r[8],
             "total": r[3], "user": r[4], "purpose": r[5], "created_at": r[6],
             "finished_at": r[7]} for r in rows]

