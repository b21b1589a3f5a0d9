"""How the web chat's JSON API meets a request before its route does: one error shape, and a JSON body
taken whatever ``Content-Type`` the client sent.

- A ``POST`` to ``/api/...`` with a body is read as JSON whatever its ``Content-Type`` (``curl -d``
  sends ``application/x-www-form-urlencoded``, some clients ``text/plain`` or none): a valid JSON body is
  taken, anything else gets the 422 of invalid JSON.
- So a chat call with a valid JSON body and no ``Authorization: Bearer`` gets the documented 401 whatever
  its ``Content-Type`` (a body too large is 413 and a malformed one 422 first, with the reason).
- Every error of ``/api/...`` is ``{"error": "..."}`` (a body that is not UTF-8 too, instead of the
  framework's ``{"detail": ...}``).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send


class ApiRequests:
    """Pure ASGI middleware for the chat API (see the module doc). Shapes: wraps an ASGI app; changes
    only ``/api/`` requests: the ``content-type`` header of a POST becomes ``application/json``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope.get("headers", [])]
        if scope.get("method") == "POST":
            kind = next((v for k, v in headers if k == b"content-type"), b"").split(b";")[0].strip().lower()
            if kind != b"application/json" and not kind.endswith(b"+json"):
                headers = [(k, v) for k, v in headers if k != b"content-type"]
                headers.append((b"content-type", b"application/json"))
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def api_error(request: Request, exc: HTTPException) -> Response | None:
    """``{"error": ...}`` with ``exc``'s status for a request to ``/api/...`` (None elsewhere: the
    framework's own answer stands). A body that could not be parsed names why: not UTF-8 JSON."""
    if not request.url.path.startswith("/api/"):
        return None
    reason = str(exc.detail)
    if exc.status_code == 400 and "parsing the body" in reason:
        reason = "the body could not be read: send JSON encoded as UTF-8"
    return JSONResponse({"error": reason}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
