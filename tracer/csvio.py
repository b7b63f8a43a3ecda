"""Reading messy CSV files: encoding and delimiter sniffing, header clean-up, column maps,
and the rejected-row report.  Both importers and ``tracer resolve`` read through here."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence, TextIO

from .errors import InputError
from .privacy import mask_text

csv.field_size_limit(10 * 1024 * 1024)

#: Why a row flagged ``__extra__`` or ``__spans__`` by :meth:`CsvSource.rows` is suspect.
EXTRA_FIELDS = "more fields than the header has columns (a stray delimiter?)"
SWALLOWED = ("a quoted cell runs over {lines} lines that look like whole rows "
             "(an unmatched quote?)")


def clean_header(name: str) -> str:
    """``"First Name "`` -> ``first_name``; BOMs and quotes stripped."""
    name = name.replace("\ufeff", "").strip().strip('"').lower()
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


def parse_maps(pairs: Sequence[str]) -> dict[str, str]:
    """``["Acct No=account_id", ...]`` -> ``{"acct_no": "account_id"}``."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--map takes THEIR_COLUMN=OUR_COLUMN, got {pair!r}")
        theirs, ours = pair.split("=", 1)
        if not theirs.strip() or not ours.strip():
            raise InputError(f"--map takes THEIR_COLUMN=OUR_COLUMN, got {pair!r}")
        out[clean_header(theirs)] = clean_header(ours)
    return out


def _detect_encoding(sample: bytes, path: Path | None = None) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else cp1252 (what Excel on Windows
    writes).  The whole file is checked, in 1 MiB chunks: one accented name on line
    8,000 would otherwise be read as U+FFFD."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        if path is None:
            decoder.decode(sample, final=False)
        else:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    decoder.decode(chunk, final=False)
                decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


@dataclass
class CsvSource:
    """An open CSV file yielding ``(line_number, row_dict)`` with mapped column names."""

    path: Path
    columns: list[str]
    encoding: str
    delimiter: str
    _handle: TextIO = field(repr=False, default=None)
    _reader: Iterator[list[str]] = field(repr=False, default=None)
    _raw_header: list[str] = field(repr=False, default_factory=list)

    def rows(self) -> Iterator[tuple[int, dict[str, str], list[str]]]:
        reader = self._reader
        width = len(self.columns)
        last_line = 1
        for values in reader:
            start = last_line + 1
            last_line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue
            # Line breaks and runs of spaces inside a quoted cell are layout, not data.
            row = {self.columns[i]: (" ".join(values[i].split()) if i < len(values) else "")
                   for i in range(width)}
            if len(values) > width and any(v.strip() for v in values[width:]):
                row["__extra__"] = "yes"
            spans = self._swallowed_lines(values)
            if spans:
                row["__spans__"] = str(spans)
            yield start, row, values

    def _swallowed_lines(self, values: list[str]) -> int:
        """Lines in one quoted cell that look like whole rows (an unmatched quote reads
        the rest of the file into one cell); 0 when none do."""
        need = max(len(self.columns) - 1, 1)
        for value in values:
            if "\n" in value or "\r" in value:
                lines = value.splitlines()
                rows = sum(1 for line in lines[1:] if line.count(self.delimiter) >= need)
                if rows:
                    return len(lines)
        return 0

    def close(self) -> None:
        if self._handle:
            self._handle.close()


def open_csv(path: str | Path, column_map: dict[str, str] | None = None) -> CsvSource:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            sample = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    if not sample.strip():
        raise InputError(f"{path} is empty")
    if b"\x00" in sample:
        raise InputError(f"{path} is not a text CSV file (it contains NUL bytes)")
    encoding = _detect_encoding(sample, path)
    text_sample = sample.decode(encoding, errors="replace")
    first_line = text_sample.splitlines()[0] if text_sample.splitlines() else ""
    delimiter = max(",\t;|", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    handle = path.open("r", encoding=encoding, errors="replace", newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        raw_header = next(reader)
    except (StopIteration, csv.Error) as exc:
        handle.close()
        raise InputError(f"{path} has no readable header row") from exc
    column_map = column_map or {}
    columns = []
    for name in raw_header:
        cleaned = clean_header(name)
        columns.append(column_map.get(cleaned, cleaned))
    seen = set()
    for i, name in enumerate(columns):
        if name and name in seen:
            columns[i] = f"{name}__dup{i}"
        seen.add(name)
    return CsvSource(path, columns, encoding, delimiter, handle, reader, raw_header)


class RejectReport:
    """``FILE.rejects.csv``: the source line, the reason, then the row (SSN and DOB masked)."""

    SENSITIVE = ("ssn", "dob")

    def __init__(self, input_path: Path, columns: list[str]):
        self.path = input_path.with_name(input_path.name + ".rejects.csv") \
            if input_path.suffix.lower() != ".csv" \
            else input_path.with_name(input_path.stem + ".rejects.csv")
        self.columns = [c for c in columns if c]
        self.count = 0
        self._fh = None
        self._writer = None

    def add(self, line: int, reason: str, row: dict[str, str]) -> None:
        if self._writer is None:
            self._fh = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow(["line", "reason", *self.columns])
        values = [_mask_cell(c, row.get(c, "")) for c in self.columns]
        self._writer.writerow([line, mask_text(reason), *values])
        self.count += 1

    def close(self) -> None:
        if self._fh:
            self._fh.close()
        elif self.path.exists():
            self.path.unlink()  # a stale report from an earlier run would mislead


def _mask_cell(column: str, value: str) -> str:
    if not value:
        return value
    if column == "ssn":
        digits = re.sub(r"\D", "", value)
        return f"XXX-XX-{digits[-4:]}" if len(digits) >= 4 else "XXX-XX-XXXX"
    if column == "dob":
        match = re.search(r"(19|20)\d\d", value)
        return f"{match.group()}-XX-XX" if match else "XX-XX-XXXX"
    return mask_text(value)
