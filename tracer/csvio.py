"""Reading messy CSV files: encoding and delimiter sniffing, header clean-up, column maps,
and the rejected-row report.  Both importers and ``tracer resolve`` read through here."""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TextIO

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from .errors import InputError
from .outputs import open_private, refuse_overwrite, safe_csv_writer
from .privacy import is_full_date, mask_field, mask_identifiers

csv.field_size_limit(10 * 1024 * 1024)

#: Why a row flagged ``__extra__``, ``__spans__`` or ``__undecodable__`` by
#: :meth:`CsvSource.rows` is suspect.
EXTRA_FIELDS = "more fields than the header has columns (a stray delimiter?)"
UNDECODABLE = "bytes that are not UTF-8 in {column} (the file is read as UTF-8)"
SWALLOWED = ("a quoted cell runs over {lines} lines that look like whole rows "
             "(an unmatched quote?)")


def clean_header(name: str) -> str:
    """``"First Name "`` -> ``first_name``; BOMs and quotes stripped."""
    name = name.replace("\ufeff", "").strip().strip('"').lower()
    return re.sub(r"[^a-z0-9]+", "_", name).strip("_")


#: Headers other systems give tracer's columns (after :func:`clean_header`), with the
#: columns they may mean, most likely first.  Suggested in notes and errors, never applied:
#: a column mapping is the user's decision (``--map``).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("record_id", "account_id"), "rec_id": ("record_id",), "recid": ("record_id",),
    "record": ("record_id",), "record_number": ("record_id",),
    "account": ("account_id",), "account_number": ("account_id",), "acct": ("account_id",),
    "acct_no": ("account_id",), "account_no": ("account_id",), "acct_id": ("account_id",),
    "first": ("first_name",), "firstname": ("first_name",), "given_name": ("first_name",),
    "fname": ("first_name",), "forename": ("first_name",),
    "middle": ("middle_name",), "middlename": ("middle_name",),
    "middle_initial": ("middle_name",), "mi": ("middle_name",),
    "last": ("last_name",), "lastname": ("last_name",), "surname": ("last_name",),
    "family_name": ("last_name",), "lname": ("last_name",),
    "name": ("full_name",), "fullname": ("full_name",),
    "date_of_birth": ("dob",), "birth_date": ("dob",), "birthdate": ("dob",),
    "birthday": ("dob",),
    "ssn": ("ssn", "ssn_last4"), "social_security_number": ("ssn", "ssn_last4"),
    "last4": ("ssn_last4",), "ssn4": ("ssn_last4",), "ssn_last_4": ("ssn_last4",),
    "address": ("street",), "address1": ("street",), "address_1": ("street",),
    "address_line_1": ("street",), "street_address": ("street",), "addr": ("street",),
    "address2": ("unit",), "address_2": ("unit",), "address_line_2": ("unit",),
    "apt": ("unit",), "suite": ("unit",),
    "town": ("city",), "suburb": ("city",), "st": ("state",), "province": ("state",),
    "zip_code": ("zip",), "zipcode": ("zip",), "postal_code": ("zip",), "postcode": ("zip",),
    "zip5": ("zip",),
    "phone_number": ("phone",), "telephone": ("phone",), "tel": ("phone",),
    "mobile": ("phone",), "cell": ("phone",), "phone1": ("phone",),
    "e_mail": ("email",), "email_address": ("email",),
}


def suggest_column(name: str, known: Iterable[str]) -> str | None:
    """The column of ``known`` a header (cleaned) most likely means: a common alias, or
    a near spelling (``frist_name``); None when nothing is close."""
    known = list(known)
    for target in HEADER_ALIASES.get(name, ()):
        if target in known:
            return target
    match = process.extractOne(name, known, scorer=JaroWinkler.normalized_similarity,
                               score_cutoff=0.9)
    return match[0] if match else None


def _masked_header(raw: str) -> str:
    """A header cell as it may be shown: a headerless file's first row is data, so an
    SSN- or DOB-shaped cell is masked."""
    return "<a date>" if is_full_date(raw) else mask_identifiers(raw)


def unused_columns(source: "CsvSource", known: Iterable[str]) -> list[tuple[str, str | None]]:
    """(header as written, suggested column or None) for each column of the file that
    tracer does not read, so a user learns why a column seemed to do nothing.  A cell
    that looks like data (masked when shown) is never suggested."""
    known = set(known)
    present = set(source.columns)
    out = []
    for raw, name in zip(source._raw_header, source.columns):
        if name and name not in known:
            raw = raw.replace("\ufeff", "").strip()
            target = suggest_column(name, known - present) \
                if _masked_header(raw) == raw else None
            out.append((raw, target))
    return out


def describe_column(raw: str, target: str | None) -> str:
    """``'Phone Number' (--map 'Phone Number=phone'?)``, or the masked header alone."""
    if target:
        return f"{raw!r} (--map '{raw}={target}'?)"
    return repr(_masked_header(raw))


def unused_note(unused: list[tuple[str, str | None]], *, limit: int = 8) -> str | None:
    """One line naming the unused columns, with a ``--map`` for those that look like one."""
    if not unused:
        return None
    shown = [describe_column(raw, target) for raw, target in unused[:limit]]
    more = f" and {len(unused) - limit} more" if len(unused) > limit else ""
    return f"columns not used: {', '.join(shown)}{more}"


def parse_maps(pairs: Sequence[str]) -> dict[str, str]:
    """``["Acct No=account_id", ...]`` -> ``{"acct_no": "account_id"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        if pair.count("=") != 1:
            raise InputError(f"--map takes one THEIR_COLUMN=OUR_COLUMN, got {pair!r}")
        theirs, ours = pair.split("=", 1)
        if not clean_header(theirs) or not clean_header(ours):
            raise InputError(f"--map takes THEIR_COLUMN=OUR_COLUMN, got {pair!r}")
        theirs, ours = clean_header(theirs), clean_header(ours)
        if out.get(theirs, ours) != ours:
            raise InputError(f"--map maps column {theirs!r} twice: to {out[theirs]!r} "
                             f"and to {ours!r}")
        out[theirs] = ours
    return out


#: A well-formed multi-byte UTF-8 character (RFC 3629).
_UTF8_MULTI = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
#: Non-ASCII cp1252 characters that are not letters but appear in real Excel exports.
_CP1252_MARKS = set("\u2019\u2018\u201c\u201d\u2013\u2014\u2026\u2022\u20ac\u00a3\u00a9\u00ae"
                    "\u00b0\u00b1\u00b7\u00d7\u00f7\u00a7\u00b6\u00a2\u00a5\u00a0\u00ab\u00bb"
                    "\u00bf\u00a1\u2122\u00ba\u00aa")
#: What may follow a non-ASCII letter in a cp1252 word: letters, digits, spaces, and the
#: punctuation that ends a word or a cell.  ``J\xc3(HN`` (a UTF-8 lead byte cut from its
#: continuation) reads as ``JÃ(HN``, which no name is.
_WORD_END = set(" \t\r\n,;|\"'.-/)]:!?&")
ENCODING_RULE = ("a file is read as UTF-8 unless it is not valid UTF-8, holds no well-formed "
                 "multi-byte UTF-8 character, and reads in cp1252 as words; in UTF-8, a row "
                 "with bytes that do not decode is rejected")


def _cp1252_words(data: bytes) -> bool:
    """Whether ``data`` (not valid UTF-8) is cp1252 text: every byte defined, every
    non-ASCII character a letter inside a word or a common mark, and no well-formed
    multi-byte UTF-8 character anywhere (which would make it damaged UTF-8)."""
    if _UTF8_MULTI.search(data):
        return False
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:           # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined
        return False
    for match in re.finditer(r"[^\x00-\x7f]", text):
        char = match.group()
        if char in _CP1252_MARKS:
            continue
        if not char.isalpha():
            return False
        after = text[match.end():match.end() + 1]
        if after and not (after.isalnum() or after in _WORD_END):
            return False
    return True


def _detect_encoding(sample: bytes, path: Path | None = None) -> str:
    """``utf-8-sig``, or ``cp1252`` (what Excel on Windows writes) by
    :data:`ENCODING_RULE`.  The whole file is checked, in 1 MiB chunks: one accented name
    on line 8,000 decides as much as one on line 2."""
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
        pass
    if path is None:
        return "cp1252" if _cp1252_words(sample) else "utf-8-sig"
    with path.open("rb") as fh:
        tail = b""
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            # Chunks overlap by a few bytes so no character is cut in two; a cut at a
            # chunk's end is re-read whole with the next one.
            block = tail + chunk
            cut = len(block) - 4 if len(chunk) == 1 << 20 else len(block)
            if not _cp1252_words(block[:cut]):
                return "utf-8-sig"
            tail = block[cut:]
        if tail and not _cp1252_words(tail):
            return "utf-8-sig"
    return "cp1252"


def undecodable(value: str) -> bool:
    """Bytes the file's encoding could not decode, kept as lone surrogates."""
    return any("\ud800" <= ch <= "\udfff" for ch in value)


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
            bad = next((c for c, v in row.items() if undecodable(v)), None)
            if bad is not None:
                row["__undecodable__"] = bad
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


def sniff_csv(path: str | Path) -> tuple[str, str]:
    """(encoding, delimiter) of a CSV file, or an :class:`InputError` saying why it cannot
    be read: the encoding from the whole file, the delimiter (comma, tab, semicolon or
    pipe) from its first line."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            sample = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    return _sniffed(sample, str(path), path)


def sniff_bytes(data: bytes, name: str = "the uploaded file") -> tuple[str, str]:
    """:func:`sniff_csv` for a file held in memory (an upload kept sealed), named
    ``name`` in its errors."""
    return _sniffed(data, name, None)


def _sniffed(sample: bytes, name: str, path: Path | None) -> tuple[str, str]:
    if not sample.strip():
        raise InputError(f"{name} is empty")
    # A binary file or UTF-16 text is full of NUL bytes; a stray one is one bad row.
    head = sample[:65536]
    controls = len(re.findall(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", head))
    if b"\x00" in head and controls > max(1, len(head) // 100):
        raise InputError(f"{name} is not a text CSV file (it contains NUL bytes: "
                         "binary, or UTF-16? save it as UTF-8 CSV)")
    encoding = _detect_encoding(sample, path)
    text_sample = head.decode(encoding, errors="replace")
    first_line = text_sample.splitlines()[0] if text_sample.splitlines() else ""
    delimiter = max(",\t;|", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    return encoding, delimiter


def open_csv(path: str | Path, column_map: dict[str, str] | None = None) -> CsvSource:
    path = Path(path)
    encoding, delimiter = sniff_csv(path)
    # surrogateescape: an undecodable byte stays visible (as a lone surrogate) so its row
    # is rejected, instead of turning silently into U+FFFD or a cp1252 letter.
    handle = path.open("r", encoding=encoding, errors="surrogateescape", newline="")
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        raw_header = next(reader)
    except (StopIteration, csv.Error) as exc:
        handle.close()
        raise InputError(f"{path} has no readable header row") from exc
    column_map = column_map or {}
    columns = []
    renamed = set()  # positions of the columns the map renamed
    for i, name in enumerate(raw_header):
        cleaned = clean_header(name)
        columns.append(column_map.get(cleaned, cleaned))
        if columns[-1] != cleaned:
            renamed.add(i)
    first_at: dict[str, int] = {}
    for i, name in enumerate(columns):
        if not name:
            continue
        if name not in first_at:
            first_at[name] = i
            continue
        j = first_at[name]
        if renamed & {i, j}:
            # Keeping both under one name would drop one column's values without a word.
            handle.close()
            a, b = (raw_header[k].strip() for k in (j, i))
            how = (f"mapping {a!r} and {b!r} both to {name!r}" if {i, j} <= renamed else
                   f"mapping {(a, b)[i in renamed]!r} to {name!r} collides with the "
                   f"column {(a, b)[j in renamed]!r} the file already has")
            raise InputError(f"{path}: {how}; map only one of them to {name!r}")
        columns[i] = f"{name}__dup{i}"
    return CsvSource(path, columns, encoding, delimiter, handle, reader, raw_header)


_QUOTED = re.compile(r"'([^']{0,80})'")


def _mask_reason(reason: str) -> str:
    """A reason quotes the value it refused (``unknown channel '...'``): a quoted value
    that is a whole date may be a DOB in the wrong column, and is masked like one."""
    reason = _QUOTED.sub(lambda m: "'XX-XX-XXXX'" if is_full_date(m.group(1))
                         else m.group(0), reason)
    return mask_identifiers(reason)


class RejectReport:
    """``FILE.rejects.csv``: the source line, the reason, then the row (SSN and DOB masked)."""

    SENSITIVE = ("ssn", "dob")

    def __init__(self, input_path: Path, columns: list[str], *, protected=None):
        self.path = input_path.with_name(input_path.name + ".rejects.csv") \
            if input_path.suffix.lower() != ".csv" \
            else input_path.with_name(input_path.stem + ".rejects.csv")
        # Written, or removed when stale: it must never be the workspace or the input.
        refuse_overwrite("the rejects report", self.path, protected=protected,
                         inputs=[input_path])
        self.columns = [c for c in columns if c]
        self.count = 0
        self._fh = None
        self._writer = None

    def add(self, line: int, reason: str, row: dict[str, str]) -> None:
        if self._writer is None:
            self._fh = open_private(self.path)
            self._writer = safe_csv_writer(self._fh)
            self._writer.writerow(["line", "reason", *map(_mask_header, self.columns)])
        values = [_mask_cell(c, row.get(c, "")) for c in self.columns]
        self._writer.writerow([line, _mask_reason(reason), *values])
        self.count += 1

    def close(self) -> None:
        if self._fh:
            self._fh.close()
        elif self.path.exists():
            self.path.unlink()  # a stale report from an earlier run would mislead


_SSN_WORDS = ("ssn", "social")
_DOB_WORDS = ("dob", "birth", "born")


def _column_kind(column: str) -> str | None:
    """``"ssn"`` or ``"dob"`` by what a column means, whatever it is called
    (``ssn_number``, ``ssn__dup6``, ``ssn_last4``, ``date_of_birth``); a header that is
    itself a date (a file without a header row) is taken as a DOB to be safe."""
    if any(word in column for word in _SSN_WORDS):
        return "ssn"
    if any(word in column for word in _DOB_WORDS) or is_full_date(column):
        return "dob"
    return None


def _mask_header(column: str) -> str:
    """A header that is really a data row's cell must not show it either."""
    return _mask_cell(column, column) if is_full_date(column) else mask_identifiers(column)


def masked_cell(column: str, value: str) -> str:
    """A cell as tracer may show it (a preview, a rejects report): SSNs and dates of
    birth masked by what the column means, and wherever else they turn up."""
    return _mask_cell(column, value)


def _mask_cell(column: str, value: str) -> str:
    if not value:
        return value
    kind = _column_kind(column)
    if kind == "ssn":
        digits = re.sub(r"\D", "", value)
        return f"XXX-XX-{digits[-4:]}" if len(digits) >= 4 else "XXX-XX-XXXX"
    if kind == "dob":
        match = re.search(r"(19|20)\d\d", value)
        return f"{match.group()}-XX-XX" if match else "XX-XX-XXXX"
    # Any other column can still hold one: a 9-digit run, "dob 01/02/1980" in a note, a
    # date of birth keyed into the street.  Dates stay readable only in date columns.
    if column in _DATE_COLUMNS:
        return mask_identifiers(value)
    return mask_field(value)


_DATE_COLUMNS = frozenset({"first_seen", "last_seen", "event_date", "last_activity"})


class ProblemReport:
    """``FILE.problems.csv``: values an import read but did not keep (an unknown vendor
    code), by line and record: the row itself was imported."""

    COLUMNS = ("line", "record_id", "field", "problem")

    def __init__(self, input_path: Path):
        stem = input_path.stem if input_path.suffix.lower() == ".csv" else input_path.name
        self.path = input_path.with_name(stem + ".problems.csv")
        self.count = 0
        self._fh = None
        self._writer = None

    def add(self, line: int, record_id: str, field: str, problem: str) -> None:
        if self._writer is None:
            self._fh = open_private(self.path)
            self._writer = safe_csv_writer(self._fh)
            self._writer.writerow(self.COLUMNS)
        self._writer.writerow([line, mask_identifiers(record_id), field,
                               mask_identifiers(problem)])
        self.count += 1

    def close(self) -> None:
        if self._fh:
            self._fh.close()
        elif self.path.exists():
            self.path.unlink()  # a stale report from an earlier run would mislead
