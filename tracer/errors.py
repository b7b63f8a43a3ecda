"""Every error tracer raises on purpose.

::

    TracerError
    ├── WorkspaceError      the SQLite file or its secret is missing, corrupt or too new
    ├── InputError          a file, option or value a user gave cannot be used
    │   └── ConfigError     a TOML file under config/ is malformed (names file and line)
    ├── ConsentDenied       the gate denied a lookup (carries the Decision)
    ├── AccessDenied        the authorization policy refused an action (carries the Verdict)
    ├── SourceError         one source failed; the lookup goes on with the others
    ├── LookupFailed        a lookup failed after its decision; it is recorded `failed`
    └── AuditIntegrityError the audit chain does not verify (names the first bad entry)

Messages never contain a full SSN or a full date of birth.
"""

from __future__ import annotations


class TracerError(Exception):
    """Base class: the CLI prints these as one clear line instead of a traceback."""

    exit_code = 1


class WorkspaceError(TracerError):
    pass


class InputError(TracerError):
    exit_code = 2


class ConfigError(InputError):
    pass


class ConsentDenied(TracerError):
    exit_code = 3

    def __init__(self, message: str, decision=None):
        super().__init__(message)
        self.decision = decision


class AccessDenied(TracerError):
    """An action on an account (or a command) that the authorization policy refused;
    the refusal is already in the audit trail when this is raised."""

    exit_code = 2

    def __init__(self, message: str, verdict=None):
        super().__init__(message)
        self.verdict = verdict


class SourceError(TracerError):
    def __init__(self, source: str, message: str, *, retryable: bool = False):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.retryable = retryable


class LookupFailed(TracerError):
    """A lookup failed after its decision was committed: it ends ``failed`` with a
    ``lookup_failed`` audit entry, never half-done."""

    def __init__(self, lookup_id: str, message: str):
        super().__init__(message)
        self.lookup_id = lookup_id


class AuditIntegrityError(TracerError):
    def __init__(self, seq: int | None, message: str):
        super().__init__(message)
        self.seq = seq
