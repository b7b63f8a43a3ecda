"""The JSON API under ``/api/``: what the pages do, for scripts (an API token) and for
htmx (the session plus its CSRF header).  Described at ``/openapi.json``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..app import Session
from .identity import Identity, identity, session

router = APIRouter(prefix="/api", tags=["api"])


class TraceRequest(BaseModel):
    account_id: str = Field(max_length=64)
    purpose: str | None = Field(None, max_length=64, description="a purpose code from the "
                                "catalog; default: the session's purpose")
    reason: str = Field(max_length=2000, description="why this account, now")
    as_of: date | None = None


class ContactRef(BaseModel):
    ref: str = Field(max_length=32, examples=["phone:1"])
    note: str = Field("", max_length=500)


class FindingRequest(BaseModel):
    finding: str = Field(examples=["ok", "issue"])
    note: str = Field(max_length=2000)


class TokenRequest(BaseModel):
    label: str = Field("script", max_length=80)


def _lookup_json(view: dict) -> dict:
    return {**view, "contacts": [c.to_dict() for c in view["contacts"]],
            "verdicts": [{"kind": k, "value": v, "verdict": x}
                         for (k, v), x in view["verdicts"].items()]}


@router.get("/me")
def me(who: Identity = Depends(identity)):
    return {"user": who.user_id, "role": who.user["role"], "auth": who.via,
            "purpose": who.purpose}


@router.get("/worklist")
def worklist(status: str | None = None, since: str | None = None, unassigned: bool = False,
             s: Session = Depends(session)):
    """``since`` (an ISO time) marks accounts changed after it ``new``; ``unassigned``
    adds the first unassigned accounts one may take."""
    return s.worklist(status=status, since=since, unassigned=unassigned)


@router.get("/accounts/{account_id}")
def account(account_id: str, s: Session = Depends(session)):
    return s.account_activity(account_id)


@router.get("/accounts/{account_id}/graph")
def graph(account_id: str, lookup: str | None = None, s: Session = Depends(session)):
    """The identity graph behind the account's latest allowed lookup (or ``lookup``):
    nodes and edges, identifiers masked; audited as an export."""
    lookup_id, found = s.graph_data(account_id, "json", lookup_id=lookup)
    return {"account_id": account_id, "lookup_id": lookup_id, **found}


@router.post("/trace")
async def trace(body: TraceRequest, who: Identity = Depends(identity),
                s: Session = Depends(session)):
    result = await run_in_threadpool(lambda: s.trace(
        body.account_id, purpose=body.purpose or who.purpose or "", reason=body.reason,
        as_of=body.as_of))
    return result.to_dict()


@router.get("/lookups/{lookup_id}")
def lookup(lookup_id: str, s: Session = Depends(session)):
    return _lookup_json(s.lookup_view(lookup_id))


@router.post("/lookups/{lookup_id}/accept")
def accept(lookup_id: str, body: ContactRef, s: Session = Depends(session)):
    return {"attachment_id": s.accept(lookup_id, body.ref, via="api")}


@router.post("/lookups/{lookup_id}/reject")
def reject(lookup_id: str, body: ContactRef, s: Session = Depends(session)):
    return {"judgement_id": s.reject(lookup_id, body.ref, note=body.note)}


@router.post("/attachments/{attachment_id}/undo")
def undo(attachment_id: int, s: Session = Depends(session)):
    return {"restored": s.undo(attachment_id)[1]}


@router.get("/audit/lookups")
def audit_lookups(actor: str | None = None, account: str | None = None,
                  purpose: str | None = None, decision: str | None = None,
                  since: str | None = None, until: str | None = None, page: int = 1,
                  s: Session = Depends(session)):
    return s.review_lookups(page=page, actor=actor, account=account, purpose=purpose,
                            decision=decision, since=since, until=until)


@router.get("/audit/lookups/{lookup_id}")
def audit_trail(lookup_id: str, s: Session = Depends(session)):
    return {"lookup_id": lookup_id, "entries": s.review_trail(lookup_id)}


@router.post("/audit/lookups/{lookup_id}/findings")
def audit_finding(lookup_id: str, body: FindingRequest, s: Session = Depends(session)):
    return {"seq": s.review_finding(lookup_id, body.finding, body.note)}


@router.get("/audit/chain")
def audit_chain(s: Session = Depends(session)):
    return s.chain_status()


@router.get("/sources")
def sources(since: str | None = None, s: Session = Depends(session)):
    return s.sources_overview(since=since)


@router.get("/imports")
def imports(s: Session = Depends(session)):
    """The newest imports, from the audit trail: file, counts, rows refused."""
    return s.imports_history()


@router.get("/batches")
def batches(s: Session = Depends(session)):
    return s.batches()


@router.get("/batches/{batch_id}")
def batch(batch_id: str, s: Session = Depends(session)):
    """A batch's progress and counts (as `tracer batch show --json`)."""
    return s.batch_summary(batch_id)


@router.post("/batches")
def batch_start(request: Request, file: UploadFile = File(...), column: int = Form(0),
                reason: str = Form(..., max_length=2000), purpose: str = Form(""),
                as_of: date | None = Form(None), attach_above: float | None = Form(None),
                who: Identity = Depends(identity), s: Session = Depends(session)):
    """Upload a file of accounts (multipart ``file``; ``column``: the 0-based column of
    the account id), start the batch under ``purpose`` (default: the session's) and run
    it on the server; poll ``GET /api/batches/{id}``."""
    from .batches import run_in_background
    upload_id = s.keep_batch_upload(file.file)
    batch_id, selection = s.start_uploaded_batch(upload_id, column,
                                                 purpose=purpose or who.purpose or "",
                                                 reason=reason, as_of=as_of,
                                                 attach_above=attach_above)
    run_in_background(request.app.state.db, batch_id, who)
    return {"batch_id": batch_id, "accounts": len(selection.account_ids),
            "rows": selection.rows, "rejected": selection.rejected}


@router.get("/tokens")
def tokens(s: Session = Depends(session)):
    return s.tokens()


@router.post("/tokens")
def token_create(body: TokenRequest, s: Session = Depends(session)):
    token_id, token = s.create_token(body.label)
    return {"token_id": token_id, "token": token, "note": "shown once; keep it secret"}


@router.delete("/tokens/{token_id}")
def token_revoke(token_id: str, s: Session = Depends(session)):
    s.revoke_token(token_id)
    return {"revoked": token_id}
