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
        with ws.unit_of_work() as uow:
            unknown, first = uow.accounts.unknown(ids)
        if unknown:
            raise InputError(f"{spec.accounts_file}: {unknown} of its {len(ids)} account ids "
                             f"are not in the workspace (the first is entry {first}); "
                             "nothing was started")
        selection = {"accounts_file": safe_file_name(Path(spec.accounts_file).name),
                     "count": len(ids)}
    else:
        selection = {"where": spec.where or "status = 'open'"}
    now = now_iso()
    with ws.unit_of_work(write=True) as uow:
        # a --where the filter grammar refuses is an InputError here: nothing is kept
        total = uow.batches.add_items(batch_id, ids, where=spec.where)
        if total == 0:
            raise InputError("the selection matches no accounts; nothing to trace")
        uow.batches.insert({
            "batch_id": batch_id, "user_id": spec.user_id, "purpose": spec.purpose,
            "reason": spec.reason, "as_of": as_of, "selection": json.dumps(selection),
            "attach_above": spec.attach_above, "workers": spec.workers, "total": total,
            "status": "running", "owner": _owner([os.getpid()]), "created_at": now,
            "updated_at": now})
        _lease(uow, batch_id)
        AuditTrail(ws).append("batch_started", {
            "batch_id": batch_id, "purpose": spec.purpose, "reason": spec.reason,
            "as_of": as_of, "selection": selection, "size": total,
            "workers": spec.workers, "attach_above": spec.attach_above,
        }, actor=spec.user_id)
    return batch_id


def _interrupted(uow, batch_id: str, nothing: str) -> dict:
    """The batch row, if the batch is neither finished nor still running."""
    batch = _batch_row(uow, batch_id)
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
    with ws.unit_of_work(write=True) as uow:
        batch = _interrupted(uow, batch_id, "nothing to resume")
        counts = uow.batches.status_counts(batch_id)
        reopened = uow.batches.open_lookups(batch_id)
        uow.batches.update(batch_id, {"status": "running", "owner": _owner([os.getpid()]),
                                      "workers": workers or batch["workers"],
                                      "updated_at": now_iso()})
        _lease(uow, batch_id)
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
    with ws.unit_of_work(write=True) as uow:
        _interrupted(uow, batch_id, "nothing to cancel")
        uow.batches.update(batch_id, {"status": "cancelled", "owner": None,
                                      "updated_at": now_iso()})
        return _finish(uow, ws, batch_id, user_id, "cancelled")


def run_batch(ws, batch_id: str, *, progress: Progress | None = None,
              workers: int | None = None) -> dict:
    """Trace every item not yet done; returns the summary (see :func:`summarize`)."""
    with ws.unit_of_work() as uow:
        batch = _batch_row(uow, batch_id)
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
        with ws.unit_of_work(write=True) as uow:
            uow.batches.update(batch_id, {"status": "interrupted", "owner": None,
                                          "updated_at": now_iso()}, only_if_status="running")
        raise
    with ws.unit_of_work(write=True) as uow:
        left = uow.batches.count_items(batch_id, not_status="done")
        status = "completed" if left == 0 else "incomplete"
        uow.batches.update(batch_id, {"status": status, "owner": None,
                                      "updated_at": now_iso()})
        summary = _finish(uow, ws, batch_id, batch["user_id"], status)
    # With compliance's key configured, the trail up to batch_finished is signed now:
    # a later rewrite of any of this batch's entries fails `audit verify --checkpoint`.
    checkpoint = checkpoint_after(ws, batch_id)
    if checkpoint is not None:
        summary["checkpoint"] = str(checkpoint)
    return summary


def _finish(uow, ws, batch_id: str, user_id: str, status: str) -> dict:
    if status in FINISHED:
        uow.batches.release(batch_id)
        uow.batches.update(batch_id, {"finished_at": now_iso()})
    summary = _summary(uow, batch_id)
    uow.batches.update(batch_id, {"summary": json.dumps(summary)})
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
    with ws.unit_of_work() as uow:
        uow.batches.set_cache_kb(BATCH_CACHE_KB)
    tracer = BatchTracer(ws, ctx)
    # Sources that answer a whole chunk at once (OSCN: one crawl) make the batch decide a
    # chunk's items first and ask them together; otherwise each item is traced in turn.
    together = bool(tracer.sources_asked_together())
    bid, total = batch["batch_id"], batch["total"]
    done = _done(ws, bid)
    if progress:
        progress(done, total)
    for status in ("open", "pending"):
        last = 0
        while True:
            with ws.unit_of_work() as uow:
                rows = uow.batches.items(bid, status, after=last, n=n, k=k, limit=500)
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
        with ws.unit_of_work() as uow:
            batch = _batch_row(uow, batch_id)
        _work(ws, batch, k, n, None, parent=parent)
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
    with ws.unit_of_work(write=True) as uow:
        uow.batches.update(batch["batch_id"],
                           {"owner": _owner([os.getpid(), *(p.pid for p in procs)])})
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

def _lease(uow, batch_id: str) -> None:
    """Lease every unfinished item's account to this batch, or refuse naming the holder."""
    held = uow.batches.lease(batch_id, acquired_at=now_iso())
    if not held:
        return
    parts = []
    for other, count, owner in held:
        state = ("running" if owner_alive(owner) else
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

def _batch_row(uow, batch_id: str) -> dict:
    batch = uow.batches.get(batch_id)
    if batch is None:
        raise InputError(f"no batch {batch_id!r}: see `tracer batch list`")
    return batch


def _done(ws, batch_id: str) -> int:
    with ws.unit_of_work() as uow:
        return uow.batches.count_items(batch_id, status="done")


def _status(batch: dict) -> str:
    if batch["status"] == "running" and not owner_alive(batch["owner"]):
        return "interrupted"
    return batch["status"]


def summarize(ws, batch_id: str) -> dict:
    """Counts a supervisor (and ``--json``) reads: traced, located, denied by reason ..."""
    with ws.unit_of_work() as uow:
        return _summary(uow, batch_id)


def _summary(uow, batch_id: str) -> dict:
    batch = _batch_row(uow, batch_id)
    tallies = uow.batches.tallies(batch_id)
    by_result = tallies["by_result"]
    denied: dict[str, int] = {}
    for codes, count in tallies["denied"]:
        for code in (codes or "unknown").split(";"):
            denied[code] = denied.get(code, 0) + count
    source_errors: dict[str, int] = {}
    for names, count in tallies["source_errors"]:
        for name in names.split(";"):
            source_errors[name] = source_errors.get(name, 0) + count
    attached, errors, done = tallies["attached"], tallies["errors"], tallies["done"]
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
    with ws.unit_of_work() as uow:
        rows = uow.batches.list()
    return [{"id": r[0], "status": _status({"status": r[1], "owner": r[2]}), "done": r[8],
             "total": r[3], "user": r[4], "purpose": r[5], "created_at": r[6],
             "finished_at": r[7]} for r in rows]

