"""The batch wizard: upload a file of accounts, map its account column on a preview,
start the batch under the session's purpose, watch it run, download what it refused and
what it found.

A batch is started by :meth:`Session.start_uploaded_batch` (the start-batch rule, the
batch's justification, its audit) and run in a thread of the server with its own
workspace connection, exactly as `tracer batch` runs it: every lookup is decided and
logged before any source is asked, and one the server never finished is picked up by
`tracer batch resume`.  The progress fragment is polled by htmx while it runs."""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse

from starlette.formparsers import MultiPartParser

from ..app import Session
from ..batch_upload import MAX_UPLOAD
from ..errors import InputError
from ..privacy import mask_text
from ..workspace import open_workspace
from .identity import Identity, identity, session
from .pages import _day, page, see
from .render import render

router = APIRouter(include_in_schema=False)
#: An uploaded file stays in memory while the request is parsed (Starlette would spool
#: one over 1 MB to a temporary file in clear: it may be a placement file with DOBs);
#: tracer keeps it sealed from there on (tracer.batch_upload).
MultiPartParser.spool_max_size = MAX_UPLOAD + (1 << 20)
log = logging.getLogger("tracer.web")
RUNNING: dict[str, threading.Thread] = {}


@router.get("/batches")
def batches_page(request: Request, who: Identity = Depends(identity),
                 s: Session = Depends(session)):
    return page(request, who, "batches.html", {"batches": s.batches()})


@router.post("/batches/upload")
def upload(request: Request, file: UploadFile = File(...), who: Identity = Depends(identity),
           s: Session = Depends(session)):
    upload_id = s.keep_batch_upload(file.file)
    return see(f"/batches/upload/{upload_id}")


@router.get("/batches/upload/{upload_id}")
def mapping(request: Request, upload_id: str, who: Identity = Depends(identity),
            s: Session = Depends(session)):
    found = s.batch_upload_preview(upload_id)
    return page(request, who, "batch_upload.html", {"upload_id": upload_id, **found})


@router.post("/batches/upload/{upload_id}/start")
def start(request: Request, upload_id: str, column: int = Form(...), reason: str = Form(""),
          as_of: str = Form(""), attach_above: str = Form(""),
          who: Identity = Depends(identity), s: Session = Depends(session)):
    if not who.purpose:
        return see("/purpose")
    threshold = _threshold(attach_above)
    batch_id, _selection = s.start_uploaded_batch(upload_id, column, purpose=who.purpose,
                                                  reason=reason, as_of=_day(as_of),
                                                  attach_above=threshold)
    run_in_background(request.app.state.db, batch_id, who)
    return see(f"/batches/{batch_id}")


def _threshold(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError("attach above is a confidence between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise InputError("attach above is a confidence between 0 and 1")
    return value


def run_in_background(db: str, batch_id: str, who: Identity) -> None:
    """The batch in a thread with its own workspace connection; its entries say how
    the user who started it was proven."""
    def work() -> None:
        ws = open_workspace(db)
        ws.actor_auth = who.via
        try:
            Session(ws, who.user_id).run_batch(batch_id)
        except Exception as exc:           # the batch is left resumable; say why, masked
            log.warning("batch %s stopped: %s", batch_id, mask_text(str(exc)))
        finally:
            ws.close()
            RUNNING.pop(batch_id, None)
    thread = threading.Thread(target=work, name=f"batch-{batch_id}", daemon=True)
    RUNNING[batch_id] = thread
    thread.start()


@router.get("/batches/{batch_id}")
def batch_page(request: Request, batch_id: str, who: Identity = Depends(identity),
               s: Session = Depends(session)):
    return page(request, who, "batch.html", _progress(request, s, batch_id))


@router.get("/batches/{batch_id}/progress")
def progress(request: Request, batch_id: str, s: Session = Depends(session)):
    return render(request, "_batch_progress.html", _progress(request, s, batch_id))


def _progress(request: Request, s: Session, batch_id: str) -> dict:
    summary = s.batch_summary(batch_id)
    return {"s": summary, "running": summary["status"] == "running",
            "has_rejects": s.batch_rejects(batch_id) is not None,
            "percent": int(100 * summary["done"] / summary["total"]) if summary["total"] else 0}


@router.get("/batches/{batch_id}/rejects")
def rejects(request: Request, batch_id: str, s: Session = Depends(session)):
    path = s.batch_rejects(batch_id)
    if path is None:
        raise InputError(f"batch {batch_id} refused no rows of its file")
    return FileResponse(path, media_type="text/csv",
                        filename=f"{batch_id}.rejects.csv")


@router.get("/batches/{batch_id}/export")
def export(batch_id: str, s: Session = Depends(session)):
    """The contacts the batch found (FORMATS.md section 3), as the user may export them
    now: `tracer export --batch` run for the browser, audited by the library."""
    s.batch_summary(batch_id)
    folder = Path(tempfile.mkdtemp(prefix="tracer-export-"))
    out = folder / f"{batch_id}.contacts.csv"
    try:
        s.export_contacts(out, batch_id=batch_id)
        data = out.read_bytes()
    finally:
        out.unlink(missing_ok=True)
        folder.rmdir()
    return StreamingResponse(iter([data]), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{batch_id}.contacts.csv"'})
