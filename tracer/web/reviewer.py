"""The reviewer's pages: the audit console (filters, paging), one lookup's whole trail,
the chain's status.  Who may read them is decided by tracer.consent.review_desk."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..app import Session
from .identity import Identity, identity, session
from .pages import page

router = APIRouter(include_in_schema=False)
FILTERS = ("actor", "account", "purpose", "decision", "since", "until")


@router.get("/review")
def console(request: Request, page_no: int = 1, who: Identity = Depends(identity),
            s: Session = Depends(session)):
    filters = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    found = s.review_lookups(page=page_no, **filters)
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return page(request, who, "review.html", {**found, "filters": filters, "query": query})


@router.get("/review/lookups/{lookup_id}")
def trail(request: Request, lookup_id: str, who: Identity = Depends(identity),
          s: Session = Depends(session)):
    entries = s.review_trail(lookup_id)
    return page(request, who, "trail.html", {"lookup_id": lookup_id, "entries": entries})


@router.post("/review/lookups/{lookup_id}/finding")
def finding(lookup_id: str, finding: str = Form(...), note: str = Form(""),
            s: Session = Depends(session)):
    s.review_finding(lookup_id, finding, note)
    return RedirectResponse(f"/review/lookups/{lookup_id}", status_code=303)


@router.get("/review/chain")
def chain(request: Request, who: Identity = Depends(identity), s: Session = Depends(session)):
    return page(request, who, "chain.html", {"status": s.chain_status()})
