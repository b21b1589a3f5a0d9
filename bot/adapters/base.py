"""The adapter seam: a channel starts, stops, and sends a Reply to one of its customers."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply


class Adapter(Protocol):
    channel: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, customer: str, reply: Reply) -> None: ...
