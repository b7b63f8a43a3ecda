"""`tracer audit`: verify the trail and, for reviewers, read it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Column, Table

from ..consent.checkpoints import (KEY_ENV, generate_keypair, is_signed, load_private_key,
                                   load_public_key, public_path_for, read_checkpoint,
                                   sign_checkpoint, verify_signed_checkpoint)
from ..app import Session
from ..consent.review import FINDINGS
from ..errors import AuditIntegrityError, InputError
from ..outputs import open_private, workspace_files, write_private_text
from ..privacy import refuse_sensitive_option
from ._common import check_output_path, console, err_console, user_option, with_workspace


def _filters(fn):
    """The reviewer's filters, shared by list, sample and stats (received as ``**filters``)."""
    for option in reversed([
        click.option("--actor", metavar="ID", help="Only lookups made by this user."),
        click.option("--account", metavar="ID", help="Only lookups of this account."),
        click.option("--purpose", metavar="CODE", help="Only lookups under this purpose."),
        click.option("--decision", type=click.Choice(["allow", "restrict", "deny"]),
                     help="Only lookups with this outcome."),
        click.option("--since", metavar="DATE", callback=_date_option,
                     help="Only lookups on or after this date."),
        click.option("--until", metavar="DATE", callback=_date_option,
                     help="Only lookups on or before this date."),
    ]):
        fn = option(fn)
    return fn


def _date_option(ctx, param, value):
    """A date read like `trace --as-of` reads it (12/03/2026, 2026-12-03, ...), as ISO:
    the audit timestamps are ISO, so raw text would compare as a string."""
    from .trace import parse_day
    parsed = parse_day(value, f"--{param.name}")      # InputError: one clean line, exit 2
    return parsed.isoformat() if parsed else None


def _lookup_table(rows) -> Table:
    table = Table(Column("lookup", no_wrap=True), Column("when (UTC)", no_wrap=True),
                  Column("user", overflow="fold"), Column("account", overflow="fold"),
                  Column("purpose", overflow="fold"), "decision",
                  Column("reasons", overflow="fold"))
    for r in rows:
        table.add_row(r["lookup_id"], r["ts"][:16].replace("T", " "), r["actor"] or "", r["account_id"] or "",
                      r["purpose"] or "", r["decision"] or "",
                      ", ".join(c for c in r["reason_codes"]
                                if r["decision"] == "deny" or c not in
                                ("user_may_trace", "account_open", "purpose_permitted")))
    return table


@click.group("audit")
def audit_group() -> None:
    """The append-only, hash-chained audit trail."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint", type=click.Path(dir_okay=False, path_type=Path),
              help="A checkpoint file from `tracer audit checkpoint`: also detects a "
                   "truncated tail, and with --public-key any rewrite before it.")
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False, path_type=Path),
              help="Compliance's public key (from `tracer audit keygen`): the checkpoint "
                   "must carry its signature.")
@with_workspace
def audit_verify(ws, checkpoint: Path | None, public_key: Path | None) -> None:
    """Recompute the SHA-256 chain; exit 1 naming the first bad entry."""
    trail = Session(ws).trail()
    if public_key and not checkpoint:
        raise InputError("--public-key checks a signed checkpoint: give --checkpoint FILE too")
    data = read_checkpoint(checkpoint) if checkpoint else None
    public = load_public_key(public_key) if public_key else None
    if data is not None and is_signed(data) and public is None:
        raise InputError(f"{checkpoint} is signed with an Ed25519 key: pass its public key "
                         "with --public-key FILE")
    try:
        count = trail.verify()
        trail.verify_complete()
        if public is not None:
            verify_signed_checkpoint(trail, data, public)
        elif data is not None:
            trail.verify_checkpoint(data)
    except AuditIntegrityError as exc:
        err_console.print(f"[red]FAILED[/red]: {exc}")
        sys.exit(1)
    seq, head = trail.head()
    note = ""
    if data is not None:
        note = (f" and reaches the checkpoint at entry {data.get('seq')} signed by key "
                f"{data.get('key_id')}" if public is not None
                else " matches the checkpoint (workspace secret: not proof against a writer "
                     "who reads the key file)")
    console.print(f"OK: {count} audit entries verified; head {seq} {head[:16]}{note}")


@audit_group.command("keygen")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The private key file to create (mode 0600); its public key goes to "
                   "FILE.pub.  Keep the private key away from the workspace.")
@click.pass_context
def audit_keygen(ctx, out: Path) -> None:
    """Create compliance's Ed25519 key pair for signing checkpoints."""
    from ..workspace import resolve_db_path
    root = ctx.find_root()
    db = resolve_db_path(root.obj.get("db") if root.obj else None)
    for path in (out, public_path_for(out)):
        check_output_path("--out", path, protected=workspace_files(db))
    private, public = generate_keypair(out)
    console.print(f"private key {private} (mode 0600: keep it off the workspace's machine "
                  f"or folder), public key {public} (give it to whoever verifies)")


@audit_group.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the checkpoint here instead of printing it.")
@click.option("--key", "key", type=click.Path(dir_okay=False, path_type=Path),
              envvar=KEY_ENV, show_envvar=True,
              help="Sign with compliance's Ed25519 private key (from `tracer audit "
                   "keygen`).  Without it, the legacy HMAC under the workspace secret.")
@with_workspace
def audit_checkpoint(ws, out: Path | None, key: Path | None) -> None:
    """Print the head hash, signed; keep it elsewhere."""
    if out:
        check_output_path("--out", out, ws=ws)
    trail = Session(ws).trail()
    if key:
        data = sign_checkpoint(trail, load_private_key(key))
    else:
        data = trail.checkpoint()
        err_console.print("note: signed with the workspace secret, which sits beside the "
                          "database; sign with --key (tracer audit keygen) to catch a "
                          "writer who can read it")
    text = json.dumps(data, indent=2)
    if out:
        write_private_text(out, text + "\n")
        console.print(f"checkpoint written to {out}")
    else:
        click.echo(text)


@audit_group.command("list")
@_filters
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@with_workspace
def audit_list(ws, user_id, as_json, **filters) -> None:
    """List lookups with who, which account, why, under which purpose, and the outcome."""
    rows = Session(ws, user_id).audit_list(**filters)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    console.print(_lookup_table(rows))
    console.print(f"{len(rows)} lookups")


@audit_group.command("show")
@click.argument("lookup_id")
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@with_workspace
def audit_show(ws, lookup_id, user_id, as_json) -> None:
    """The full trail of one lookup: request, decision, each source asked and what came
    back, ranking, attachments, judgements and review findings."""
    session = Session(ws, user_id)
    entries = session.audit_trail(lookup_id)
    if not entries:
        raise InputError(f"no audit entries for lookup {lookup_id}")
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    for e in entries:
        console.print(f"[bold]#{e['seq']} {e['event']}[/bold]  {e['ts'][:19]}  by "
                      f"{e['actor'] or '-'}  account {e['account_id'] or '-'}")
        for key, value in e["payload"].items():
            if value in (None, [], {}, ""):
                continue
            if key == "reasons":
                for r in value:
                    cites = f" [{'; '.join(r['citations'])}]" if r.get("citations") else ""
                    console.print(f"    - {r['code']}: {r['text']}{cites}")
                continue
            text = value if isinstance(value, str) else json.dumps(value)
            console.print(f"    {key}: {text[:300]}")
    try:
        session.verify_trail()
        console.print("chain: verified intact")
    except AuditIntegrityError as exc:
        console.print(f"chain: [red]BROKEN[/red] ({exc})")


@audit_group.command("sample")
@click.argument("n", type=click.IntRange(min=1))
@click.option("--seed", type=int, required=True, help="Seed: the same seed draws the same sample.")
@_filters
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@with_workspace
def audit_sample(ws, n, seed, user_id, as_json, **filters) -> None:
    """Draw a reproducible random sample of N lookups for quality review."""
    rows = Session(ws, user_id).audit_sample(n, seed, **filters)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
    else:
        console.print(_lookup_table(rows))


@audit_group.command("review")
@click.argument("lookup_id")
@click.option("--finding", type=click.Choice(FINDINGS), required=True,
              help="ok: the lookup was justified and handled well; issue: it was not.")
@click.option("--note", required=True, callback=refuse_sensitive_option,
              help="What the reviewer found.")
@user_option
@with_workspace
def audit_review(ws, lookup_id, finding, note, user_id) -> None:
    """Record a reviewer's finding on LOOKUP_ID in the audit trail."""
    seq = Session(ws, user_id).audit_review(lookup_id, finding, note)
    console.print(f"finding '{finding}' on {lookup_id} recorded as audit entry {seq}")


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="Output format.")
@click.option("--lookup", "lookup_id", metavar="LOOKUP_ID", help="Only this lookup's entries.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@user_option
@with_workspace
def audit_export(ws, fmt, lookup_id, out, user_id) -> None:
    """Export audit entries with their hashes, so a regulator can recompute the chain."""
    session = Session(ws, user_id)
    session.reviewer()
    if out:
        check_output_path("--out", out, ws=ws)

    def write(chunks) -> None:
        if out:
            try:
                with open_private(out) as fh:
                    fh.writelines(chunks)
            except OSError as exc:
                raise InputError(f"--out {out}: {exc.strerror}") from exc
        else:
            for chunk in chunks:
                click.echo(chunk, nl=False)

    session.export_audit(fmt, lookup_id=lookup_id, write=write)
    if out:
        console.print(f"audit entries written to {out}")


@audit_group.command("stats")
@_filters
@user_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_workspace
def audit_stats(ws, user_id, as_json, **filters) -> None:
    """Lookups and denial rates by user, purpose and reason; users outside the norm."""
    data = Session(ws, user_id).audit_stats(**filters)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    console.print(f"{data['lookups']} lookups, {data['denied']} denied")
    for title, key in (("user", "by_user"), ("purpose", "by_purpose")):
        table = Table(title, "lookups", "denied", "denial rate", *(("note",) if key == "by_user" else ()))
        for name, info in data[key].items():
            extra = ()
            if key == "by_user":
                extra = (f"[bold red]{info['outlier']}[/bold red]" if info["outlier"] else "",)
            table.add_row(name, str(info["lookups"]), str(info["denied"]),
                          f"{info['denial_rate']:.0%}", *extra)
        console.print(table)
    if data["denials_by_reason"]:
        table = Table("denial reason", "count")
        for code, count in data["denials_by_reason"].items():
            table.add_row(code, str(count))
        console.print(table)


@audit_group.command("purge")
@click.option("--before", required=True, metavar="DATE",
              help="Redact entries of accounts with no activity since before this date "
                   "(at least 3 years ago: 12 CFR 1006.100).")
@click.option("--dry-run", is_flag=True, help="Only count what would be redacted.")
@user_option
@with_workspace
def audit_purge(ws, before, dry_run, user_id) -> None:
    """Redact personal data from long-inactive accounts' entries, keeping every hash."""
    from .trace import parse_day
    session = Session(ws, user_id)
    session.reviewer()
    report = session.purge(parse_day(before, "--before"), dry_run=dry_run)
    verb = "would redact" if dry_run else "redacted"
    console.print(f"{verb} {report.entries} entries of {len(report.accounts)} accounts "
                  f"inactive since before {report.before}")


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
