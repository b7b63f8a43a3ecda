"""Jinja2 templates, autoescaped, from the package; every page gets who is signed in,
the session's purpose (shown on every page) and the CSRF token its forms carry."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

ENV = Environment(loader=PackageLoader("tracer.web", "templates"),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  trim_blocks=True, lstrip_blocks=True)
HTMX = "htmx-2.0.11.min.js"


def render(request, template: str, context: dict, *, status: int = 200) -> HTMLResponse:
    identity = getattr(request.state, "identity", None)
    page = {"identity": identity, "htmx": HTMX, "path": request.url.path, **context}
    page.setdefault("purpose_title", None)
    return HTMLResponse(ENV.get_template(template).render(page), status_code=status)
