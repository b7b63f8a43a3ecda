"""tracer/web parses, calls the library, renders: no SQL and no role check of its own,
so the server cannot decide differently from the CLI (the one policy decides both)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parent.parent / "tracer" / "web"
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA)\b\s+\S", re.I)
SOURCES = sorted(WEB.glob("*.py"))


def _strings(tree):
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_sql_in_the_web_layer(path):
    tree = ast.parse(path.read_text())
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute)}
    assert not calls & {"execute", "executemany", "executescript", "cursor"}
    docstrings = {ast.get_docstring(n) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef,
                                    ast.AsyncFunctionDef))}
    for text in _strings(tree):
        if text not in docstrings:
            assert not SQL.search(text) or "CSRF" in text, f"SQL-like string: {text!r}"
    assert "import sqlite3" not in path.read_text()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_role_check_in_the_web_layer(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            text = ast.unparse(node)
            assert "role" not in text, f"{path.name}: role check {text!r}"
    text = path.read_text()
    for name in ("REVIEWER_ROLES", "MANAGER_ROLES", "TRACING_ROLES", "decide_action",
                 "collector\"", "'compliance'", "\"supervisor\""):
        assert name not in text, f"{path.name} names {name}"


def test_templates_offer_pages_by_the_librarys_word_only():
    """Templates may hide a link the library says the user may not use (may_review),
    never decide by role themselves."""
    for path in (WEB / "templates").glob("*.html"):
        assert not re.search(r"{%[^%]*\brole\b", path.read_text()), path.name


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name in ("api.py", "pages.py",
                                                                  "reviewer.py", "batches.py")],
                         ids=lambda p: p.name)
def test_handlers_call_the_service_layer(path):
    """Account, lookup, review and token operations go through tracer.app.Session; only
    signing in and out (before and after a session exists) call tracer.auth."""
    tree = ast.parse(path.read_text())
    imported = {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                for a in n.names if n.module}
    library = {i for i in imported if not i.startswith((".", "fastapi", "pydantic",
                                                        "starlette", "__future__"))}
    assert "app.Session" in library
    assert not {i for i in library if i.split(".")[0] in ("attachments", "casework", "lookup")
                or "review_desk" in i}, library
