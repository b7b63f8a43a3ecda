"""`tracer sources`: what sources exist, whether they meet the contract, how they behave.

``list`` shows every registered source (built-in or plugin) and why a disabled one is off;
``check`` runs the conformance kit; ``health`` summarises each source's calls from the
audit trail (the only record of what sources actually did).
"""

from __future__ import annotations

import json
import re
from typing import Any

import click
from rich.table import Column, Table

from ..errors import InputError
from ..sources.conformance import check_source
from ..sources.registry import SourceRegistry, _with_env
from ..sources.health import source_health
from ..sources.record_store import RecordStore
from ._common import console, with_workspace

STATUS_STYLE = {"pass": "green", "fail": "red", "skip": "yellow"}


def _why_disabled(registry: SourceRegistry, info) -> str | None:
    """The registry's reason (a config table's ``disabled_reason`` when it gives one)."""
    return None if info.enabled else info.disabled_reason


@click.group("sources")
def sources_group() -> None:
    """List record sources, check them against the contract, and see their health."""


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per source).")
@with_workspace
def sources_list(ws, as_json: bool) -> None:
    """List every registered source: kind, enabled or why not, and permitted purposes."""
    registry = SourceRegistry(RecordStore(ws))
    rows = [info.to_dict() | {"disabled_reason": _why_disabled(registry, info)}
            for info in sorted(registry.infos(), key=lambda i: i.name)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(Column("source", no_wrap=True), "kind", "enabled", "purposes")
    for row in rows:
        state = "yes" if row["enabled"] else f"no: {row['disabled_reason']}"
        table.add_row(row["name"], row["kind"], state, ", ".join(row["purposes"]))
    console.print(table)


def _json_option(value: str | None, option: str) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InputError(f"{option} needs a JSON object such as "
                         f"'{{\"last_name\": \"Doe\"}}': {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise InputError(f"{option} needs a JSON object, got {type(parsed).__name__}")
    return parsed


def _source_class(registry: SourceRegistry, name: str):
    for classes in registry.pm.hook.register_sources():
        for cls in classes or ():
            if getattr(cls, "name", None) == name:
                return cls
    known = ", ".join(sorted(registry.loaded)) or "none"
    raise InputError(f"no source named {name!r}; registered: {known}")


@sources_group.command("check")
@click.argument("name")
@click.option("--setting", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override one of the source's settings for this check (repeatable), "
                   "e.g. --setting base_url=http://127.0.0.1:8080.")
@click.option("--query", "queries", multiple=True, metavar="JSON",
              help="A search to run, as a JSON object of query fields (repeatable); "
                   "default: the adapter's conformance_queries or a synthetic query.")
@click.option("--failing-query", metavar="JSON",
              help="A search that must fail with SourceError (checks error mapping).")
@click.option("--offline", is_flag=True,
              help="Only check the declaration and purposes; never call the source.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@with_workspace
def sources_check(ws, name: str, overrides: tuple[str, ...], queries: tuple[str, ...],
                  failing_query: str | None, offline: bool, as_json: bool) -> None:
    """Run the conformance kit on source NAME; exit 1 if any check fails.

    The check runs even when the source is disabled in config, with its configured
    settings (and --setting overrides), so a source can be checked before it is enabled.
    """
    registry = SourceRegistry(RecordStore(ws))
    cls = _source_class(registry, name)
    settings = _with_env(name, dict(registry.settings.get(name, {})))
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--setting needs KEY=VALUE, got {item!r}")
        settings[key.strip()] = value
    results = check_source(cls, settings=settings, store=RecordStore(ws), live=not offline,
                           queries=[_json_option(q, "--query") for q in queries] or None,
                           failing_query=_json_option(failing_query, "--failing-query"))
    failed = [r for r in results if not r.ok]
    if as_json:
        click.echo(json.dumps({"source": name, "passed": not failed,
                               "checks": [r.to_dict() for r in results]}, indent=2))
    else:
        table = Table("check", "status", "detail")
        for r in results:
            table.add_row(r.check, f"[{STATUS_STYLE[r.status]}]{r.status}[/]", r.detail)
        console.print(table)
        console.print(f"{name}: {len(failed)} check(s) failed" if failed
                      else f"{name}: conforms ({sum(r.status == 'skip' for r in results)} skipped)")
    if failed:
        raise SystemExit(1)


def _fmt(value, pattern="{:.0f}") -> str:
    return "-" if value is None else pattern.format(value)


@sources_group.command("health")
@click.option("--since", metavar="DATE", help="Only count calls on or after DATE (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON keyed by source name.")
@with_workspace
def sources_health(ws, since: str | None, as_json: bool) -> None:
    """Calls, errors, p50/p95 latency, hit rate, field coverage and last success per
    source, from the audit trail.  Hit rate is the share of successful calls that returned
    any record; field coverage the share of returned records carrying each field."""
    if since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        raise InputError(f"--since needs a date as YYYY-MM-DD, got {since!r}")
    health = source_health(ws, since)
    registered = {i.name for i in SourceRegistry(RecordStore(ws)).infos()}
    empty = {"calls": 0, "errors": 0, "error_rate": None, "p50_ms": None, "p95_ms": None,
             "hit_rate": None, "field_coverage": {}, "last_success": None}
    health = {name: health.get(name, empty) for name in sorted(registered | set(health))}
    if as_json:
        click.echo(json.dumps(health, indent=2))
        return
    table = Table(Column("source", no_wrap=True), "calls", "errors", "p50 ms", "p95 ms",
                  "hit rate", "last success (UTC)", "field coverage")
    for name, h in health.items():
        coverage = ", ".join(f"{f} {share:.0%}" for f, share in h["field_coverage"].items())
        table.add_row(name, str(h["calls"]), str(h["errors"]), _fmt(h["p50_ms"]),
                      _fmt(h["p95_ms"]), _fmt(h["hit_rate"], "{:.0%}"),
                      (h["last_success"] or "-")[:16].replace("T", " "), coverage or "-")
    console.print(table)


def register(cli: click.Group) -> None:
    cli.add_command(sources_group)
