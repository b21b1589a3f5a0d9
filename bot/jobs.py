"""The periodic desk jobs as a background service of ``aftercare run``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import column, delete, table

from bot.app import Aftercare
from bot.console.models import LoginFailure
from bot.inbox import InboundUpdate
from bot.loop import BackgroundLoop
from bot.outbox.models import DeliveredPiece
from handoff.jobs import run_due
from handoff.models import UTCDateTime
from handoff.views import JobReport

log = logging.getLogger(__name__)

# The Slack adapter's seen event ids, named rather than imported: the jobs (and `aftercare jobs run-once`
# from cron) run without the Slack client libraries loaded; the adapter's model declares this table.
SLACK_SEEN_EVENTS = table("slack_seen_events", column("at", UTCDateTime()))


@dataclass(frozen=True)
class Pruned:
    """Rows deleted by one pruning round, per table (all older than ``jobs.retention_days``)."""

    failed_logins: int = 0
    seen_slack_events: int = 0
    platform_updates: int = 0  # processed (done or given-up) Telegram and Slack updates of the inbox
    idempotency_keys: int = 0

    def __str__(self) -> str:
        return (f"pruned {self.failed_logins} failed logins, {self.seen_slack_events} seen Slack events, "
                f"{self.platform_updates} processed platform updates, {self.idempotency_keys} idempotency records")


def prune_expired(ac: Aftercare) -> Pruned:
    """Delete what only grows and is needed for a while only: failed console logins, seen Slack event ids,
    processed inbox rows and message idempotency records older than ``jobs.retention_days``."""
    before = ac.clock() - timedelta(days=ac.config.jobs.retention_days)
    counts = []
    with ac.sessions() as s:
        for stmt in (delete(LoginFailure).where(LoginFailure.at < before),
                     delete(SLACK_SEEN_EVENTS).where(SLACK_SEEN_EVENTS.c.at < before),
                     delete(DeliveredPiece).where(DeliveredPiece.at < before),
                     delete(InboundUpdate).where(InboundUpdate.received_at < before,
                                                 InboundUpdate.status.in_(("done", "failed")))):
            counts.append(int(s.execute(stmt).rowcount or 0))  # type: ignore[attr-defined]
        s.commit()
    keys = ac.handoff.prune_keys(before)
    return Pruned(failed_logins=counts[0], seen_slack_events=counts[1], platform_updates=counts[3],
                  idempotency_keys=keys)


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
        pruned = await asyncio.to_thread(prune_expired, self.ac)
        if any((pruned.failed_logins, pruned.seen_slack_events, pruned.platform_updates, pruned.idempotency_keys)):
            log.info("jobs: %s", pruned)

    async def stop(self) -> None:
        await self._background.stop()
