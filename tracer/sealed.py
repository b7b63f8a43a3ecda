"""Dates of birth sealed at rest (DESIGN invariant 4: no full DOB in any column).

A full DOB is matching evidence (exact, transposed, one digit off), so it cannot be cut to
its year the way an SSN is cut to its last four: the workspace keeps it sealed instead,
``YYYY~<AES-SIV of the date>`` under a key derived from the workspace secret.  The year
stays readable (it is stored in clear for blocking anyway, and is what the audit and
``accounts show`` print); the date is opened only in memory, where matching needs it.

AES-SIV is deterministic: the same date seals to the same token under one workspace, so
"did the DOB change" and "do these two accounts share a DOB" still compare stored values.
Whoever holds the file *and* its key can open the dates, as they can test SSNs against the
keyed hash: the threat model of the embedded mode (docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

#: A bare year is not a full DOB and is stored as it is.
_YEAR = re.compile(r"\d{4}")
_SEALED = re.compile(r"(\d{4})~([A-Za-z0-9_-]{20,})")


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and _SEALED.fullmatch(value) is not None


class DobSeal:
    """Seal and open dates of birth with one workspace's key."""

    def __init__(self, secret: bytes):
        key = hmac.new(secret, b"tracer/dob-seal/v1", hashlib.sha512).digest()
        self._siv = AESSIV(key)

    def seal(self, value: str | None) -> str | None:
        """The stored form of a DOB: sealed when it is more than a year."""
        if not value or not isinstance(value, str) or _YEAR.fullmatch(value) \
                or is_sealed(value):
            return value
        token = self._siv.encrypt(value.encode("utf-8"), [b"dob"])
        return f"{value[:4]}~{base64.urlsafe_b64encode(token).decode('ascii').rstrip('=')}"

    def open(self, value: str | None) -> str | None:
        """The DOB a stored value stands for; None when it was sealed under another key."""
        if not is_sealed(value):
            return value
        body = value.split("~", 1)[1]
        try:
            token = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._siv.decrypt(token, [b"dob"]).decode("utf-8")
        except (InvalidTag, ValueError, UnicodeDecodeError):
            return None

    def open_row(self, row: dict) -> dict:
        """``row`` with its ``dob`` opened, for matching (a new dict; the row is not changed)."""
        if is_sealed(row.get("dob")):
            return {**row, "dob": self.open(row["dob"])}
        return row


class FileSeal:
    """Files a user hands the server to keep for a moment (a batch upload may be a whole
    placement file, DOBs and SSNs included) are kept sealed: AES-GCM under a key derived
    from the workspace secret, a fresh nonce per file, the file's purpose bound in."""

    def __init__(self, secret: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        key = hmac.new(secret, b"tracer/file-seal/v1", hashlib.sha256).digest()
        self._gcm = AESGCM(key)

    def seal(self, data: bytes, purpose: bytes) -> bytes:
        import os
        nonce = os.urandom(12)
        return nonce + self._gcm.encrypt(nonce, data, purpose)

    def open(self, sealed: bytes, purpose: bytes) -> bytes | None:
        """The bytes sealed, or None when they were sealed under another key, for another
        purpose, or changed since."""
        try:
            return self._gcm.decrypt(sealed[:12], sealed[12:], purpose)
        except (InvalidTag, ValueError):
            return None
