"""The example plugin package (examples/tracer-example-source/) works as a third party's
would: its own suite passes with tracer's pytest plugin, it is discovered through the
``tracer.sources`` entry point, `tracer sources check` passes, and the walk-through in
docs/adding-a-source.md shows its real code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracer.sources.hookspecs import ENTRY_POINT_GROUP
from tracer.sources.registry import SourceRegistry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tracer-example-source"
DOC = ROOT / "docs" / "adding-a-source.md"


def test_the_example_packages_own_suite_passes():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(EXAMPLE / "src"), str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\d+ passed", proc.stdout) and "failed" not in proc.stdout


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    """What `pip install` would leave for importlib.metadata: a dist-info naming the
    entry point, and the package importable on sys.path."""
    dist = tmp_path / "tracer_example_source-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tracer-example-source\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ncounty_liens = tracer_example_source.county_liens\n")
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("TRACER_NO_PLUGINS", raising=False)


SNIPPET = EXAMPLE / "sources-snippet.toml"


def test_the_entry_point_registers_the_source_which_runs_once_configured(installed_example):
    infos = {i.name: i for i in SourceRegistry().infos()}
    assert infos["county_liens"].kind == "public_record"
    assert not infos["county_liens"].enabled
    assert infos["county_liens"].disabled_reason.startswith("not configured")
    configured = SourceRegistry(settings={"county_liens": {"enabled": True, "path": ""}})
    assert {i.name: i for i in configured.infos()}["county_liens"].enabled


def _with_snippet(directory: Path) -> dict[str, str]:
    """A TRACER_CONFIG whose sources.toml is the shipped one plus the example's snippet,
    and the license key it names in the environment (credentials may come from there)."""
    from tracer.settings import shipped_config_path
    directory.mkdir(exist_ok=True)
    (directory / "sources.toml").write_text(
        shipped_config_path("sources.toml").read_text() + "\n" + SNIPPET.read_text())
    return {"TRACER_CONFIG": str(directory), "COUNTY_LIENS_LICENSE_KEY": "test-licence"}


def test_the_installed_plugin_is_listed_and_passes_the_check(installed_example, ws):
    listed = {r["name"]: r for r in json.loads(ws("sources", "list", "--json").stdout)}
    assert not listed["county_liens"]["enabled"]
    assert listed["county_liens"]["disabled_reason"].startswith("not configured")
    configured = ws("sources", "list", "--json", env=_with_snippet(ws.root / "config"))
    assert {r["name"]: r for r in json.loads(configured.stdout)}["county_liens"]["enabled"]
    run = ws("sources", "check", "county_liens", "--json")
    assert run.exit_code == 0, run.output
    checks = {c["check"]: c["status"] for c in json.loads(run.stdout)["checks"]}
    assert set(checks.values()) == {"pass"}, checks


def test_without_the_entry_point_the_source_is_not_there():
    assert "county_liens" not in {i.name for i in SourceRegistry().infos()}


def _code_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", text, flags=re.S)


def test_the_walkthrough_shows_the_example_packages_real_code():
    files = "\n".join(p.read_text() for p in EXAMPLE.rglob("*")
                      if p.is_file() and p.suffix in (".py", ".toml"))
    blocks = [(lang, code) for lang, code in _code_blocks(DOC.read_text())
              if lang in ("python", "toml")]
    assert len(blocks) >= 6
    for lang, code in blocks:
        assert code in files, f"this {lang} block is not in the example package:\n{code}"


@pytest.mark.parametrize("topic", [
    "register_sources", "NotConfigured", "SourceError", "_env", "TRACER_SOURCE_",
    "conformance", "pytest_plugins", "tracer.sources", "tracer sources check",
    "ROBOTSTXT_OBEY", "child process",
])
def test_the_walkthrough_covers(topic):
    assert topic in DOC.read_text()


def test_pip_installs_the_example_and_tracer_discovers_it(tmp_path):
    """A real `pip install` (offline: no index, no build isolation) into a target
    directory, then a fresh `tracer` process that finds the source by its entry point."""
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(EXAMPLE)],
        capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    assert (target / "tracer_example_source").is_dir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(target), os.environ.get("PYTHONPATH")])))
    env.pop("TRACER_NO_PLUGINS", None)
    db = tmp_path / "w.db"

    def tracer(*args):
        return subprocess.run([sys.executable, "-m", "tracer.cli", "--db", str(db), *args],
                              capture_output=True, text=True, timeout=120, env=env)
    assert tracer("init").returncode == 0
    listed = {r["name"]: r for r in json.loads(tracer("sources", "list", "--json").stdout)}
    assert listed["county_liens"]["disabled_reason"].startswith("not configured")
    check = tracer("sources", "check", "county_liens")
    assert check.returncode == 0, check.stdout + check.stderr
    env.update(_with_snippet(tmp_path / "config"))
    listed = {r["name"]: r for r in json.loads(tracer("sources", "list", "--json").stdout)}
    assert listed["county_liens"]["enabled"]
