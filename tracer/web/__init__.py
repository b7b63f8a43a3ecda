"""The team server (`tracer serve`): server-rendered pages and a JSON API over the same
library the CLI calls.  Route handlers parse, call the library, render: authorization is
the library's one policy, the audit is written by the library, and this package holds
no SQL and no role check (tests/test_web_architecture.py)."""

from .app import create_app

__all__ = ["create_app"]
