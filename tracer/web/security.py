"""What every response carries and what the access log may say.

A strict CSP (scripts and styles only from this server, no inline script, no framing),
``no-store`` on everything but the vendored static files (pages show personal data),
and an access log that writes the path without its query string: paths hold only
account, lookup and attachment ids, never a name, address, SSN or date of birth."""

from __future__ import annotations

import logging
import time

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
access_log = logging.getLogger("tracer.web.access")


class SecurityHeaders:
    """Pure ASGI middleware: headers on every response, one access line per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        static = path.startswith("/static/")
        status = {"code": 0}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"cache-control" or static]
                headers += HEADERS
                headers.append((b"cache-control", b"public, max-age=3600" if static
                                else b"no-store"))
                if not static:
                    headers.append((b"pragma", b"no-cache"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # tracer's bug, not the visitor's: one masked line in the log; no traceback
            # (its messages could carry personal data), none to the browser either.
            from ..privacy import mask_text
            logging.getLogger("tracer.web").error(
                "unexpected %s on %s %s: %s", type(exc).__name__, scope.get("method"),
                path, mask_text(str(exc))[:300])
            if status["code"]:
                raise
            await send_with_headers({"type": "http.response.start", "status": 500,
                                     "headers": [(b"content-type", b"text/plain")]})
            await send_with_headers({"type": "http.response.body",
                                     "body": b"something failed on the server; it is logged"})
        finally:
            client = (scope.get("client") or ("-",))[0]
            access_log.info("%s %s %s %d %.0fms", client, scope.get("method"), path,
                            status["code"], (time.perf_counter() - started) * 1000)
