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
- A body the route cannot take is 422 saying what is wrong in plain words (:func:`invalid_request`): "the body
  is not valid JSON: expecting value at line 1 column 1", "the body has no \"text\" field: send {\"text\": ...}".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from fastapi.exceptions import RequestValidationError
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


def _plain(error: dict[str, Any], body: Any) -> str:
    """One validation error of a request (pydantic's or the JSON decoder's, as FastAPI reports it) in plain
    words, naming the field or the place in ``body`` (the text of a body that is not JSON)."""
    loc = [str(x) for x in error.get("loc", ())]
    where = ".".join(loc[1:]) if loc[:1] == ["body"] else ".".join(loc)
    kind = str(error.get("type", ""))
    if kind == "json_invalid":
        said = str((error.get("ctx") or {}).get("error", "it cannot be read"))
        said = said[:1].lower() + said[1:]
        raw = tuple(error.get("loc", ()))
        pos = raw[-1] if raw and isinstance(raw[-1], int) else None  # the decoder's offset into the body
        if isinstance(body, str) and isinstance(pos, int):
            line = body.count("\n", 0, pos) + 1
            column = pos - (body.rfind("\n", 0, pos) + 1) + 1
            return f"the body is not valid JSON: {said} at line {line} column {column}"
        return f"the body is not valid JSON: {said}"
    if kind == "missing" and loc == ["body"]:
        return "the request has no body: send JSON such as {\"text\": \"...\"}"
    if kind == "missing":
        return f"the body has no \"{where}\" field: send it, as in {{\"{where}\": \"...\"}}"
    if kind in ("model_attributes_type", "dict_type") and where == "":
        return "the body must be a JSON object, such as {\"text\": \"...\"}"
    return f"{where or 'request'}: {error.get('msg', 'invalid')}"


def invalid_request(exc: RequestValidationError) -> Response:
    """422 for a request the route cannot take: ``{"error": the first problem in plain words, "detail": each
    problem's place, message and type}``; the offending input is left out (it may not even be encodable: a
    lone surrogate) and the body is ASCII-escaped JSON."""
    errors = list(exc.errors())
    details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
               for e in errors]
    reason = _plain(errors[0], getattr(exc, "body", None)) if errors else "invalid request"
    body = json.dumps({"error": reason, "detail": details}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")
