"""The adapter seam: what a push channel (Telegram, Slack) is to the rest of the bot.

A channel is a background service of ``aftercare run``: it starts (polling, Socket Mode or a webhook
registration), stops, and may answer HTTP routes on the web app (its webhook), which the host mounts
without knowing the platform. It delivers what the outbox hands it through the sinks it registers
with the outbox when it is built. Web chat and the terminal are not push channels: they answer in
the request and read later messages from the desk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from starlette.requests import Request
from starlette.responses import Response

Route = tuple[str, Callable[[Request], Awaitable[Response]]]


@runtime_checkable
class Channel(Protocol):
    """A push channel: ``name`` is its channel name in conversations ("telegram", "slack")."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def http_routes(self) -> list[Route]:
        """``(path, endpoint)`` pairs to mount as POST routes on the web app; empty when it needs none."""
        ...
