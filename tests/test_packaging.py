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
