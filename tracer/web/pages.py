"""The collector's pages: sign-in, the purpose for the session, the worklist, an
account, a trace and its results, accept / reject / undo, API tokens.

Every form posts and is answered with a redirect to the page that shows the outcome
(so a reload never repeats an action); htmx boosts links and forms into partial page
swaps and loads a contact's waterfall on demand."""

from __future__ import annotations

import secrets
from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..app import Session
from ..auth import SignInRefused, close_session, open_session, set_session_purpose, sign_in
from ..consent.fingerprint import rules_in_force
from ..errors import InputError
from .identity import (COOKIE, LOGIN_COOKIE, Identity, client_address, identity,
                       maybe_identity, session, workspace)
from .render import render

router = APIRouter(include_in_schema=False)


def see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def purposes() -> list:
    catalog = rules_in_force().catalog
    return sorted(catalog.purposes.values(), key=lambda p: p.code)


def purpose_title(code: str | None) -> str | None:
    found = rules_in_force().catalog.get(code or "") if code else None
    return f"{found.title} ({found.code})" if found else None


def page(request: Request, who: Identity, template: str, context: dict, **kw):
    return render(request, template, {"purpose_title": purpose_title(who.purpose),
                                      **context}, **kw)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


# -- signing in and out -------------------------------------------------------------------

@router.get("/")
def home(request: Request, who: Identity | None = Depends(maybe_identity)):
    if who is not None:
        return see("/worklist" if who.purpose else "/purpose")
    nonce = secrets.token_urlsafe(24)
    response = render(request, "signin.html", {"nonce": nonce, "error": None})
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=_secure(request), path="/")
    return response


@router.post("/signin")
def signin(request: Request, user: str = Form(""), password: str = Form(""),
           csrf_token: str = Form(""), ws=Depends(workspace)):
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        return render(request, "error.html", {"status": 403, "message":
                      "the sign-in form expired: reload the page and try again"},
                      status=403)
    address = client_address(request)
    try:
        account = sign_in(ws, user.strip(), password, address, request.app.state.throttle)
    except SignInRefused as exc:
        response = render(request, "signin.html", {"nonce": expected, "error": str(exc)},
                          status=401)
        return response
    secret = open_session(ws, account["id"], address)
    response = see("/purpose")
    response.set_cookie(COOKIE, secret, httponly=True, samesite="strict",
                        secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/signout")
def signout(who: Identity = Depends(identity), ws=Depends(workspace)):
    close_session(ws, who.secret, who.user_id)
    response = see("/")
    response.delete_cookie(COOKIE, path="/")
    return response


# -- the session's purpose ------------------------------------------------------------------

@router.get("/purpose")
def purpose_page(request: Request, who: Identity = Depends(identity)):
    return page(request, who, "purpose.html", {"purposes": purposes()})


@router.post("/purpose")
def choose_purpose(code: str = Form(...), who: Identity = Depends(identity),
                   ws=Depends(workspace)):
    if rules_in_force().catalog.get(code) is None:
        raise InputError(f"unknown purpose {code!r}: choose one from the catalog")
    set_session_purpose(ws, who.secret, code)
    return see("/worklist")


# -- worklist, account, trace -----------------------------------------------------------------

@router.get("/worklist")
def worklist_page(request: Request, status: str | None = None, unassigned: str = "",
                  who: Identity = Depends(identity), s: Session = Depends(session)):
    work = s.worklist(status=status or None, since=who.previous_visit,
                      unassigned=bool(unassigned))
    return page(request, who, "worklist.html", {"work": work, "status": status or "",
                                                "since": who.previous_visit,
                                                "unassigned": bool(unassigned)})


@router.get("/accounts/{account_id}")
def account_page(request: Request, account_id: str, who: Identity = Depends(identity),
                 s: Session = Depends(session)):
    activity = s.account_activity(account_id)
    return page(request, who, "account.html", {**activity, "today": date.today()})


@router.post("/accounts/{account_id}/trace")
async def trace(request: Request, account_id: str, reason: str = Form(""),
                as_of: str = Form(""), who: Identity = Depends(identity),
                s: Session = Depends(session)):
    if not who.purpose:
        return see("/purpose")
    day = _day(as_of)
    result = await run_in_threadpool(lambda: s.trace(account_id, purpose=who.purpose,
                                                     reason=reason, as_of=day))
    return see(f"/lookups/{result.lookup_id}")


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"as of needs a date such as 2026-11-01, got {text!r}") from None


@router.get("/accounts/{account_id}/graph")
def graph_page(request: Request, account_id: str, lookup: str = "",
               who: Identity = Depends(identity), s: Session = Depends(session)):
    from .graph_view import render_svg
    lookup_id, graph = s.graph_data(account_id, lookup_id=lookup.strip() or None)
    same = [e for e in graph["edges"] if e["kind"] == "same_person"]
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    return page(request, who, "graph.html", {
        "account_id": account_id, "lookup_id": lookup_id, "svg": render_svg(graph),
        "same": sorted(same, key=lambda e: -(e.get("probability") or 0)), "labels": labels,
        "counts": {k: sum(1 for n in graph["nodes"] if n["kind"] == k)
                   for k in ("record", "address", "phone", "email")}})


@router.get("/lookups/{lookup_id}")
def lookup_page(request: Request, lookup_id: str, who: Identity = Depends(identity),
                s: Session = Depends(session)):
    view = s.lookup_view(lookup_id)
    return page(request, who, "lookup.html", view)


@router.get("/lookups/{lookup_id}/waterfall/{kind}/{rank}")
def waterfall(request: Request, lookup_id: str, kind: str, rank: int,
              s: Session = Depends(session)):
    view = s.lookup_view(lookup_id)
    found = [c for c in view["contacts"] if c.kind == kind and c.rank == rank]
    if not found:
        raise InputError(f"lookup {lookup_id} has no contact {kind}:{rank}")
    return render(request, "_waterfall.html", {"contact": found[0]})


@router.post("/lookups/{lookup_id}/accept")
def accept(lookup_id: str, ref: str = Form(...), s: Session = Depends(session)):
    s.accept(lookup_id, ref)
    return see(f"/lookups/{lookup_id}")


@router.post("/lookups/{lookup_id}/reject")
def reject(lookup_id: str, ref: str = Form(...), note: str = Form(""),
           s: Session = Depends(session)):
    s.reject(lookup_id, ref, note=note)
    return see(f"/lookups/{lookup_id}")


@router.post("/attachments/{attachment_id}/undo")
def undo(attachment_id: int, s: Session = Depends(session)):
    made, _restored = s.undo(attachment_id)
    return see(f"/lookups/{made['lookup_id']}")


# -- the data team's view ----------------------------------------------------------------------

@router.get("/sources")
def sources_page(request: Request, who: Identity = Depends(identity),
                 s: Session = Depends(session)):
    return page(request, who, "sources.html", {"sources": s.sources_overview()})


@router.get("/imports")
def imports_page(request: Request, who: Identity = Depends(identity),
                 s: Session = Depends(session)):
    return page(request, who, "imports.html", {"imports": s.imports_history()})


# -- API tokens -------------------------------------------------------------------------------

@router.get("/tokens")
def tokens_page(request: Request, who: Identity = Depends(identity),
                s: Session = Depends(session)):
    return page(request, who, "tokens.html", {"tokens": s.tokens(), "new_token": None})


@router.post("/tokens")
def new_token(request: Request, label: str = Form(""), who: Identity = Depends(identity),
              s: Session = Depends(session)):
    token_id, token = s.create_token(label)
    return page(request, who, "tokens.html", {"tokens": s.tokens(), "new_token": token,
                                              "new_id": token_id})


@router.post("/tokens/{token_id}/revoke")
def revoke(token_id: str, s: Session = Depends(session)):
    s.revoke_token(token_id)
    return see("/tokens")
