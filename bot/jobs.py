"""The periodic desk jobs as a background service of ``aftercare run``."""

from __future__ import annotations

import asyncio
import logging

from bot.app import Aftercare
from bot.loop import BackgroundLoop
from handoff.jobs import run_due
from handoff.views import JobReport

log = logging.getLogger(__name__)


class JobsService:
    """Runs :func:`handoff.jobs.run_due` every ``jobs.interval_s`` seconds next to the web app."""

    name = "jobs"

    def __init__(self, ac: Aftercare) -> None:
        self.ac = ac
        self.interval = max(1.0, ac.config.jobs.interval_s)
        self.last: JobReport | None = None
        self._background = BackgroundLoop(
            self._round, self.interval, name="aftercare-jobs", logger=log, failed="periodic jobs failed"
        )

    async def start(self) -> None:
        self._background.start()

    async def _round(self) -> None:
        self.last = await asyncio.to_thread(run_due, self.ac.handoff)
        if self.last.warnings or self.last.breaches or self.last.closed:
            log.info("jobs: %s", self.last)

    async def stop(self) -> None:
        await self._background.stop()
