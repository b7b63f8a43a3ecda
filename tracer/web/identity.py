"""Who sent a request, proven: a session cookie (``password``) or an API token
(``token``), and the CSRF check every state-changing request of a session must pass.

One workspace per request, opened here and closed when the response is sent: each
request has its own connection and so its own transactions, whatever thread serves
it.  The workspace's ``actor_auth`` is set to how the user was proven, so every audit
entry the library writes during the request says so."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Iterator

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..app import Session
from ..auth import csrf_for, session_for, user_for_token
from ..workspace import open_workspace

COOKIE = "tracer_session"
LOGIN_COOKIE = "tracer_signin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SignedOut(Exception):
    """No live session or token: pages go to the sign-in page, the API answers 401."""


class CsrfRefused(Exception):
    """A state-changing request of a session without its CSRF token: 403."""


@dataclass
class Identity:
    user: dict
    via: str                         # "password" (a session) or "token"
    secret: str | None = None        # the session cookie, for logout and the purpose
    purpose: str | None = None
    csrf: str = ""
    reviewer: bool = False           # offer the reviewer's pages (they check again)
    batcher: bool = False            # offer the batch pages (they check again)
    previous_visit: str | None = None  # the end of this user's previous session

    @property
    def user_id(self) -> str:
        return self.user["id"]


def workspace(request: Request) -> Iterator:
    ws = open_workspace(request.app.state.db)
    try:
        yield ws
    finally:
        ws.close()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def _find(ws, request: Request) -> Identity | None:
    found = _credentials(ws, request)
    if found is not None:
        acting = Session(ws, found.user_id)
        found.reviewer = acting.may_review()
        found.batcher = acting.may_start_batch()
    return found


def _credentials(ws, request: Request) -> Identity | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(ws, header[7:].strip())
        return Identity(user, "token") if user else None
    secret = request.cookies.get(COOKIE)
    live = session_for(ws, secret, idle=request.app.state.idle)
    if live is None:
        return None
    return Identity(live.user, "password", secret, live.purpose, csrf_for(ws, secret),
                    previous_visit=live.previous_visit)


async def identity(request: Request, ws=Depends(workspace)) -> Identity:
    found = await run_in_threadpool(_find, ws, request)
    if found is None:
        raise SignedOut()
    if found.via == "password" and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token")
        if sent is None and "form" in request.headers.get("content-type", ""):
            sent = (await request.form()).get("csrf_token")
        if not sent or not hmac.compare_digest(str(sent).encode(), found.csrf.encode()):
            raise CsrfRefused()
    ws.actor_auth = found.via
    request.state.identity = found
    return found


def maybe_identity(request: Request, ws=Depends(workspace)) -> Identity | None:
    """The identity on a page that also serves signed-out visitors (the sign-in page)."""
    return _find(ws, request)


def session(who: Identity = Depends(identity), ws=Depends(workspace)) -> Session:
    """The request's service-layer session, acting for the proven user."""
    return Session(ws, who.user_id)
