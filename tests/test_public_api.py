"""The public front stays small and deliberate (as httpx pins its exports)."""

import tracer


def test_exported_members():
    assert sorted(tracer.__all__) == [
        "AuditIntegrityError", "ConfigError", "ConsentDenied", "ContactPoint", "Decision",
        "InputError", "LookupResult", "NotConfigured", "Record", "Session", "Source",
        "SourceError", "Tracer", "TracerError", "WorkspaceError", "hookimpl", "init_workspace",
        "open_workspace",
    ]
    for name in tracer.__all__:
        assert getattr(tracer, name) is not None
