"""Shared parts of the fake servers: an aiohttp app on a free port, and waiting for recorded calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web


class Recorder:
    """Calls seen by a fake server, with a way to wait (bounded) until one matches."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Condition()

    async def add(self, method: str, params: dict[str, Any]) -> None:
        async with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()

    def of(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == method]

    async def wait_for(
        self,
        method: str,
        pred: Callable[[dict[str, Any]], bool] = lambda _p: True,
        *,
        count: int = 1,
        timeout: float = 90.0,
    ) -> list[dict[str, Any]]:
        async def check() -> list[dict[str, Any]]:
            async with self._changed:
                while True:
                    found = [p for p in self.of(method) if pred(p)]
                    if len(found) >= count:
                        return found
                    await self._changed.wait()

        return await asyncio.wait_for(check(), timeout)


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters of a Bot API / Web API call: JSON body, or form fields whose values may be JSON."""
    if request.content_type == "application/json":
        body = await request.read()
        return json.loads(body) if body else {}
    form = await request.post()
    out: dict[str, Any] = {}
    for k, v in form.items():
        if not isinstance(v, str):
            out[k] = getattr(v, "filename", "file")
            continue
        try:
            out[k] = json.loads(v)
        except ValueError:
            out[k] = v
    out.update({k: v for k, v in request.query.items() if k not in out})
    return out


class Server:
    """An aiohttp application served on 127.0.0.1 at a free port."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class AppServer:
    """The project's ASGI app served by uvicorn on 127.0.0.1 in the test's event loop (lifespan included)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        )
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> str:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # readiness, not timing
            if self._task.done():
                self._task.result()
                raise RuntimeError("the app server stopped while starting")
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


async def eventually(check: Callable[[], Any], *, timeout: float = 90.0) -> Any:
    """Wait (bounded) until ``check()`` returns something truthy: for effects with no message to wait on."""

    async def loop() -> Any:
        while True:
            value = await asyncio.to_thread(check)
            if value:
                return value
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(loop(), timeout)
