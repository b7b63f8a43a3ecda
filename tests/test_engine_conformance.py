"""One result, whatever the engine: resolve in process and on Spark local[2] give the
same pairs, comparison levels, term-frequency weights, probabilities (to 1e-9), model
and clusters, on FEBRL 3 (dedupe), FEBRL 4 (link) and synthetic people; the CLI's
output files are the same bytes; a component too big for one task is reported and split."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tracer.matching.resolve import ResolveConfig, resolve_rows
from tracer_dev.synthetic import iter_people_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import match_febrl  # noqa: E402

FEBRL = Path("/work/shared/data/febrl")
needs_febrl = pytest.mark.skipif(not FEBRL.exists(), reason="FEBRL data not available")


def _febrl(task: str):
    config = ResolveConfig(extra_kinds=dict(match_febrl.FEBRL_COMPARE),
                           extra_groups=list(match_febrl.FEBRL_GROUPS))
    if task == "febrl4":
        return (match_febrl.read(FEBRL / "dataset4a.csv"),
                match_febrl.read(FEBRL / "dataset4b.csv"), config)
    return match_febrl.read(FEBRL / "dataset3.csv"), None, config


def _people(n: int, seed: int):
    return [row for row, _pid in iter_people_records(n, seed=seed)], None, ResolveConfig()


def _ids(result, rows):
    return [str(result.table.ids[k]) for k in rows]


def assert_same_resolution(ref, got):
    """Every value the outputs are made of, compared pair by pair and record by record."""
    assert len(ref.left) == len(got.left) and len(ref.left) > 0
    assert _ids(ref, ref.left) == _ids(got, got.left)
    assert _ids(ref, ref.right) == _ids(got, got.right)
    assert np.array_equal(ref.gammas, got.gammas)
    assert sorted(ref.tf_weights) == sorted(got.tf_weights)
    for c in ref.tf_weights:
        assert np.array_equal(ref.tf_weights[c], got.tf_weights[c])
    assert np.allclose(ref.probability, got.probability, rtol=0, atol=1e-9)
    assert np.allclose(ref.weight, got.weight, rtol=0, atol=1e-9)
    assert ref.model.m == got.model.m and ref.model.u == got.model.u
    assert ref.model.prior == pytest.approx(got.model.prior, rel=1e-12)
    assert ref.cluster_ids() == got.cluster_ids()
    assert (ref.ambiguous, ref.isolated) == (got.ambiguous, got.isolated)
    assert ref.report.to_dict() == got.report.to_dict()
    assert list(ref.pair_rows()) == list(got.pair_rows())


def _both(spark, rows, other, config):
    from tracer.spark.engine import resolve_rows_spark
    ref = resolve_rows(rows, ResolveConfig(**vars(config)), other=other)
    got = resolve_rows_spark(rows, ResolveConfig(**vars(config)), spark=spark, other=other)
    return ref, got


def test_synthetic_people_resolve_alike(spark):
    """1,500 of our generator's people (households, Jr/Sr, typos; over EM_MIN_RECORDS,
    so EM trains): the fast check CI runs on every commit."""
    ref, got = _both(spark, *_people(1_500, seed=5))
    assert_same_resolution(ref, got)
    assert len(set(ref.cluster_ids())) < len(ref.table)       # some records did join


@pytest.mark.slow
def test_a_reused_model_resolves_alike(spark):
    """--settings: the model trained in process, reused on Spark (no EM there)."""
    from tracer.spark.engine import resolve_rows_spark
    rows, _other, config = _people(800, seed=8)
    ref = resolve_rows(rows, ResolveConfig(**vars(config)))
    got = resolve_rows_spark(rows, ResolveConfig(**vars(config)), spark=spark, model=ref.model)
    assert_same_resolution(ref, got)


@pytest.mark.slow
@needs_febrl
@pytest.mark.parametrize("task", ["febrl3", "febrl4"])
def test_febrl_resolves_alike(spark, task):
    ref, got = _both(spark, *_febrl(task))
    assert_same_resolution(ref, got)


@pytest.mark.slow
def test_100k_synthetic_people_resolve_alike(spark):
    ref, got = _both(spark, *_people(100_000, seed=3))
    assert_same_resolution(ref, got)


@pytest.mark.slow
def test_a_component_too_big_for_one_task_is_reported_and_split(spark):
    """No component over max_component records reaches one task: it is split at its
    weakest links and counted; the rest of the file clusters as in process."""
    from tracer.spark.engine import resolve_rows_spark
    rows, _other, config = _people(1_500, seed=8)
    ref = resolve_rows(rows, ResolveConfig(**vars(config)))
    sizes = np.bincount(ref.labels)
    biggest = int(sizes.max())
    assert biggest >= 3
    got = resolve_rows_spark(rows, ResolveConfig(**vars(config)), spark=spark,
                             max_component=biggest - 1)
    assert got.split_components >= 1 and got.split_component_records >= biggest
    assert int(np.bincount(got.labels).max()) <= biggest - 1
    assert got.largest_component >= biggest
    # splitting only leaves edges out: every Spark cluster lies inside one in-process one
    ref_ids, got_ids = ref.cluster_ids(), got.cluster_ids()
    inside: dict[str, set] = {}
    for a, b in zip(ref_ids, got_ids):
        inside.setdefault(b, set()).add(a)
    assert all(len(v) == 1 for v in inside.values())


def _write(path: Path, rows: list[dict]) -> Path:
    import csv
    columns = list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_cli_writes_the_same_files_on_spark(spark, tmp_path, monkeypatch):
    """`tracer resolve --engine spark`: the same --out, --pairs, --settings (up to its
    training time) and problems files, the same summary line."""
    from click.testing import CliRunner
    from tracer.cli import cli
    monkeypatch.delenv("TRACER_DB", raising=False)
    rows, _other, _config = _people(800, seed=9)
    source = _write(tmp_path / "people.csv", rows)
    runner = CliRunner()
    outputs = {}
    for engine in ("in-process", "spark"):
        d = tmp_path / engine
        d.mkdir()
        result = runner.invoke(cli, ["--db", str(tmp_path / "ws.db"), "resolve", str(source),
                                     "--out", str(d / "out.csv"), "--pairs", str(d / "pairs.csv"),
                                     "--settings", str(d / "model.json"), "--engine", engine,
                                     *(["--spark-master", "local[2]"] if engine == "spark" else [])],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        import json
        model = json.loads((d / "model.json").read_text())
        model.get("trained_on", {}).pop("trained_at", None)
        outputs[engine] = ((d / "out.csv").read_bytes(), (d / "pairs.csv").read_bytes(),
                           json.dumps(model, sort_keys=True),
                           (d / "out.problems.csv").read_bytes()
                           if (d / "out.problems.csv").exists() else None,
                           [line for line in result.stderr.splitlines() if " -> " in line])
    assert outputs["in-process"] == outputs["spark"]
    assert spark.sparkContext._jsc is not None        # the shared session was left running


@pytest.mark.parametrize("args, message", [
    (["--spark-master", "local[2]"], "--spark-master needs --engine spark"),
])
def test_spark_options_are_checked(tmp_path, args, message):
    from click.testing import CliRunner
    from tracer.cli import cli
    source = _write(tmp_path / "p.csv", [{"record_id": "1", "first_name": "ANN"}])
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "ws.db"), "resolve", str(source),
                                      "--out", str(tmp_path / "o.csv"), *args])
    assert result.exit_code != 0 and message in result.output
