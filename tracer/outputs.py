"""Where tracer writes: one output guard, owner-only files, spreadsheet-safe CSV cells.

Every file tracer creates holds debtors' data or protects it (the workspace and its
-wal/-shm, the HTTP cache, exports, rejects and problems reports, checkpoints, keys),
so each is created mode 0600, and each folder tracer creates mode 0700, whatever the
umask: on a shared machine a curious neighbour reads nothing.  No output may replace
the workspace, its key, its SQLite side files or an input of the same command
(:func:`check_output_path`), and every CSV cell a spreadsheet would run as a formula is
neutralized (:func:`spreadsheet_safe`), except in the audit CSV, whose cells must stay
byte-exact for the hash chain (docs/audit.md).

    out = check_output_path("--out", path, protected=workspace_files(db), inputs=[src])
    with open_private(out) as fh:
        writer = safe_csv_writer(fh)
"""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path
from typing import Any, Iterable, Mapping, TextIO

from .errors import InputError, WorkspaceError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: The files SQLite keeps beside a database.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def workspace_files(db: str | os.PathLike) -> dict[str, Path]:
    """Every file that is part of the workspace at ``db``, by what it is: no output may
    overwrite one (a command need not open the workspace to protect it)."""
    path = Path(db)
    return {"database": path, "secret key": path.with_name(path.name + ".key"),
            **{f"SQLite {suffix} file": path.with_name(path.name + suffix)
               for suffix in SQLITE_SIDE_FILES}}


# -- owner-only files ---------------------------------------------------------------

def make_private_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` (and missing parents) mode 0700; an existing folder is left as
    it is (it may be the user's home or a shared project folder)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    for created in missing:              # mkdir's mode is filtered by the umask
        os.chmod(created, PRIVATE_DIR)
    return path


def create_private(path: str | os.PathLike) -> None:
    """Create an empty file mode 0600 if it does not exist (before SQLite or a library
    opens it, so the mode never depends on the umask)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.fchmod(fd, PRIVATE_FILE)
    os.close(fd)


def open_private(path: str | os.PathLike, *, exclusive: bool = False,
                 encoding: str = "utf-8", newline: str | None = "") -> TextIO:
    """Open ``path`` for writing text, created (or truncated) mode 0600.  A file that
    existed is made 0600 too.  ``exclusive`` refuses an existing file (keys)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: str | os.PathLike, text: str, **kwargs) -> None:
    with open_private(path, **kwargs) as fh:
        fh.write(text)


def readable_by_others(path: str | os.PathLike) -> int | None:
    """The file's mode when its group or others may read or write it, else None."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    return mode if mode & 0o077 else None


def refuse_open_permissions(paths: Iterable[str | os.PathLike], what: str) -> None:
    """A key or database others can read is refused, with the ``chmod`` that fixes it."""
    if os.name != "posix":
        return
    loose = [(Path(p), mode) for p in paths if (mode := readable_by_others(p)) is not None]
    if loose:
        names = " ".join(_shell_quote(str(p)) for p, _ in loose)
        shown = ", ".join(f"{p.name} (mode {mode:04o})" for p, mode in loose)
        raise WorkspaceError(f"{what}: {shown} can be read by other users; "
                             f"run `chmod 600 {names}`")


def _shell_quote(text: str) -> str:
    return text if re.fullmatch(r"[\w@%+=:,./-]+", text) else "'" + text.replace("'", "'\\''") + "'"


# -- the output guard ------------------------------------------------------------------

def check_output_path(option: str, path, *, protected: Mapping[str, Path] | None = None,
                      ws=None, inputs: Iterable = ()) -> Path:
    """Refuse, before any work or audit entry, an output that cannot be written or that
    would overwrite the workspace (database, secret key, -wal/-shm/-journal: from ``ws``
    or ``protected``) or an input file.

        out = check_output_path("--out", out, ws=ws)
    """
    target = Path(path)
    parent = target.parent                      # Path("x.csv").parent is Path(".")
    if target.is_dir():
        raise InputError(f"{option} {path} is a folder, not a file")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: folder {parent} does not exist")
    refuse_overwrite(option, target, protected=protected, ws=ws, inputs=inputs)
    if (target.exists() and not os.access(target, os.W_OK)) or not os.access(parent, os.W_OK):
        raise InputError(f"{option} {path} is not writable")
    return target


def refuse_overwrite(option: str, target: Path, *, protected: Mapping[str, Path] | None = None,
                     ws=None, inputs: Iterable = ()) -> None:
    """The guard's core: ``target`` is none of the workspace's files nor an input."""
    guarded = {f"workspace {what}": Path(file) for what, file in (protected or {}).items()}
    if ws is not None:
        guarded.update({f"workspace {what}": file for what, file in ws.files().items()})
    guarded.update({f"input file {source}": Path(source) for source in inputs})
    for what, other in guarded.items():
        if same_file(target, other):
            raise InputError(f"{option} {target} would overwrite the {what}")


def same_file(a: Path, b: Path) -> bool:
    """Through symlinks and ``..`` (realpath) and hard links (samefile)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return Path(a).samefile(b)
    except OSError:                             # either one does not exist yet
        return False


# -- spreadsheet-safe CSV ----------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_SURROGATES = re.compile("[\ud800-\udfff]")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet will evaluate: a text cell starting with
    ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading single quote (as
    OWASP recommends); an E.164 phone (``+16175550101``: a plus and digits, nothing that
    can call a function) is left as it is, so ranked phones stay usable."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) \
            and not _E164.fullmatch(value):
        return "'" + value
    return value


def printable_cell(value: Any) -> Any:
    """Bytes a file could not decode (kept as surrogates) shown as U+FFFD."""
    if isinstance(value, str) and _SURROGATES.search(value):
        return _SURROGATES.sub("\ufffd", value)
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through :func:`spreadsheet_safe`."""

    def __init__(self, fh: TextIO, **kwargs):
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([spreadsheet_safe(printable_cell(c)) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(fh: TextIO, **kwargs) -> SafeCsvWriter:
    return SafeCsvWriter(fh, **kwargs)
