"""Background services that run next to the web app in ``aftercare run``: chat channels, the outbox,
periodic jobs. Each is started in order when the app starts and stopped in reverse when it stops."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.app import Aftercare

log = logging.getLogger(__name__)


class Service(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_services(ac: Aftercare) -> list[Service]:
    """The background services this configuration asks for (channels with tokens set, jobs)."""
    services: list[Service] = []
    if ac.config.jobs.enabled:
        from bot.desk import JobsService

        services.append(JobsService(ac))
    from bot.channels.services import channel_services

    services.extend(channel_services(ac))  # Telegram, Slack (tokens from the environment), outbox
    return services
