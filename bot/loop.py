"""What a background service is (started with the web app, stopped in reverse order) and the loop most of
them run on. A leaf: imports nothing of the project, so every layer may use it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Service(Protocol):
    """A background service of ``aftercare run``: a channel, the outbox, the periodic jobs."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BackgroundLoop:
    """Runs ``step`` as an asyncio task, again ``interval`` seconds after each round ends (or as soon as
    :meth:`wake` is called), until :meth:`stop`. A round that raises is logged to ``logger`` with
    ``failed`` and the next round retries."""

    def __init__(
        self,
        step: Callable[[], Awaitable[object]],
        interval: float,
        *,
        name: str,
        logger: logging.Logger,
        failed: str,
    ) -> None:
        self.step = step
        self.interval = interval
        self.name = name
        self._log = logger
        self._failed = failed
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._loop(), name=self.name)

    def wake(self) -> None:
        """Run the next round now rather than after the interval (a no-op before :meth:`start`)."""
        if self._wake is not None:
            self._wake.set()

    async def _loop(self) -> None:
        assert self._wake is not None
        while True:
            try:
                await self.step()
            except Exception:  # noqa: BLE001 - the loop must survive a bad round (database away)
                self._log.exception(self._failed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

