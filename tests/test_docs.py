"""Docs that tests keep honest: every audit event and every command is documented."""

from __future__ import annotations

from pathlib import Path

import click

from tracer.cli import cli
from tracer.audit.trail import EVENT_TYPES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_audit_event_is_documented():
    text = (DOCS / "audit.md").read_text()
    for event in EVENT_TYPES:
        assert f"`{event}`" in text, event


def _paths(group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _paths(command, (*prefix, name))
        yield " ".join((*prefix, name))


def test_every_command_is_in_the_command_reference():
    text = (DOCS / "commands.md").read_text()
    for path in _paths(cli):
        assert f"`tracer {path}" in text, path


def test_the_architecture_lists_every_module_of_the_tree():
    """docs/architecture.md names each module of the package once, and no other: a
    module added, moved or removed without the map being updated fails here."""
    import re
    root = Path(__file__).resolve().parents[1]
    text = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(tracer/[\w/]+\.py)` \|", text, flags=re.M)
    tree = sorted(p.relative_to(root).as_posix() for p in (root / "tracer").rglob("*.py"))
    assert len(listed) == len(set(listed)), "a module is listed twice"
    assert sorted(listed) == tree
