"""A non-editable install (the Quickstart's `pip install .`) ships every package and
every data file: the explicit package list in pyproject.toml must not fall behind."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "tracer").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert config["package-dir"]["tracer.config"] == "config"


def test_shipped_settings_parse():
    for path in (ROOT / "config").glob("*.toml"):
        tomllib.loads(path.read_text())


def _name(requirement: str) -> str:
    import re
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_installs_are_pinned_and_bounded():
    """pytest only in the test extra; an upper bound on every runtime dependency whose
    next major would break (cryptography, whose frequent majors keep the API tracer uses,
    is pinned by the lock alone); both Quickstart installs go through requirements.lock,
    which pins every runtime and test dependency."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = project["dependencies"]
    assert "pytest" not in {_name(r) for r in runtime}
    assert "pytest" in {_name(r) for r in project["optional-dependencies"]["test"]}
    unbounded = {_name(r) for r in runtime if "<" not in r}
    assert unbounded == {"cryptography"}, unbounded
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {line.split("==")[0].lower() for line in lock.splitlines()
              if "==" in line and not line.startswith("#")}
    wanted = {_name(r) for r in runtime + project["optional-dependencies"]["test"]}
    assert wanted - {"setuptools", "wheel"} <= pinned, wanted - pinned
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quickstart", 1)[1].split("```")[1].strip().splitlines()
    assert len(block) == 2
    assert all("-c requirements.lock" in line for line in block)
