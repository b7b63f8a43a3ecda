"""`tracer consent`: record what the debtor allowed or revoked for a channel."""

from __future__ import annotations

import click

from ..consent.audit import AuditTrail, now_iso
from ..consent.users import require_user
from ..errors import InputError
from ..matching.normalize import normalize_email, normalize_phone
from ..privacy import refuse_sensitive_option
from ._common import console, user_option, with_workspace

CHANNELS = ("phone", "text", "email")
STATUSES = ("granted", "revoked")


@click.group("consent")
def consent_group() -> None:
    """Consent records: channels the debtor allowed or revoked."""


@consent_group.command("record")
@click.argument("account_id")
@click.option("--channel", type=click.Choice(CHANNELS), required=True,
              help="phone (calls), text (SMS) or email.")
@click.option("--value", required=True, help="The phone number or email address.")
@click.option("--status", type=click.Choice(STATUSES), required=True,
              help="granted, or revoked (a revocation wins over any earlier grant).")
@click.option("--note", default="", callback=refuse_sensitive_option,
              help="How consent was given or revoked.")
@user_option
@with_workspace
def consent_record(ws, account_id, channel, value, status, note, user_id) -> None:
    """Record consent for one channel of ACCOUNT_ID, audited."""
    user = require_user(ws, user_id)
    if not ws.conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone():
        raise InputError(f"no account {account_id}")
    normal = (normalize_email(value).email if channel == "email"
              else normalize_phone(value).e164)
    if not normal:
        raise InputError(f"{value!r} is not a valid {'email' if channel == 'email' else 'phone'}")
    with ws.transaction() as conn:
        conn.execute("INSERT INTO consents (account_id, channel, value, status, recorded_at,"
                     " user_id, note) VALUES (?,?,?,?,?,?,?)",
                     (account_id, channel, normal, status, now_iso(), user["id"], note))
        AuditTrail(ws).append("judgement", {"consent": status, "channel": channel,
                                            "value": normal, "note": note},
                              actor=user["id"], account_id=account_id)
    console.print(f"{channel} consent {status} for {account_id}: {normal}")


def register(cli: click.Group) -> None:
    cli.add_command(consent_group)
