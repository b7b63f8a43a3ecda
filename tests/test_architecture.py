"""The layering, checked on the source: SQL only in the store, no role check and no audit
write in the CLI, no library module importing the CLI, no import cycle.

Read from the syntax trees (ast), not by grepping, so a comment or a docstring that
mentions SELECT does not count and an aliased import does."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tracer"

#: A string that starts like a SQL statement (keywords in capitals, as tracer writes them).
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|"
                 r"ROLLBACK|REPLACE|VACUUM|ATTACH|SAVEPOINT|RELEASE)\b"
                 r"|^\s*WITH\s+\w+(\s*\([^)]*\))?\s+AS\s*\(")
EXECUTE = {"execute", "executemany", "executescript"}


#: Import cycles not broken yet (sorted module names); may only shrink, like the above.
KNOWN_CYCLES: list[list[str]] = []

#: Names a CLI module may not use: the role checks and the audit trail's writer live in
#: the service layer (tracer.app.Session), so a front end that skips the CLI skips
#: neither.
CLI_FORBIDDEN = {"AuditTrail", "Authorizer", "require_user", "require_user_manager",
                 "REVIEWER_ROLES", "MANAGER_ROLES", "decide_action", "authorize", "append_event"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def sql_statements(tree: ast.AST) -> int:
    """Calls of execute/executemany/executescript, and SQL text not passed to one (a
    statement built in one place and run in another still counts once)."""
    count = 0
    executed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in EXECUTE:
            count += 1
            for sub in ast.walk(node):
                executed.add(id(sub))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and SQL.match(node.value) and id(node) not in executed:
            count += 1
    return count


def imports_of(name: str, path: Path, tree: ast.Module) -> set[str]:
    """The tracer modules ``name`` imports, at module level or inside a function (a
    deferred import only hides a cycle)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "tracer")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "tracer":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in MODULES else target)
    return out


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for target in imports_of(name, path, tree_of(path)):
            if target != name:
                graph.add_edge(name, target)
    return graph


#: Modules whose SQL is Spark SQL over DataFrames (the Spark engine's blocking joins),
#: not the workspace's: no store holds those tables.
SPARK_SQL = {"tracer.spark.blocking"}


def test_sql_lives_only_in_the_store():
    found = Counter()
    for name, path in MODULES.items():
        if name.startswith("tracer.store") or name in SPARK_SQL:
            continue
        n = sql_statements(tree_of(path))
        if n:
            found[name] = n
    assert not found, f"SQL outside tracer/store/ (move it into a repository): {dict(found)}"


def test_the_sql_detector_sees_what_it_should():
    """The check above is only as good as its detector: it counts statements, not words."""
    tree = ast.parse('conn.execute("SELECT 1")\nq = f"UPDATE t SET a = {x}"\n'
                     '"""Selecting accounts: SELECT is how."""\nname = "select"\n')
    assert sql_statements(tree) == 2


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("tracer.cli")))
def test_the_cli_checks_no_role_and_writes_no_audit(name):
    tree = tree_of(MODULES[name])
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.alias):
            used.add(node.name.rpartition(".")[2])
    assert not used & CLI_FORBIDDEN, (
        f"{name} uses {sorted(used & CLI_FORBIDDEN)}: call tracer.app.Session instead")
    assert sql_statements(tree) == 0, f"{name} holds SQL"
    trail_writes = [node.lineno for node in ast.walk(tree)
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append"
                    and "trail" in ast.unparse(node.func.value).lower()]
    assert not trail_writes, f"{name} appends to the audit trail at lines {trail_writes}"


#: Library modules whose operations a CLI module reaches only through the Session (so
#: a web handler calling the Session gets what the CLI gets), and the store's ways in.
CLI_VIA_SESSION = {"tracer.accounts", "tracer.attachments", "tracer.batch",
                   "tracer.batch_lookup", "tracer.imports", "tracer.lookup", "tracer.export",
                   "tracer.outcomes", "tracer.casework", "tracer.consent.authorizer"}
STORE_ACCESS = {"unit_of_work", "transaction", "execute_write_fn"}


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("tracer.cli")))
def test_the_cli_reaches_operations_and_the_store_only_through_the_session(name):
    path = MODULES[name]
    tree = tree_of(path)
    imported = imports_of(name, path, tree) & CLI_VIA_SESSION
    assert not imported, f"{name} imports {sorted(imported)}: call tracer.app.Session"
    touched = {node.attr for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr in STORE_ACCESS}
    assert not touched, f"{name} opens the store itself ({sorted(touched)})"


def test_the_library_never_imports_the_cli():
    graph = import_graph()
    offenders = sorted((src, dst) for src, dst in graph.edges
                       if not src.startswith("tracer.cli") and dst.startswith("tracer.cli"))
    assert not offenders, f"library modules importing tracer.cli: {offenders}"


def test_there_is_no_import_cycle():
    cycles = sorted(sorted(c) for c in nx.simple_cycles(import_graph()))
    assert [c for c in cycles if c not in KNOWN_CYCLES] == [], f"import cycles: {cycles}"
    assert [c for c in KNOWN_CYCLES if c not in cycles] == [], "remove broken cycles"


def test_the_import_graph_sees_deferred_imports():
    """A cycle hidden by an import inside a function is still a cycle."""
    tree = ast.parse("def f():\n    from .training import train_model\n")
    path = PACKAGE / "matching" / "resolve.py"
    assert imports_of("tracer.matching.resolve", path, tree) == {"tracer.matching.training"}
