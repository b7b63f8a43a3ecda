"""The reviewer's pages: the audit console (filters, paging), one lookup's whole trail,
a reproducible sample, stats with charts, the export, the chain's status.  Who may read
them is decided by tracer.consent.review_desk (an audited denial for anyone else)."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from ..app import Session
from ..errors import InputError
from .charts import denial_bars, weekly_columns
from .identity import Identity, identity, session
from .pages import page

router = APIRouter(include_in_schema=False)
FILTERS = ("actor", "account", "purpose", "decision", "since", "until", "batch", "reviewed")
REVIEWED = {"": None, "yes": True, "no": False}


def filters_of(request: Request) -> tuple[dict[str, str], dict]:
    """The console's filters as typed (for the form) and as the library takes them."""
    typed = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    if typed["reviewed"] not in REVIEWED:
        raise InputError("reviewed is yes, no or empty")
    asked = {k: v for k, v in typed.items() if v and k != "reviewed"}
    if REVIEWED[typed["reviewed"]] is not None:
        asked["reviewed"] = REVIEWED[typed["reviewed"]]
    return typed, asked


def _query(typed: dict[str, str]) -> str:
    return urlencode({k: v for k, v in typed.items() if v})


@router.get("/review")
def console(request: Request, page_no: int = 1, who: Identity = Depends(identity),
            s: Session = Depends(session)):
    typed, asked = filters_of(request)
    found = s.review_lookups(page=page_no, **asked)
    return page(request, who, "review.html", {**found, "filters": typed,
                                              "query": _query(typed)})


@router.get("/review/sample")
def sample(request: Request, n: int = 20, seed: int = 1, who: Identity = Depends(identity),
           s: Session = Depends(session)):
    if not 1 <= n <= 1000:
        raise InputError("a sample is 1 to 1000 lookups")
    typed, asked = filters_of(request)
    rows = s.review_sample(n, seed, **asked)
    return page(request, who, "sample.html", {"rows": rows, "n": n, "seed": seed,
                                              "filters": typed, "query": _query(typed)})


@router.get("/review/stats")
def stats(request: Request, who: Identity = Depends(identity), s: Session = Depends(session)):
    typed, asked = filters_of(request)
    found = s.review_stats(**asked)
    charts = {"users": denial_bars(found["by_user"], title="denial rate by user",
                                   chart_id="chart-users"),
              "purposes": denial_bars(found["by_purpose"], title="denial rate by purpose",
                                      chart_id="chart-purposes"),
              "weeks": weekly_columns(found["weeks"], chart_id="chart-weeks")}
    return page(request, who, "stats.html", {"stats": found, "charts": charts,
                                             "filters": typed, "query": _query(typed)})


@router.get("/review/export")
def export(format: str = "csv", lookup: str = "", s: Session = Depends(session)):
    """The trail as a download, written to a temporary file first so the export is
    audited only once it is whole."""
    lookup_id = lookup.strip() or None
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+b")

    def write(chunks) -> None:
        for chunk in chunks:
            spool.write(chunk.encode("utf-8"))
    s.review_export(format, lookup_id=lookup_id, write=write)
    spool.seek(0)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"audit-{lookup_id or 'trail'}-{stamp}.{format}"
    media = "text/csv" if format == "csv" else "application/x-ndjson"

    def body():
        try:
            while chunk := spool.read(1 << 16):
                yield chunk
        finally:
            spool.close()
    return StreamingResponse(body(), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


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
