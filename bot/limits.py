"""Request body limits for every route of the web app, on the bytes actually received.

A ``Content-Length`` over the limit is refused before anything is read; a body sent without one
(chunked transfer encoding) or with a false one is counted as it arrives and refused the moment
it passes the limit, so a client cannot make a worker buffer more than the limit whatever it
declares. The refusal is HTTP 413 with a JSON reason; the route never sees the body.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit; Starlette answers it with 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {limit} bytes")
        self.limit = limit


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": f"request body larger than {limit} bytes"}, status_code=413,
                        headers={"Connection": "close"})


class BodyLimit:
    """Pure ASGI middleware: at most ``max_bytes`` of request body per request, on any route.

    Shapes: wraps an ASGI app; ``max_bytes`` is in bytes (0 turns the limit off). Errors: a body over
    the limit gives HTTP 413 ``{"error": "request body larger than N bytes"}``.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await JSONResponse({"error": "Content-Length is not a number"}, status_code=400)(
                        scope, receive, send)
                    return
                if declared > limit:
                    await too_large(limit)(scope, receive, send)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await too_large(limit)(scope, _empty, send)


async def _empty() -> dict[str, Any]:
    return {"type": "http.disconnect"}
