"""`tracer trace`: one lookup, gate first."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from ..errors import InputError
from ..app import Session
from ..matching.normalize import parse_date
from ..privacy import refuse_sensitive_option
from ._common import console, err_console, user_option, with_workspace

EXIT_DENIED = 3


#: An as-of date before this is a typo (1926 for 2026), never a lookup's date.
EARLIEST_AS_OF = date(1900, 1, 1)


def parse_day(value: str | None, option: str) -> date | None:
    """A full date given to ``option``, or None; anything else is an InputError."""
    if not value:
        return None
    parsed = parse_date(value)
    if parsed.value is None:
        raise InputError(f"{option} needs a full date such as 2026-01-31, got {value!r}")
    return parsed.value


def parse_as_of(value: str | None) -> date | None:
    """A lookup's ``--as-of``: before 1900 is refused as a mistyped year; a day to come
    is allowed (a planned run) with a note, since recency is then judged from it."""
    day = parse_day(value, "--as-of")
    if day is not None and day < EARLIEST_AS_OF:
        raise InputError(f"--as-of {day.isoformat()} is before {EARLIEST_AS_OF.year}: "
                         "a mistyped year?")
    if day is not None and day > date.today():
        err_console.print(f"note: --as-of {day.isoformat()} is in the future; contacts "
                          "are ranked as of that day")
    return day


def _policy_file(decision) -> str:
    """The policy file, when it is not the shipped one (a TRACER_CONFIG directory's)."""
    from ..settings import shipped_config_path
    policy = decision.settings.get("policy") or {}
    if not policy or policy.get("path") == str(shipped_config_path("policy.toml")):
        return ""
    return f" from {policy['path']}, sha256 {policy['sha256'][:12]}"


def render(result) -> None:
    """A LookupResult (tracer.lookup), as the terminal shows it."""
    d = result.decision
    console.print(f"Lookup [bold]{result.lookup_id}[/bold]  account {result.account_id}  "
                  f"as of {result.as_of}  decision [bold]{d.outcome}[/bold] "
                  f"(policy {d.policy_version}{_policy_file(d)})")
    if not d.allowed:
        for reason in d.reasons:
            cites = f" [{'; '.join(reason.citations)}]" if reason.citations else ""
            console.print(f"  DENIED: {reason.text}{cites}")
        return
    if d.flags:
        console.print(f"  flags for review: {', '.join(d.flags)}")
    for s in result.sources:
        status = f"error: {s.error}" if s.error else f"{s.count} records"
        console.print(f"  source {s.source}: {status} ({s.elapsed_ms:.0f} ms; "
                      f"fields sent: {', '.join(s.fields) or 'none'})")
    if result.withheld:
        console.print("  [bold]contacts withheld[/bold] and account flagged for review: "
                      + "; ".join(result.withheld))
        return
    if result.note:
        console.print(f"  {result.note}")
    if not result.contacts:
        return
    for kind in ("address", "phone", "email"):
        rows = [c for c in result.contacts if c.kind == kind]
        if not rows:
            continue
        console.print(f"[bold]{kind}[/bold]")
        for c in rows:
            seen = f"{c.first_seen or '?'} to {c.last_seen or '?'}"
            line = f" {c.phone_type}" if c.phone_type else ""
            # the reference `tracer accept` / `reject` take
            console.print(f"  {c.ref:<10} {c.value}{line}  [bold]{c.confidence:.2f}[/bold] "
                          f"(identity {c.identity_confidence:.2f}, seen {seen})")
            console.print(f"      [dim]{c.explanation}[/dim]")
            consent = result.consent.get(c.ref, "")
            if not consent.startswith(("none", "not_applicable")) and consent:
                console.print(f"      consent {consent}")


@click.command("trace")
@click.argument("account_id")
@click.option("--purpose", required=True, metavar="CODE",
              help="Permissible-purpose code from config/purposes.toml, e.g. collect-debt.")
@click.option("--reason", required=True, metavar="TEXT", callback=refuse_sensitive_option,
              help="Why this account, now: a real justification, recorded in the audit.")
@user_option
@click.option("--as-of", "as_of", metavar="DATE",
              help="Judge recency as of this date (default today), to reproduce research.")
@click.option("--judgment-ref", metavar="REF", help="Court judgment reference "
              "(required by enforce-judgment).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_workspace
def trace_cmd(ws, account_id, purpose, reason, user_id, as_of, judgment_ref, as_json) -> None:
    """Trace ACCOUNT_ID: the gate decides and logs why, then sources are asked and
    contact points ranked.  Exit 0 on a completed lookup (even with no result),
    3 on a denial, 2 on bad usage."""
    if not user_id:
        raise InputError("say who you are: --user ID or the TRACER_USER environment variable")
    result = Session(ws, user_id).trace(account_id, purpose=purpose, reason=reason,
                                        as_of=parse_as_of(as_of), judgment_ref=judgment_ref)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        render(result)
    if result.denied:
        sys.exit(EXIT_DENIED)


def register(cli: click.Group) -> None:
    cli.add_command(trace_cmd)
