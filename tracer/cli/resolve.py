"""`tracer resolve`: deduplicate one record file or link two, offline, no workspace."""

from __future__ import annotations

import json
import os
import sys
from bisect import bisect_right
from collections import Counter
from pathlib import Path
from typing import Iterable

import click

from ..csvio import (EXTRA_FIELDS, SWALLOWED, clean_header, open_csv, parse_maps,
                     undecodable, unused_columns, unused_note)
from ..errors import InputError
from ..matching.model import MatchModel
from ..matching.resolve import DEFAULT_THRESHOLD, ResolveConfig, resolve_rows
from ..matching.table import EXTRA_KINDS
from ..models import RECORD_FIELDS
from ..outputs import open_private, safe_csv_writer, workspace_files, write_private_text
from ..privacy import mask_field, mask_text, sensitive_in_value
from ..workspace import resolve_db_path
from ._common import check_output_path, err_console


def _read(path: str, column_map: dict[str, str], extra: Iterable[str] = ()
          ) -> tuple[list[dict], list[int], list]:
    """(rows, their line numbers, (row, problem) for rows whose shape is suspect).  Columns
    tracer will not read (neither FORMATS.md §2 nor ``--compare``d) are named on stderr."""
    src = open_csv(path, column_map)
    note = unused_note(unused_columns(src, (*RECORD_FIELDS, *extra)))
    if note:
        err_console.print(f"{Path(path).name}: {note}; declare extra columns with "
                          f"--compare COLUMN=KIND")
    try:
        rows, lines, shape = [], [], []
        for line, row, _raw in src.rows():
            if row.pop("__extra__", None):
                shape.append((len(rows), EXTRA_FIELDS))
            spans = row.pop("__spans__", None)
            if spans:
                shape.append((len(rows), SWALLOWED.format(lines=spans)))
            row.pop("__undecodable__", None)
            for column, problem in _unreadable_cells(row):
                shape.append((len(rows), f"{column}: {problem}; counts as missing"))
                row[column] = ""
            if not row.get("record_id"):
                row["record_id"] = f"line{line}"
            found = sensitive_in_value(row["record_id"], "identifier")
            if found:   # the outputs name rows by id: never by a full SSN or DOB
                shape.append((len(rows), f"record_id seems to hold {found}: masked in "
                                         "the outputs"))
                row["record_id"] = mask_field(row["record_id"])
            rows.append(row)
            lines.append(line)
        return rows, lines, shape
    finally:
        src.close()


#: Longest cell compared (characters): a real value is far shorter, and the comparisons'
#: cost grows with the length, so a 200,000-character name cannot stall a resolve.
MAX_CELL = 300


def _unreadable_cells(row: dict[str, str]):
    """(column, problem) for cells that are over-long or hold bytes that did not
    decode; the caller blanks them so they count as missing."""
    for column, value in row.items():
        if len(value) > MAX_CELL:
            yield column, f"longer than {MAX_CELL} characters ({len(value):,})"
        elif undecodable(value):
            yield column, "bytes that are not UTF-8"


def _a_number(value: float | None) -> float | None:
    if value is not None and value != value:
        raise click.BadParameter("must be a number between 0 and 1, not nan")
    return value


def problems_path(out_path: str | Path) -> Path:
    """``OUT.problems.csv`` beside ``--out``: the values tracer could not read."""
    out = Path(out_path)
    stem = out.stem if out.suffix.lower() == ".csv" else out.name
    return out.with_name(stem + ".problems.csv")


def _write_problems(path: Path, result, files: list[tuple[list[dict], list[int], list]],
                    link: bool) -> Counter:
    """Every value a normalizer refused and every suspect row, by input line (a row's
    values are all still resolved: nothing is dropped).  Returns counts by field."""
    offsets = [0]
    for rows, _lines, _shape in files:
        offsets.append(offsets[-1] + len(rows))
    found: list[tuple[int, str, str]] = []            # (input position, field, problem)
    for number, (_rows, _lines, shape) in enumerate(files):
        found += [(offsets[number] + k, "row", text) for k, text in shape]
    position = result.input_position
    found += [(int(position[k]), field, text) for k, field, text in result.table.problems()]
    counts = Counter(field for _, field, _ in found)
    if not found:
        if path.exists():
            path.unlink()            # a stale report from an earlier run would mislead
        return counts
    found.sort()
    with open_private(path) as fh:
        writer = safe_csv_writer(fh)
        writer.writerow((["file"] if link else []) + ["line", "record_id", "field", "problem"])
        for pos, field, text in found:
            number = bisect_right(offsets, pos) - 1
            rows, lines, _shape = files[number]
            k = pos - offsets[number]
            writer.writerow(([number + 1] if link else [])
                            + [lines[k], mask_field(rows[k]["record_id"]), field,
                               mask_text(text)])
    return counts


def _parse_compare(pairs) -> tuple[dict[str, str], list[tuple[str, ...]]]:
    """``COLUMN=KIND`` or ``COLUMN,COLUMN...=KIND`` -> (kind per column, groups)."""
    kinds: dict[str, str] = {}
    groups: list[tuple[str, ...]] = []
    for pair in pairs:
        names, _, kind = pair.partition("=")
        columns = [clean_header(c) for c in names.split(",") if c.strip()]
        kind = kind.strip().lower()
        if not columns or not kind:
            raise InputError(f"--compare takes COLUMN=KIND or COLUMN,COLUMN=KIND, got {pair!r}")
        if kind not in EXTRA_KINDS:
            raise InputError(f"--compare {pair}: kind must be one of {', '.join(EXTRA_KINDS)}")
        for column in columns:
            if column in kinds:
                raise InputError(f"--compare: column {column} is declared twice")
            kinds[column] = kind
        if len(columns) > 1:
            groups.append(tuple(columns))
    return kinds, groups


class _Progress:
    """A rich progress bar on stderr, only on a terminal."""

    def __init__(self):
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress
            self.bar = Progress(console=err_console, transient=True)
            self.tasks: dict[str, int] = {}

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.bar:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)


@click.command("resolve")
@click.argument("input_csv", type=click.Path(dir_okay=False))
@click.option("--link", "link_csv", type=click.Path(dir_okay=False),
              help="Link INPUT to this second file instead of deduplicating INPUT.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Write record_id, cluster_id (and file when linking) here.")
@click.option("--pairs", "pairs_path", type=click.Path(dir_okay=False),
              help="Write the scored pairs with per-field evidence here.")
@click.option("--map", "maps", multiple=True, metavar="THEIRS=OURS",
              help="Rename a column to a FORMATS.md §2 name, e.g. --map surname=last_name.")
@click.option("--compare", "compares", multiple=True, metavar="COLUMN=KIND",
              help="Also compare an extra column: identifier, name, date, exact or text. "
                   "Columns listed together (--compare address_1,address_2=text) are "
                   "also compared crosswise, for values keyed in the other column.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              callback=lambda _ctx, _param, value: _a_number(value),
              help=f"Match probability that joins two records (default {DEFAULT_THRESHOLD}).")
@click.option("--settings", "settings_path", type=click.Path(dir_okay=False),
              help="Trained model JSON: reused when it exists, written after training if not.")
@click.option("--engine", type=click.Choice(["in-process", "spark"]), default="in-process",
              show_default=True,
              help="Where the pairs are compared and clustered: this process, or Apache "
                   "Spark (the spark extra; the same results, docs/scale-out.md).")
@click.option("--spark-master", default=None, metavar="MASTER",
              help="With --engine spark: local[*] (the default), local[N] or a cluster URL.")
@click.pass_context
def resolve_cmd(ctx, input_csv, link_csv, out_path, pairs_path, maps, compares, threshold,
                settings_path, engine, spark_master) -> None:
    """Find which records of INPUT_CSV (or of INPUT_CSV and --link OTHER) are the same
    person: blocking, comparison levels, Fellegi-Sunter scores trained without labels,
    clustering with the mixed-file guard.  The result does not depend on row order."""
    if spark_master and engine != "spark":
        raise InputError("--spark-master needs --engine spark")
    if engine == "spark":
        from ..spark.session import require_spark
        require_spark()
    column_map = parse_maps(maps)
    extra, groups = _parse_compare(compares)
    inputs = [input_csv] + ([link_csv] if link_csv else [])
    outputs = [(o, p) for o, p in (("--out", out_path), ("--pairs", pairs_path),
                                   ("--settings", settings_path)) if p]
    outputs.append(("the problems report", str(problems_path(out_path))))
    # resolve needs no workspace, but must never overwrite the one --db / $TRACER_DB
    # names (nor its key, -wal, -shm), which sits beside these files.
    root = ctx.find_root()
    workspace = workspace_files(resolve_db_path(root.obj.get("db") if root.obj else None))
    for option, path in outputs:
        check_output_path(option, path, protected=workspace, inputs=inputs)
    for i, (option, path) in enumerate(outputs):
        for other_option, other_path in outputs[i + 1:]:
            if os.path.realpath(path) == os.path.realpath(other_path):
                raise InputError(f"{option} and {other_option} name the same file {path}")
    model = None
    if settings_path and Path(settings_path).exists():
        try:
            data = json.loads(Path(settings_path).read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            model = MatchModel.from_dict(data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{settings_path} is not a tracer model: {exc}") from exc
    # Columns compared: --compare's, and a reused model's extra columns.
    model_extra = model.settings.get("extra_kinds", {}) if model else {}
    compared = [*extra, *model_extra]
    files = [_read(input_csv, column_map, compared)] \
        + ([_read(link_csv, column_map, compared)] if link_csv else [])
    rows = files[0][0]
    other = files[1][0] if link_csv else None
    for name in extra:
        if rows and name not in rows[0]:
            raise InputError(f"--compare {name}: no such column in {input_csv}")
    for name in model_extra:
        if rows and name not in rows[0] and name not in extra:
            err_console.print(f"note: {settings_path} compares {name!r}, which "
                              f"{Path(input_csv).name} does not have: it counts as missing")
    config = ResolveConfig(extra_kinds=extra, extra_groups=groups)
    if threshold is not None:
        config.threshold = threshold
    elif model is not None:
        config.threshold = float(model.settings.get("link_threshold", DEFAULT_THRESHOLD))
    with _Progress() as progress:
        if engine == "spark":
            result = _resolve_on_spark(rows, config, other, model, progress,
                                       spark_master or "local[*]")
        else:
            result = resolve_rows(rows, config, other=other, model=model, progress=progress)
    if settings_path and model is None:
        write_private_text(settings_path, result.model.to_json())
    ids = result.cluster_ids()
    with open_private(out_path) as fh:
        writer = safe_csv_writer(fh)
        writer.writerow(["file", "record_id", "cluster_id"] if other is not None
                        else ["record_id", "cluster_id"])
        position = 0
        for number, part in enumerate([rows] + ([other] if other is not None else [])):
            for row in part:
                prefix = [number + 1] if other is not None else []
                writer.writerow([*prefix, row["record_id"], ids[position]])
                position += 1
    if pairs_path:
        with open_private(pairs_path) as fh:
            writer = safe_csv_writer(fh)
            columns = result.pair_columns()
            writer.writerow(columns)
            for row in result.pair_rows():
                writer.writerow([row.get(c, "") for c in columns])
    report = problems_path(out_path)
    counts = _write_problems(report, result, files, link=other is not None)
    clusters = len(set(ids))
    err_console.print(f"{len(ids):,} records -> {clusters:,} clusters; "
                      f"{result.report.total:,} pairs compared; threshold {config.threshold}")
    oversized = result.report.oversized_records
    if oversized:
        rules = sum(1 for r in result.report.rules if r.skipped_blocks)
        err_console.print(
            f"{oversized:,} records share a blocking key with over {config.max_block:,} "
            f"others ({rules} rule{'s' if rules != 1 else ''}): in those blocks they were "
            f"compared only with their exact duplicates")
    split = getattr(result, "split_components", 0)
    if split:
        err_console.print(
            f"{split:,} connected component{'s' if split != 1 else ''} "
            f"({result.split_component_records:,} records) too big for one Spark task: "
            f"split at their weakest links, see docs/scale-out.md")
    if counts:
        by_field = ", ".join(f"{field} {n:,}" for field, n in counts.most_common())
        err_console.print(f"{sum(counts.values()):,} problems in the input ({by_field}): "
                          f"values that could not be read count as missing and every row "
                          f"was still resolved; see {report}")


def _resolve_on_spark(rows, config, other, model, progress, master: str):
    """The Spark engine (tracer.spark), on a session this command starts and stops
    (one spark-submit already made is reused and left running)."""
    from ..spark.engine import resolve_rows_spark
    from ..spark.session import spark_session

    from pyspark.sql import SparkSession

    owned = SparkSession.getActiveSession() is None
    spark = spark_session(master)
    try:
        spark.sparkContext.setLogLevel("ERROR")
        return resolve_rows_spark(rows, config, spark=spark, other=other, model=model,
                                  progress=progress)
    finally:
        if owned:
            spark.stop()


def register(cli: click.Group) -> None:
    cli.add_command(resolve_cmd)
