"""Checkpoints signed with Ed25519 by a key compliance holds outside the workspace.

The hash chain is unkeyed: whoever can write the workspace can rewrite entries and
recompute every hash after them.  A checkpoint states the head (sequence number and
hash) at one moment, signed with a private key that never sits beside the workspace;
``tracer audit verify --checkpoint FILE --public-key FILE`` later fails if the trail no
longer reaches that exact head, so any edit, insertion, deletion, reordering or
re-forged chain *before* the checkpoint is caught, even by someone who could write the
file.  Entries after the newest checkpoint are protected only by the chain.

    private, public = generate_keypair(Path("compliance.key"))
    data = sign_checkpoint(AuditTrail(ws), private)
    verify_signed_checkpoint(AuditTrail(ws), data, public)

The legacy checkpoint (``tracer audit checkpoint`` without ``--key``) is an HMAC under
the workspace secret, which sits beside the database: it catches a truncated tail, not a
writer who also reads the key file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

from ..errors import AuditIntegrityError, InputError
from ..outputs import (make_private_dir, open_private, refuse_open_permissions,
                       write_private_text)
from ..audit.trail import AuditTrail, canonical_json, now_iso

FORMAT = "tracer-checkpoint/2"
#: The environment variable naming compliance's private key: when set, every batch
#: ends with a signed checkpoint, and `tracer audit checkpoint` signs with it.
KEY_ENV = "TRACER_CHECKPOINT_KEY"
#: Where batches write their checkpoints (default: the private key's folder).
DIR_ENV = "TRACER_CHECKPOINT_DIR"
_SIGNED = ("format", "alg", "workspace", "seq", "hash", "ts", "key_id")


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its SHA-256."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_path_for(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def generate_keypair(private_path: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 private key (PEM, mode 0600, never overwriting a file) and
    its public key beside it (``FILE.pub``); returns both paths."""
    public_path = public_path_for(private_path)
    for path in (private_path, public_path):
        if path.exists():
            raise InputError(f"{path} exists: a key is never overwritten; choose another name")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    with open_private(private_path, exclusive=True) as fh:
        fh.write(pem)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    write_private_text(public_path, public_pem, exclusive=True)
    os.chmod(public_path, 0o644)          # a public key may be read by anyone
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Compliance's private key; refused when other users can read it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint key {path} does not exist (make one with "
                         "`tracer audit keygen --out FILE`)")
    refuse_open_permissions([path], "checkpoint key")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} is not an Ed25519 key (make one with `tracer audit keygen`)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read public key {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise InputError(f"{path} is not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path} is not an Ed25519 public key")
    return key


def _message(body: dict[str, Any]) -> bytes:
    return canonical_json({k: body.get(k) for k in _SIGNED}).encode()


def sign_checkpoint(trail: AuditTrail, key: Ed25519PrivateKey) -> dict[str, Any]:
    """A statement of the trail's head, signed with ``key``."""
    seq, head = trail.head()
    body = {"format": FORMAT, "alg": "ed25519", "workspace": trail.ws.path.name,
            "seq": seq, "hash": head, "ts": now_iso(), "key_id": key_id(key.public_key())}
    body["signature"] = base64.b64encode(key.sign(_message(body))).decode()
    return body


def is_signed(checkpoint: dict[str, Any]) -> bool:
    return isinstance(checkpoint, dict) and checkpoint.get("alg") == "ed25519"


def verify_signed_checkpoint(trail: AuditTrail, checkpoint: dict[str, Any],
                             public: Ed25519PublicKey) -> None:
    """The signature is compliance's, and the trail still reaches the signed head."""
    if not is_signed(checkpoint):
        raise AuditIntegrityError(None, "the checkpoint is not signed with an Ed25519 key "
                                        "(made without --key?)")
    try:
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        seq, head = int(checkpoint["seq"]), str(checkpoint["hash"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditIntegrityError(None, f"checkpoint is malformed: {exc}") from exc
    try:
        public.verify(signature, _message(checkpoint))
    except InvalidSignature:
        raise AuditIntegrityError(None, "checkpoint signature does not match the public key "
                                        f"(key {key_id(public)})") from None
    trail.check_head(seq, head)


def read_checkpoint(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a checkpoint (expected a JSON object)")
    return data


def configured_key() -> Path | None:
    """The private key named by ``$TRACER_CHECKPOINT_KEY``, if any."""
    value = os.environ.get(KEY_ENV, "").strip()
    return Path(value).expanduser() if value else None


def checkpoint_after(ws, label: str) -> Path | None:
    """When a key is configured, sign the head now and write it to
    ``$TRACER_CHECKPOINT_DIR`` (default: the key's folder) as
    ``<workspace>.<label>.<seq>.checkpoint.json``; returns the file, or None."""
    key_path = configured_key()
    if key_path is None:
        return None
    data = sign_checkpoint(AuditTrail(ws), load_private_key(key_path))
    folder = Path(os.environ.get(DIR_ENV, "").strip() or key_path.parent).expanduser()
    make_private_dir(folder)
    out = folder / f"{ws.path.name}.{label}.{data['seq']}.checkpoint.json"
    write_private_text(out, json.dumps(data, indent=2) + "\n")
    return out
