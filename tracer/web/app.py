"""The ASGI application: routes, static files, templates and how errors read.

A library error becomes a page (or JSON under ``/api/``) with its one-line message:
``AccessDenied`` 403 with the policy's reasons, ``InputError`` 400, a missing session
a redirect to the sign-in page (401 for the API), a missing CSRF token 403."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from ..auth import Throttle
from ..batch import BatchRefused
from ..auth.sessions import IDLE
from ..errors import AccessDenied, InputError, LookupFailed, TracerError
from ..privacy import mask_text
from .identity import CsrfRefused, SignedOut
from .render import render
from .security import SecurityHeaders

log = logging.getLogger("tracer.web")
STATIC = Path(__file__).with_name("static")
#: How `tracer serve --workers N` tells its worker processes which workspace to serve.
DB_VARIABLE = "TRACER_SERVE_DB"


def configure_logging() -> None:
    """The access log (method, path, status, time) and warnings on stderr, masked."""
    import sys

    from ..privacy import MaskingFilter
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    for name, level in (("tracer.web.access", logging.INFO), ("tracer.web", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def app_from_environment() -> FastAPI:
    """The app of one worker process of `tracer serve --workers N`."""
    import os
    configure_logging()
    return create_app(os.environ[DB_VARIABLE])


def create_app(db: str | Path, *, throttle: Throttle | None = None,
               idle: timedelta = IDLE) -> FastAPI:
    """The team server over the workspace at ``db`` (opened per request)."""
    from . import api, batches, pages, reviewer

    app = FastAPI(title="tracer", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="The JSON API of the tracer team server: everything the "
                              "pages do. Authenticate with `Authorization: Bearer <token>` "
                              "(make one on the Tokens page) or a session cookie plus an "
                              "`X-CSRF-Token` header on every state-changing request.")
    app.state.db = str(db)
    app.state.throttle = throttle or Throttle()
    app.state.idle = idle
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(reviewer.router)
    app.include_router(batches.router)
    app.include_router(api.router)
    app.add_middleware(SecurityHeaders)

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def failure(request: Request, status: int, message: str, reasons=()):
        message = mask_text(message)
        if wants_json(request):
            return JSONResponse({"error": message, "reasons": list(reasons)}, status)
        return render(request, "error.html", {"status": status, "message": message,
                                              "reasons": reasons}, status=status)

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, exc: SignedOut):
        if wants_json(request):
            return JSONResponse({"error": "sign in first (a session or an API token)"}, 401)
        return RedirectResponse("/", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused):
        return failure(request, 403, "this request lacks its CSRF token: reload the page "
                                     "and try again")

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, exc: AccessDenied):
        verdict = getattr(exc, "verdict", None)
        reasons = [r.to_dict() for r in verdict.reasons] if verdict else []
        return failure(request, 403, str(exc), reasons)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError):
        return failure(request, 400, str(exc))

    @app.exception_handler(BatchRefused)
    async def batch_refused(request: Request, exc: BatchRefused):
        return failure(request, 409, str(exc))

    @app.exception_handler(LookupFailed)
    async def lookup_failed(request: Request, exc: LookupFailed):
        return failure(request, 502, str(exc))

    @app.exception_handler(TracerError)
    async def tracer_error(request: Request, exc: TracerError):
        log.warning("request failed: %s", mask_text(str(exc)))
        return failure(request, 500, str(exc))

    return app
