"""Contact outcomes (FORMATS.md section 4): what happened when a contact point was used.

A dialer's dispositions, a letter shop's returned mail, an email platform's bounces.  An
outcome is evidence about the *value* on its day, not only about its account: a
``wrong_party`` on a number means the number was someone else's that day, on every
account that finds it; ``disconnected`` that it was nobody's; ``returned_mail`` that the
addressee no longer lived there.  The ranking reads them (:mod:`tracer.matching.ranking`)
and ``tracer model calibrate`` learns from them (:mod:`tracer.matching.calibration`).

    result = import_outcomes(ws, "dispositions.csv", actor="sam")
    for row in list_outcomes(ws, "ACC-1"): ...
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

from .audit.trail import AuditTrail, now_iso
from .csvio import RejectReport, open_csv
from .errors import InputError
from .imports import (ImportResult, RowError, _check_columns, _check_shape, _check_sources,
                      _check_targets)
from .matching.normalize import (address_identity, normalize_address, normalize_email,
                                 normalize_phone, parse_date)
from .privacy import safe_file_name, sensitive_in_text

OUTCOME_COLUMNS = ("account_id", "channel", "value", "outcome", "date", "user", "note")
REQUIRED = ("account_id", "channel", "value", "outcome", "date")

#: The outcomes each channel knows (FORMATS.md section 4), and what each says about the
#: value on its day: ``reached`` (it reached the debtor; for a letter, ``no_return``: it
#: was delivered and not sent back, the trade's proxy for a good address),
#: ``not_theirs`` (it reached someone else, or nobody), or ``None`` (says little).
OUTCOMES: dict[str, dict[str, str | None]] = {
    "phone": {"right_party": "reached", "wrong_party": "not_theirs",
              "disconnected": "not_theirs", "no_answer": None, "voicemail": None},
    "address": {"returned_mail": "not_theirs", "no_return": "reached"},
    "email": {"bounced": "not_theirs", "delivered": None, "opted_out": None},
}
#: Words other systems use for the same dispositions (lower-case, spaces as _).
OUTCOME_ALIASES = {
    "rpc": "right_party", "right_party_contact": "right_party", "wrong_number": "wrong_party",
    "wpc": "wrong_party", "wrong_party_contact": "wrong_party", "disco": "disconnected",
    "not_in_service": "disconnected", "na": "no_answer", "no_answer_": "no_answer",
    "vm": "voicemail", "left_message": "voicemail", "rts": "returned_mail",
    "return_to_sender": "returned_mail", "undeliverable": "returned_mail",
    "bounce": "bounced", "hard_bounce": "bounced", "unsubscribed": "opted_out",
}
CHANNEL_ALIASES = {"mail": "address", "letter": "address", "postal": "address",
                   "tel": "phone", "telephone": "phone", "call": "phone", "e_mail": "email"}
#: Longest free text kept from a note.
MAX_NOTE = 500


@dataclass(frozen=True)
class Outcome:
    """One attempt as stored: the value as it stands for (``value_key``) and its day."""

    account_id: str
    channel: str
    value: str
    value_key: str
    outcome: str
    date: date
    user_id: str | None = None
    note: str | None = None

    @property
    def verdict(self) -> str | None:
        return OUTCOMES[self.channel][self.outcome]

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "channel": self.channel, "value": self.value,
                "outcome": self.outcome, "date": self.date.isoformat(),
                "user": self.user_id, "note": self.note}


def contact_value(channel: str, text: str) -> tuple[str, str] | None:
    """(value as tracer writes it, what it stands for) of a contact as it was used; None
    when it cannot be read.  A number that is not a valid US number is kept by its ten
    digits: it was still dialed, and may be on other records just as typed."""
    if channel == "phone":
        phone = normalize_phone(text)
        if phone.e164:
            return phone.e164, phone.e164
        digits = "".join(ch for ch in text if ch.isdigit())[-10:]
        return (digits, digits) if len(digits) == 10 else None
    if channel == "email":
        email = normalize_email(text).email
        return (email, email) if email else None
    address = normalize_address(text)
    key = address_identity(address.street, address.unit, address.zip5, address.city)
    return (address.one_line, key) if key and address.one_line else None


def _channel(text: str) -> str:
    word = text.strip().lower().replace(" ", "_").replace("-", "_")
    word = CHANNEL_ALIASES.get(word, word)
    if word not in OUTCOMES:
        raise RowError(f"unknown channel {text[:20]!r} (phone, address or email)")
    return word


def _outcome(channel: str, text: str) -> str:
    word = text.strip().lower().replace(" ", "_").replace("-", "_")
    word = OUTCOME_ALIASES.get(word, word)
    if word not in OUTCOMES[channel]:
        raise RowError(f"unknown {channel} outcome {text[:30]!r} "
                       f"({', '.join(OUTCOMES[channel])})")
    return word


def _day(text: str) -> date:
    parsed = parse_date(text.strip()[:10] if "T" in text else text)
    if parsed.value is None:
        raise RowError("unparseable date (need a day: 2024-03-01, 03/01/2024 or an ISO "
                       "date-time)")
    if parsed.value > date.today():
        raise RowError("date is in the future")
    return parsed.value


def _free_text(value: str, column: str, limit: int) -> str | None:
    value = value.strip()
    if not value:
        return None
    found = sensitive_in_text(value)
    if found:
        raise RowError(f"{column} seems to contain {found}; leave full SSNs and dates of "
                       "birth out")
    return value[:limit]


def clean_outcome(row: Mapping[str, str], account_exists) -> Outcome:
    """One row of FORMATS.md section 4, or a :class:`RowError` saying what is wrong."""
    _check_shape(row)
    for column in REQUIRED:
        if not (row.get(column) or "").strip():
            raise RowError(f"missing required field {column}")
    account_id = row["account_id"].strip()
    if sensitive_in_text(account_id):
        raise RowError("account_id looks like an SSN")
    if not account_exists(account_id):
        raise RowError("unknown account_id (import the portfolio first)")
    channel = _channel(row["channel"])
    outcome = _outcome(channel, row["outcome"])
    value = contact_value(channel, row["value"])
    if value is None:
        raise RowError(f"unreadable {channel} value")
    return Outcome(account_id, channel, value[0], value[1], outcome, _day(row["date"]),
                   _free_text(row.get("user") or "", "user", 64),
                   _free_text(row.get("note") or "", "note", MAX_NOTE))


def import_outcomes(ws, path: str | Path, *, column_map: dict[str, str] | None = None,
                    actor: str | None = None, progress=None) -> ImportResult:
    """Import a contact outcomes file; bad rows go to ``FILE.rejects.csv``.  Importing
    the same rows again adds nothing (``unchanged``)."""
    _check_targets(column_map, OUTCOME_COLUMNS, "contact outcomes (FORMATS.md section 4)")
    source = open_csv(path, column_map)
    _check_sources(source, column_map)
    _check_columns(source, tuple((c,) for c in REQUIRED))
    rejects = RejectReport(source.path, source.columns, protected=ws.files())
    result = ImportResult()
    result.note_unused(source, OUTCOME_COLUMNS)
    now = now_iso()
    counts: dict[str, int] = {}
    try:
        with ws.unit_of_work(write=True) as uow:
            known = uow.accounts.exists
            for line, row, _raw in source.rows():
                try:
                    item = clean_outcome(row, known)
                except RowError as exc:
                    rejects.add(line, str(exc), row)
                    continue
                added = uow.outcomes.add({
                    "account_id": item.account_id, "channel": item.channel,
                    "value": item.value, "value_key": item.value_key,
                    "outcome": item.outcome, "date": item.date.isoformat(),
                    "user_id": item.user_id, "note": item.note, "imported_at": now})
                if added:
                    result.imported += 1
                    counts[item.outcome] = counts.get(item.outcome, 0) + 1
                else:
                    result.unchanged += 1
                if progress:
                    progress(1)
            result.rejected = rejects.count
            AuditTrail(ws).append("outcomes_imported", {
                "file": safe_file_name(source.path.name),
                "file_sha256": _file_sha256(source.path),
                "imported": result.imported, "unchanged": result.unchanged,
                "rejected": result.rejected, "by_outcome": dict(sorted(counts.items())),
            }, actor=actor)
    finally:
        source.close()
        rejects.close()
    result.rejects_path = rejects.path if rejects.count else None
    return result


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _row(r) -> Outcome:
    return Outcome(r[0], r[1], r[2], r[3], r[4], date.fromisoformat(r[5]), r[6], r[7])


def list_outcomes(ws, account_id: str) -> list[Outcome]:
    """The account's outcomes, newest first."""
    with ws.unit_of_work() as uow:
        if not uow.accounts.exists(account_id):
            raise InputError(f"no account {account_id!r}")
        return [_row(r) for r in uow.outcomes.of_account(account_id)]


def outcomes_for(ws, values: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Outcome]]:
    """Every outcome of each (channel, value_key), on any account, oldest first."""
    out: dict[tuple[str, str], list[Outcome]] = {}
    with ws.unit_of_work() as uow:
        rows = uow.outcomes.for_values(sorted(set(values)))
    for r in rows:
        item = _row(r)
        out.setdefault((item.channel, item.value_key), []).append(item)
    return out


def same_debtor_accounts(ws, debtor, account_ids: set[str]) -> set[str]:
    """Which of ``account_ids`` name the same debtor as ``debtor`` (features of an
    account): the same first name (nickname root) and surname, and no DOB or SSN last-4
    that differs.  A debt re-placed under a new account number is one person's."""
    from .matching.features import features_of
    out = set()
    with ws.unit_of_work() as uow:
        accounts = uow.accounts.by_ids(sorted(account_ids))
    names = ("account_id", "first_name", "middle_name", "last_name", "suffix", "dob",
             "ssn_last4")
    for account in accounts:
        other = features_of({n: account[n] for n in names}, key="other", source="account")
        same_name = ((other.first_root or other.first) == (debtor.first_root or debtor.first)
                     and other.last_key == debtor.last_key and other.last_key)
        dob_ok = not (other.dob and debtor.dob and other.dob != debtor.dob)
        ssn_ok = not (other.ssn_last4 and debtor.ssn_last4
                      and other.ssn_last4 != debtor.ssn_last4)
        if same_name and dob_ok and ssn_ok and (other.dob or other.ssn_last4):
            out.add(account.account_id)
    return out


def outcomes_seen(ws) -> int:
    """The newest outcome's id (0 when none): what a calibration has learned from."""
    with ws.unit_of_work() as uow:
        return uow.outcomes.newest_id()
