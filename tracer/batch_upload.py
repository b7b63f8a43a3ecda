"""A batch from an uploaded file: keep the upload private, preview it, map its account
column, split it into the accounts to trace and the rows refused (with reasons).

The team server's batch wizard is three steps over these functions: :func:`store_upload`
(the bytes, owner-only, under the workspace's uploads folder, never under a name the
visitor chose), :func:`preview` (header, the first rows masked, the column that looks
like the account id), then :func:`select_accounts` (every row judged: a well-formed,
known, first-seen account id is traced; anything else goes to the rejects report with
its reason, so nothing is lost).  The batch itself is :func:`tracer.batch.create_batch`,
with its one authorization rule and its audit, exactly as `tracer batch --accounts`."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .csvio import RejectReport, clean_header, masked_cell, sniff_bytes
from .errors import InputError
from .models import ACCOUNT_ID
from .outputs import PRIVATE_FILE, make_private_dir, open_private, safe_csv_writer

#: An upload larger than this is refused (a portfolio list of ids is far smaller).
MAX_UPLOAD = 50 << 20
PREVIEW_ROWS = 5
UPLOAD_ID = re.compile(r"U-[a-z]{20}")
#: Letters only: a name the audit trail keeps must have no digit run it would mask.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_HEX_AS_LETTERS = str.maketrans("0123456789", "qrstuvwxyz")


@dataclass(frozen=True)
class Selection:
    account_ids: list[str]
    rows: int
    rejected: int
    rejects_path: Path | None
    ids_path: Path


def uploads_dir(db: str | Path) -> Path:
    """``<workspace>.uploads/``, mode 0700, beside the workspace file."""
    path = Path(db)
    return make_private_dir(path.with_name(path.name + ".uploads"))


def store_upload(ws, user_id: str, stream: BinaryIO) -> str:
    """Keep an uploaded file sealed (tracer/sealed.py: it may hold full DOBs and SSNs),
    owner-only, under a fresh id; returns the id.  An empty or oversized file is refused
    and nothing is kept."""
    data = stream.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputError(f"the file is larger than {MAX_UPLOAD >> 20} MB: upload a list of "
                         "account ids, or run `tracer batch --accounts FILE`")
    if not data.strip():
        raise InputError("the uploaded file is empty")
    upload_id = "U-" + "".join(secrets.choice(_LETTERS) for _ in range(20))
    path = _path(ws.path, user_id, upload_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(ws.file_seal.seal(data, _purpose(user_id, upload_id)))
    return upload_id


def upload_path(db: str | Path, user_id: str, upload_id: str) -> Path:
    """Where ``user_id``'s upload is; another user's id, or a made-up one, is unknown."""
    if not UPLOAD_ID.fullmatch(upload_id or ""):
        raise InputError("no such upload: upload the file again")
    path = _path(db, user_id, upload_id)
    if not path.exists():
        raise InputError("no such upload: upload the file again")
    return path


def rejects_of(db: str | Path, accounts_file: str) -> Path | None:
    """The rejects report of the upload a batch was started from (its selection names
    the accounts file this module wrote), or None."""
    found = re.fullmatch(r"([a-z]{16}-U-[a-z]{20})\.accounts\.csv", accounts_file or "")
    if not found:
        return None
    path = uploads_dir(db) / f"{found.group(1)}.rejects.csv"
    return path if path.exists() else None


def discard_upload(db: str | Path, user_id: str, upload_id: str) -> None:
    """The sealed file goes once its batch has started: only the accounts kept and the
    masked rejects report stay."""
    upload_path(db, user_id, upload_id).unlink(missing_ok=True)


def _path(db: str | Path, user_id: str, upload_id: str) -> Path:
    owner = hashlib.sha256(user_id.encode()).hexdigest()[:16].translate(_HEX_AS_LETTERS)
    return uploads_dir(db) / f"{owner}-{upload_id}.csv"


def _purpose(user_id: str, upload_id: str) -> bytes:
    return f"batch-upload/{user_id}/{upload_id}".encode()


@dataclass(frozen=True)
class Upload:
    """An upload opened in memory: its rows, and where its reports go."""
    path: Path
    rows: list[list[str]]


def open_upload(ws, user_id: str, upload_id: str) -> Upload:
    path = upload_path(ws.path, user_id, upload_id)
    data = ws.file_seal.open(path.read_bytes(), _purpose(user_id, upload_id))
    if data is None:
        raise InputError("the upload cannot be opened (sealed under another workspace "
                         "key, or changed): upload the file again")
    return Upload(path, _rows(data))


def _rows(data: bytes) -> list[list[str]]:
    encoding, delimiter = sniff_bytes(data)
    text = data.decode(encoding, errors="replace")
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"the file is not a CSV tracer can read: {exc}") from None


def preview(upload: Upload) -> dict[str, Any]:
    """The header (or ``column 1``... for a file without one), the first rows with SSNs
    and dates of birth masked, and the column that looks like the account id."""
    rows = [r for r in upload.rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError("the uploaded file has no rows")
    width = max(len(r) for r in rows[:200])
    header = [clean_header(c) for c in rows[0]]
    # A header names its columns: "account_id", or cells without a digit (account ids
    # carry digits); a first row that reads like data is data.
    has_header = "account_id" in header or not any(
        any(ch.isdigit() for ch in c) for c in rows[0])
    columns = header + [f"column_{i + 1}" for i in range(len(header), width)] \
        if has_header else [f"column_{i + 1}" for i in range(width)]
    body = rows[1:] if has_header else rows
    guess = _guess(columns, body)
    shown = [[masked_cell(columns[i], c) for i, c in enumerate(r[:width])]
             for r in body[:PREVIEW_ROWS]]
    return {"columns": columns, "has_header": has_header, "rows": shown,
            "count": len(body), "guess": guess}


def _guess(columns: list[str], body: list[list[str]]) -> int:
    if "account_id" in columns:
        return columns.index("account_id")
    best, best_score = 0, -1.0
    for i, name in enumerate(columns):
        values = [r[i].strip() for r in body[:200] if i < len(r) and r[i].strip()]
        if not values:
            continue
        # Account ids carry digits; a column named like one (acct, account_no, id) wins.
        score = sum(bool(ACCOUNT_ID.fullmatch(v)) and any(c.isdigit() for c in v)
                    for v in values) / len(values)
        score += 1.0 if re.search(r"acc|acct|^id$|_id$|number|^no$", name) else 0.0
        if score > best_score:
            best, best_score = i, score
    return best


def select_accounts(ws, upload: Upload, column: int) -> Selection:
    """Judge every row of the upload: the account ids to trace (first occurrence, in file
    order) and a rejects report (``line, reason`` then the row, masked) for the rest."""
    path = upload.path
    info = preview(upload)
    if not 0 <= column < len(info["columns"]):
        raise InputError("choose the column that holds the account id")
    rows = [r for r in upload.rows if any(c.strip() for c in r)]
    body = rows[1:] if info["has_header"] else rows
    first_line = 2 if info["has_header"] else 1
    report = RejectReport(path, info["columns"])
    candidates: list[tuple[int, str, list[str]]] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(body):
        line = first_line + n
        value = row[column].strip() if column < len(row) else ""
        as_dict = dict(zip(info["columns"], row))
        if not value:
            report.add(line, "no account id in the chosen column", as_dict)
        elif not ACCOUNT_ID.fullmatch(value):
            report.add(line, "not an account id (letters, digits and . _ - : / #, at "
                             "most 64)", as_dict)
        elif value in seen:
            report.add(line, f"repeats the account of line {seen[value]}", as_dict)
        else:
            seen[value] = line
            candidates.append((line, value, row))
    known: set[str] = set()
    ids = [v for _, v, _ in candidates]
    with ws.unit_of_work() as uow:
        for i in range(0, len(ids), 400):
            known.update(a.account_id for a in uow.accounts.by_ids(ids[i:i + 400]))
    kept = []
    for line, value, row in candidates:
        if value in known:
            kept.append(value)
        else:
            report.add(line, "no such account in the workspace",
                       dict(zip(info["columns"], row)))
    report.close()
    ids_path = path.with_name(path.stem + ".accounts.csv")
    with open_private(ids_path) as fh:
        writer = safe_csv_writer(fh)
        writer.writerow(["account_id"])
        writer.writerows([a] for a in kept)
    return Selection(kept, len(body), report.count,
                     report.path if report.count else None, ids_path)
