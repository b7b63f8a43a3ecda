"""The settings every decision is made under, and the audit entry when they change.

Each gate decision and each authorization verdict names the path and SHA-256 of the
policy, purposes and sources settings in force (their *fingerprint*).  The first command
run under settings that differ from the ones the workspace saw last writes a
``settings_changed`` entry (who ran it, the old and new digest of each file), so a
looser ``policy.toml`` swapped in through ``TRACER_CONFIG`` cannot go unseen::

    rules = rules_in_force()            # Policy, PurposeCatalog and their fingerprint
    note_settings(ws, "sam", rules.fingerprint)
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import config_path
from ..audit.trail import AuditTrail, now_iso

#: What each fingerprint entry names, and the file it is read from.
SETTINGS_FILES = {"policy": "policy.toml", "purposes": "purposes.toml",
                  "sources": "sources.toml"}

Fingerprint = dict[str, dict[str, str]]


@dataclass(frozen=True)
class RulesInForce:
    """The policy and purpose catalog parsed from exactly the bytes the fingerprint hashes."""

    policy: Any
    catalog: Any
    fingerprint: Fingerprint


_PARSED: dict[tuple, RulesInForce] = {}


def _read(name: str) -> tuple[str, str]:
    path = config_path(name)
    try:
        return str(path), path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_fingerprint() -> Fingerprint:
    """Path and SHA-256 of each settings file as it is on disk now."""
    out = {}
    for what, name in SETTINGS_FILES.items():
        path, text = _read(name)
        out[what] = {"path": path, "sha256": digest(text)}
    return out


def rules_in_force() -> RulesInForce:
    """Parse policy and purposes (cached by content), with the fingerprint of what was read."""
    from .policy import Policy
    from .purposes import parse_catalog

    texts = {what: _read(name) for what, name in SETTINGS_FILES.items()}
    fingerprint = {what: {"path": path, "sha256": digest(text)}
                   for what, (path, text) in texts.items()}
    key = tuple((v["path"], v["sha256"]) for v in fingerprint.values())
    cached = _PARSED.get(key)
    if cached is None:
        parsed = {}
        for what in ("policy", "purposes"):
            path, text = texts[what]
            try:
                parsed[what] = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
        cached = RulesInForce(
            Policy.from_dict(parsed["policy"], texts["policy"][0]),
            parse_catalog(parsed["purposes"], texts["purposes"][1], texts["purposes"][0]),
            fingerprint)
        _PARSED.clear()            # one set of settings in force per process at a time
        _PARSED[key] = cached
    return cached


def given_fingerprint(policy, catalog) -> Fingerprint:
    """For a policy or catalog handed over in code (tests, notebooks) rather than read
    from a file: a digest of its content, and a path saying so."""
    current = current_fingerprint()
    for what, obj in (("policy", policy), ("purposes", catalog)):
        if obj is not None:
            text = json.dumps(asdict(obj), sort_keys=True, default=_plain)
            current[what] = {"path": "(given in code)", "sha256": digest(text)}
    return current


def _plain(obj):
    return sorted(obj) if isinstance(obj, (set, frozenset)) else str(obj)


def note_settings(ws, actor: str | None, fingerprint: Fingerprint) -> bool:
    """Audit ``settings_changed`` when ``fingerprint`` differs from what the workspace saw
    last (or it saw none yet); returns whether an entry was written.  A cheap read first,
    then the check again under the write lock, so concurrent commands write one entry."""
    with ws.unit_of_work() as uow:
        if uow.settings_seen.all() == _flat(fingerprint):
            return False
    with ws.unit_of_work(write=True) as uow:
        seen = uow.settings_seen.all()
        if seen == _flat(fingerprint):
            return False
        changes = []
        for what, now in fingerprint.items():
            before = seen.get(what)
            if before != (now["path"], now["sha256"]):
                changes.append({"settings": what,
                                "old_path": before[0] if before else None,
                                "old_sha256": before[1] if before else None,
                                "new_path": now["path"], "new_sha256": now["sha256"]})
        AuditTrail(ws).append("settings_changed", {"changes": changes}, actor=actor)
        uow.settings_seen.save(_flat(fingerprint), seen_at=now_iso())
    return True


def _flat(fingerprint: Fingerprint) -> dict[str, tuple[str, str]]:
    return {what: (v["path"], v["sha256"]) for what, v in fingerprint.items()}
