"""tracer: skip tracing with a permissible-purpose gate and a tamper-evident audit trail.

The public API is small; everything else is internal and may change::

    from tracer import open_workspace, Session, Tracer
    ws = open_workspace("tracer.db")
    result = Tracer(ws).trace("ACC-1", user_id="alice", purpose="collect-debt",
                              reason="mail returned, need a current address")
    rows = Session(ws, "carol").audit_list(decision="deny")   # authorized, audited
"""

from .app import Session
from .errors import (AuditIntegrityError, ConfigError, ConsentDenied, InputError,
                     SourceError, TracerError, WorkspaceError)
from .lookup import LookupResult, Tracer
from .models import ContactPoint, Decision, Record
from .sources.base import NotConfigured, Source
from .sources.hookspecs import hookimpl
from .workspace import init_workspace, open_workspace

__all__ = [
    "AuditIntegrityError", "ConfigError", "ConsentDenied", "ContactPoint", "Decision",
    "InputError", "LookupResult", "NotConfigured", "Record", "Source", "Session",
    "SourceError", "Tracer", "TracerError", "WorkspaceError", "hookimpl", "init_workspace",
    "open_workspace",
]
