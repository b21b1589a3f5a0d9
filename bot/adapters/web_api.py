"""How the web chat's JSON API meets a request before its route does: one error shape, and a JSON body
taken whatever ``Content-Type`` the client sent.

- A ``POST`` to ``/api/...`` with a body is read as JSON whatever its ``Content-Type`` (``curl -d``
  sends ``application/x-www-form-urlencoded``, some clients ``text/plain`` or none): a valid JSON body is
  taken, anything else gets the 422 of invalid JSON.
- A call of the chat API that needs a key (:class:`ChatKeys`) is answered 401 without a known key before its
  body or query is read: a malformed body, a wrong content type or a bad query value never turns it into a
  422 (a body over the size limit is 413 first, by its length).
- Every error of ``/api/...`` is ``{"error": "..."}`` (a body that is not UTF-8 too, instead of the
  framework's ``{"detail": ...}``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from starlette.concurrency import run_in_threadpool
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


# where :class:`ChatKeys` leaves the customer whose key a request carries: ``request.scope["state"][KEY_HOLDER]``
KEY_HOLDER = "chat_customer"


class ChatKeys:
    """Pure ASGI middleware: a ``GET`` or ``POST`` to one of ``paths`` is let through only with the chat key of
    a customer, checked before anything of the request is read (a body or query the route would refuse as
    422 is refused 401 without a key). ``holder(authorization header) -> customer or the response to send``
    (401 without a known key, 503 with the database away) runs in a worker thread; the customer is left in
    the request's state under :data:`KEY_HOLDER`."""

    def __init__(self, app: ASGIApp, *, paths: Collection[str],
                 holder: Callable[[str], str | Response]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths or scope.get("method") not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        auth = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"").decode("latin-1")
        who = await run_in_threadpool(self.holder, auth)
        if isinstance(who, Response):
            await who(scope, receive, send)
            return
        scope.setdefault("state", {})[KEY_HOLDER] = who
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
