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
