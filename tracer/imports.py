"""Importing a portfolio (FORMATS.md section 1) and record extracts (section 2).

Every bad row goes to ``FILE.rejects.csv`` with its line and reason; every good row is
kept.  Full SSNs are reduced to last-4 plus an HMAC before anything is stored.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from .accounts import actions_for, field_changes, record_change
from .audit.trail import AuditTrail, now_iso
from .cleaning import (ACCOUNT_COLUMNS, FIELD_CAPS, MAX_FIELD, RowError,  # noqa: F401
                       _check_dob, _check_seen, _check_shape, _check_values, _date, _email,
                       _phone, _row_hash, _state_zip, clean_account)
from .consent.authorization import decide_action, denial_error, with_settings
from .consent.authorizer import Authorizer
from .csvio import (ProblemReport, RejectReport, clean_header, describe_column, open_csv,
                    unused_columns, unused_note)
from .errors import InputError
from .matching.features import _name as cached_name
from .matching.features import features_of, pack_features
from .matching.keys import KEY_COLUMNS
from .models import ACCOUNT_ID, PHONE_TYPES, RECORD_EVENTS, RECORD_FIELDS
from .privacy import (RECORD_TEXT, is_full_date, mask_identifiers, refuse_sensitive_text,
                      refuse_sensitive_value, safe_file_name)
from .vendors import VALUE_COLUMNS, load_vendors

BATCH = 5000

Progress = Callable[[int], None]


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    #: the file's columns tracer does not read, with a --map for those that look like one
    unused_note: str | None = None
    #: values not kept (a record extract's unknown event or phone_type), and their report
    problems: int | None = None
    problems_path: Path | None = None

    def to_dict(self) -> dict:
        out = {"imported": self.imported, "updated": self.updated,
               "unchanged": self.unchanged, "rejected": self.rejected,
               "rejects": str(self.rejects_path) if self.rejects_path else None}
        if self.problems is not None:
            out.update(problems=self.problems,
                       problems_report=str(self.problems_path) if self.problems_path else None)
        return out

    def note_unused(self, source, known) -> None:
        self.unused_note = unused_note(unused_columns(source, known))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_columns(source, required_any: tuple[tuple[str, ...], ...]) -> None:
    present = set(source.columns)
    for options in required_any:
        if not present.intersection(options):
            found = _header_names([c for c in source.columns if c])
            likely = [describe_column(raw, target)
                      for raw, target in unused_columns(source, options) if target]
            hint = f": {likely[0]}" if likely else ""
            raise InputError(
                f"{source.path}: no {' or '.join(options)} column (found: {found}); "
                f"use --map THEIRS=OURS to name it{hint}")


def _header_names(names: list[str]) -> str:
    """Header cells for an error message: a file without a header row has a data row
    there, so SSN- and date-shaped cells are masked (and said to look like data)."""
    shown = ["<a date>" if is_full_date(n) else mask_identifiers(n) for n in names]
    text = ", ".join(shown) or "none"
    if shown != names:
        text += "; the first row looks like data: does the file have a header row?"
    return text


def _check_targets(column_map: dict[str, str] | None, targets: tuple[str, ...],
                   kind: str) -> None:
    for theirs, ours in (column_map or {}).items():
        if ours not in targets:
            raise InputError(f"--map {theirs}={ours}: {ours!r} is not a {kind} column; "
                             f"use one of {', '.join(targets)}")


def _check_sources(source, column_map: dict[str, str] | None,
                   saved: dict[str, str] | None = None) -> None:
    """Every column a --map names must be in the file: a misspelt one would do nothing.
    A saved vendor layout (``saved``) may name columns a given month's file lacks."""
    header = {clean_header(name) for name in source._raw_header}
    for theirs, ours in (column_map or {}).items():
        if theirs not in header and (saved or {}).get(theirs) != ours:
            found = _header_names([n.strip() for n in source._raw_header if n.strip()])
            source.close()
            raise InputError(f"{source.path}: --map {theirs}={ours} names no column of the "
                             f"file (found: {found})")


def import_accounts(ws, path: str | Path, *, column_map=None, actor: str | None = None,
                    progress: Progress | None = None, reason: str | None = None
                    ) -> ImportResult:
    """Create or update accounts from a portfolio file, changing only the fields whose
    columns the file has and only what ``actor`` may change (authorization policy):
    flags may be added; removing one, reassigning or reopening needs that right (and
    ``reason``).  A refused row goes to the rejects report with why; every created or
    changed account gets its audit entry, field by field."""
    _check_targets(column_map, ACCOUNT_COLUMNS, "portfolio (FORMATS.md section 1)")
    refuse_sensitive_text(reason, "--reason")
    auth = Authorizer(ws)
    _import_rights(auth, actor)
    source = open_csv(path, column_map)
    _check_sources(source, column_map)
    _check_columns(source, (("account_id",), ("first_name",), ("last_name",)))
    rejects = RejectReport(source.path, source.columns, protected=ws.files())
    result = ImportResult()
    result.note_unused(source, ACCOUNT_COLUMNS)
    named = _named_fields(source.columns)
    via = {"import": safe_file_name(source.path.name), "file_sha256": _file_sha256(source.path)}
    seen: dict[str, int] = {}
    with ws.unit_of_work() as uow:
        user = uow.users.get(actor)
    try:
        with ws.transaction():
            for line, row, _raw in source.rows():
                try:
                    clean = clean_account(ws, row)
                    if not ACCOUNT_ID.fullmatch(clean["account_id"]):
                        raise RowError("malformed account_id (letters, digits and . _ - : "
                                       "/ #, at most 64)")
                    if clean["account_id"] in seen:
                        raise RowError(f"duplicate account_id (first at line "
                                       f"{seen[clean['account_id']]})")
                except RowError as exc:
                    rejects.add(line, str(exc), row)
                    continue
                seen[clean["account_id"]] = line
                refused = _upsert_account(ws, auth, user, clean, named, via, reason, result)
                if refused:
                    rejects.add(line, refused, row)
                if progress:
                    progress(1)
            result.rejected = rejects.count
            AuditTrail(ws).append("accounts_imported", {
                "file": safe_file_name(source.path.name), "file_sha256": via["file_sha256"],
                "columns": sorted(named), "reason": reason,
                **{k: v for k, v in result.to_dict().items() if k != "rejects"},
            }, actor=actor)
    finally:
        source.close()
        rejects.close()
    result.rejects_path = rejects.path if rejects.count else None
    return result


def _import_rights(auth, actor: str | None) -> None:
    """The importer must be allowed to create or to change accounts; neither is an
    audited denial of the whole import (row by row decisions follow)."""
    verdicts = {action: auth.evaluate(actor, action)[0]
                for action in ("create-account", "update-account")}
    if not any(v.allowed for v in verdicts.values()):
        verdict = verdicts["create-account"]
        auth.record_denial(verdict, actor, None)
        with auth.ws.unit_of_work() as uow:
            user = uow.users.get(actor)
        raise denial_error(verdict, actor, user)


def _named_fields(columns) -> set[str]:
    """The account fields a file's columns set: a column it lacks leaves its field alone."""
    named = set()
    for column in columns:
        if column == "ssn":
            named.update(("ssn_last4", "ssn_hash"))
        elif column in ACCOUNT_COLUMNS and column != "account_id":
            named.add(column)
    return named


_REFUSED = {"remove-flag": "would remove flag {flag}", "assign-account":
            "would change assigned_to", "reopen-account": "would reopen the account",
            "add-flag": "would add a flag", "update-account": "would change the account",
            "create-account": "would create the account"}


def _upsert_account(ws, auth, user, clean: dict, named: set[str], via: dict,
                    reason: str | None, result: ImportResult) -> str | None:
    """Create, change or leave one account; returns why a row was refused, if it was."""
    account_id = clean["account_id"]
    with ws.unit_of_work() as uow:
        existing = uow.accounts.get(account_id)
    if existing is None:
        steps = [("create-account", {})]
        new = clean
    else:
        new = {f: clean[f] for f in named}
        if (new.get("ssn_hash") is None and existing["ssn_hash"]
                and new.get("ssn_last4", existing["ssn_last4"]) == existing["ssn_last4"]):
            new["ssn_hash"] = existing["ssn_hash"]  # a masked re-export keeps the hash
        steps = actions_for(existing, new, auth.policy)
        if not steps:
            result.unchanged += 1
            return None
    for action, facts in steps:
        verdict = decide_action(auth.policy, user, action, existing, reason=reason, **facts)
        if not verdict.allowed:
            auth.record_denial(with_settings(verdict, auth.rules.fingerprint), user["id"]
                               if user else None, account_id, via=via)
            what = _REFUSED[action].format(**facts)
            return f"refused: {what}: {verdict.text} ({verdict.code})"
    now = now_iso()
    if existing is None:
        with ws.unit_of_work(write=True) as uow:
            uow.accounts.insert({**clean, "row_hash": _row_hash(clean), "imported_at": now,
                                 "updated_at": now})
        AuditTrail(ws).append("account_created", {
            "action": "import", "via": via, "reason": reason,
            "changes": field_changes(None, {k: v for k, v in clean.items()
                                            if k != "account_id"})},
            actor=user["id"], account_id=account_id)
        result.imported += 1
        return None
    record_change(ws, account_id, new, actor=user["id"], action="import", reason=reason,
                  via=via, old=existing)
    result.updated += 1
    return None


# -- records ------------------------------------------------------------------------------

def _coded(row: dict[str, str], column: str, allowed: tuple[str, ...],
           values: dict[str, dict[str, str]] | None, problems: list | None) -> str | None:
    """A vendor code read through the source's value map (config/vendors.toml), or one of
    ``allowed``; anything else is reported in ``problems`` and not kept (the row is)."""
    text = (row.get(column) or "").strip()
    if not text:
        return None
    code = text.lower()
    mapped = (values or {}).get(column, {})
    if code in mapped:
        return mapped[code] or None
    if code in allowed:
        return code
    if problems is not None:
        problems.append((column, f"unknown {column} {mask_identifiers(text[:40])!r}, not "
                                 f"kept: map it in config/vendors.toml "
                                 f"[vendors.SOURCE.values.{column}] or use one of "
                                 f"{', '.join(allowed)}"))
    return None


def clean_record(row: dict[str, str], values: dict[str, dict[str, str]] | None = None,
                 problems: list | None = None) -> dict:
    """One record row, cleaned; ``values`` are the source's value maps, and unknown
    event or phone_type values are appended to ``problems`` (and dropped)."""
    _check_shape(row)
    _check_values(row, RECORD_TEXT, RECORD_FIELDS)
    if not row.get("record_id"):
        raise RowError("missing required field record_id")
    # The cached normalizer: a person's name recurs across the records of every source.
    name = cached_name(row.get("first_name") or None, row.get("middle_name") or None,
                       row.get("last_name") or None, row.get("suffix") or None,
                       row.get("full_name") or None)
    if not (name.first or name.last):
        raise RowError("missing name (need first_name/last_name or full_name)")
    state, zip5 = _state_zip(row)
    last4 = re.sub(r"\D", "", row.get("ssn_last4", ""))
    if row.get("ssn_last4") and len(last4) != 4:
        raise RowError("bad ssn_last4 (need 4 digits)")
    phone_type = _coded(row, "phone_type", PHONE_TYPES, values, problems)
    event = _coded(row, "event", RECORD_EVENTS, values, problems)
    first_seen, last_seen = _check_seen(
        _date(row.get("first_seen", ""), "first_seen", allow_year=True),
        _date(row.get("last_seen", ""), "last_seen", allow_year=True))
    return {
        "record_id": row["record_id"],
        "first_name": name.first, "middle_name": name.middle, "last_name": name.last,
        "suffix": name.suffix, "full_name": row.get("full_name") or None,
        "dob": _check_dob(_date(row.get("dob", ""), "dob", allow_year=True)),
        "ssn_last4": last4 or None,
        "street": row.get("street") or None, "unit": row.get("unit") or None,
        "city": row.get("city") or None, "state": state, "zip": zip5,
        "phone": _phone(row.get("phone", "")), "phone_type": phone_type,
        "email": _email(row.get("email", "")), "employer": row.get("employer") or None,
        "first_seen": first_seen, "last_seen": last_seen,
        "event": event, "event_date": _date(row.get("event_date", ""), "event_date",
                                            allow_year=True),
    }


_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
#: Rows handed to a cleaning worker at a time, and the file size from which an import
#: cleans rows in worker processes (normalizing names and addresses is the cost; SQLite
#: writes stay in this process).  Smaller files are not worth starting processes for.
CHUNK = 2000
PARALLEL_FROM_BYTES = 8 << 20
#: What a stored record row holds, in order (the store's upsert takes rows in this order).
_RECORD_COLS = ["source", *RECORD_FIELDS, "raw_hash", "imported_at", "features", *KEY_COLUMNS]
_DOB_AT = _RECORD_COLS.index("dob")


def _clean_rows(rows: list[tuple[dict[str, str], list[str]]],
                values: dict[str, dict[str, str]] | None = None) -> list[tuple]:
    """Clean one chunk: ``(values to insert, None, problems)`` or ``(None, reject reason,
    [])`` per row.  Runs in a worker process for large files, so it takes and returns
    plain data."""
    out = []
    for row, raw in rows:
        problems: list = []
        try:
            clean = clean_record(row, values, problems)
        except RowError as exc:
            out.append((None, str(exc), []))
            continue
        # The raw cells, plus the vendor codes read through a value map: a map added or
        # changed later makes the next delivery of the same file a new version.
        mapped = "".join(f"\x1e{c}={clean[c]}" for c in VALUE_COLUMNS
                         if c in (values or {}) and (row.get(c) or "").strip().lower()
                         in values[c])
        raw_hash = hashlib.sha256(("\x1f".join(raw) + mapped).encode()).hexdigest()
        # Normalized once here and stored: a trace reads these features back instead of
        # normalizing the record again (tracer.matching.features.remember_features).
        f = features_of(clean, key="-", source="-")
        keys = (f.last_key, f.first_root or f.first, f.dob_year, f.phone, f.email, f.zip5,
                f.addr_key)
        # Packed without the DOB: the date is stored sealed in its column only.
        packed = pack_features(replace(f, dob=None))
        out.append(([*(clean[f] for f in RECORD_FIELDS), raw_hash, packed, *keys],
                    None, problems))
    return out


def _chunks(csv_source) -> Iterator[list[tuple[int, dict[str, str], list[str]]]]:
    chunk = []
    for item in csv_source.rows():
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cleaned(csv_source, workers: int, values=None) -> Iterator[tuple[list, list]]:
    """``(chunk, cleaned chunk)`` in file order; with workers, at most a few chunks are
    in flight so memory stays bounded whatever the file size."""
    if workers <= 1:
        for chunk in _chunks(csv_source):
            yield chunk, _clean_rows([(row, raw) for _line, row, raw in chunk], values)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers) as pool:
        inflight: deque = deque()
        for chunk in _chunks(csv_source):
            inflight.append((chunk, pool.apply_async(
                _clean_rows, ([(row, raw) for _line, row, raw in chunk], values))))
            if len(inflight) >= 2 * workers + 1:
                chunk, job = inflight.popleft()
                yield chunk, job.get()
        while inflight:
            chunk, job = inflight.popleft()
            yield chunk, job.get()


def _workers_for(path: Path, workers: int | None) -> int:
    if workers is None and os.environ.get("TRACER_IMPORT_WORKERS", "").isdigit():
        workers = int(os.environ["TRACER_IMPORT_WORKERS"])
    if workers is not None:
        return max(1, workers)
    if path.stat().st_size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def import_records(ws, path: str | Path, *, source: str, column_map=None,
                   actor: str | None = None, progress: Progress | None = None,
                   workers: int | None = None) -> ImportResult:
    """Import a record extract; rows are cleaned in ``workers`` processes (default: one
    per core, up to 4, for files over 8 MB) and written here, in file order, so rejects,
    duplicates and counts are the same whatever the number of workers.

    A record delivered again (same source and record_id) with other content replaces
    the stored version, which is kept in ``record_history`` (``updated``); vendor codes
    are read through the source's value maps, and unknown event or phone_type values go
    to ``FILE.problems.csv`` instead of into the record."""
    if not _SOURCE_NAME.match(source or ""):
        raise InputError(f"invalid source name {source!r}: lower-case letters, digits, _ . -")
    refuse_sensitive_value(source, "the source name")
    _check_targets(column_map, RECORD_FIELDS, "record extract (FORMATS.md section 2)")
    csv_source = open_csv(path, column_map)
    layout = load_vendors().get(source)
    _check_sources(csv_source, column_map, layout.columns if layout and column_map else None)
    _check_columns(csv_source, (("record_id",),
                                ("first_name", "last_name", "full_name", "middle_name")))
    value_maps = layout.values if layout else {}
    rejects = RejectReport(csv_source.path, csv_source.columns, protected=ws.files())
    problems = ProblemReport(csv_source.path)
    result = ImportResult(problems=0)
    result.note_unused(csv_source, RECORD_FIELDS)
    accepted = 0
    now = now_iso()
    seal = ws.dob_seal.seal
    pending: list[list] = []
    with ws.unit_of_work() as uow:
        history_before = uow.records.history_mark()
        # record_ids seen so far live in the store (a temporary table), not a dict:
        # constant memory; and a larger page cache for the indexes' pages.
        cache = uow.records.begin_import()

    def flush(records) -> None:
        # the store's change count: an update counts twice (row and history), below
        result.imported += records.upsert(pending)
        if progress:
            progress(len(pending))
        pending.clear()

    try:
        with ws.unit_of_work(write=True) as uow:
            for chunk, cleaned in _cleaned(csv_source, _workers_for(csv_source.path, workers),
                                           value_maps):
                seen = uow.records.seen_in_import(
                    [c[0][0] for c in cleaned if c[0] is not None])
                new_ids = []
                for (line, row, _raw), (values, error, notes) in zip(chunk, cleaned):
                    if values is not None and values[0] in seen:
                        error = f"duplicate record_id (first at line {seen[values[0]]})"
                    if error is not None:
                        rejects.add(line, error, row)
                        continue
                    for column, text in notes:
                        problems.add(line, values[0], column, text)
                    seen[values[0]] = line
                    new_ids.append((values[0], line))
                    stored = [source, *values[:-len(KEY_COLUMNS) - 1], now,
                              *values[-len(KEY_COLUMNS) - 1:]]
                    stored[_DOB_AT] = seal(stored[_DOB_AT])
                    pending.append(stored)
                accepted += len(new_ids)
                uow.records.note_in_import(new_ids)
                if len(pending) >= BATCH:
                    flush(uow.records)
            if pending:
                flush(uow.records)
            # An update also writes its history row (the trigger): two changes each.
            result.updated = uow.records.replaced_since(history_before)
            result.imported -= 2 * result.updated
            result.rejected = rejects.count
            result.problems = problems.count
            result.unchanged = accepted - result.imported - result.updated
            AuditTrail(ws).append("records_imported", {
                "file": safe_file_name(csv_source.path.name), "source": source,
                "file_sha256": _file_sha256(csv_source.path),
                "imported": result.imported, "updated": result.updated,
                "unchanged": result.unchanged, "rejected": result.rejected,
                "problems": result.problems,
            }, actor=actor)
    finally:
        csv_source.close()
        rejects.close()
        problems.close()
        with ws.unit_of_work() as uow:
            uow.records.end_import(cache)
    result.rejects_path = rejects.path if rejects.count else None
    result.problems_path = problems.path if problems.count else None
    return result

