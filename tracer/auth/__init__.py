"""Who is at the keyboard, proven: passwords (argon2id), web sessions, API tokens and
login throttling for the team server (tracer serve).  The embedded CLI still takes a
claimed --user; every entry written under these credentials says ``password`` or
``token`` instead (Workspace.actor_auth)."""

from .credentials import (SignInRefused, Throttle, set_password, sign_in)
from .sessions import (WebSession, close_session, create_token, csrf_for, list_tokens,
                       open_session, revoke_token, session_for, set_session_purpose,
                       user_for_token)

__all__ = ["SignInRefused", "Throttle", "WebSession", "close_session", "create_token",
           "csrf_for", "list_tokens", "open_session", "revoke_token", "session_for",
           "set_password", "set_session_purpose", "sign_in", "user_for_token"]
