"""The service layer: every front end (the CLI today, a web server next) calls a
:class:`Session`, which does the authorization and writes the audit entries, so a
caller that skips the CLI skips neither."""

from .session import Session

__all__ = ["Session"]
