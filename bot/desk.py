"""The desk as the bot layer sees it: resolving with the customer's notice and a draft solved case,
resolving a problem for every linked customer, and the periodic-jobs background service."""

from __future__ import annotations

import asyncio
import logging

from bot.app import Aftercare
from bot.loop import BackgroundLoop
from handoff.jobs import run_due
from handoff.views import JobReport, TicketView
from kb.service import CaseView

log = logging.getLogger(__name__)


def resolve_ticket(
    ac: Aftercare, ref: str, agent: str, resolution: str, *, propose: bool = True
) -> tuple[TicketView, CaseView | None]:
    """Resolve, leave the customer the 'resolved' notice, and propose a draft solved case (scrubbed)."""
    from bot.proposals import propose_from_ticket

    t = ac.handoff.get(ref)
    t = ac.handoff.resolve(ref, agent, resolution, notice=resolution_notice(ac, t.public_id, resolution))
    case = None
    if propose:
        try:
            case = propose_from_ticket(ac, t.public_id)
        except Exception:  # noqa: BLE001 - the resolution stands even when no draft can be made
            log.exception("no draft case proposed from %s", t.public_id)
    return t, case


def resolution_notice(ac: Aftercare, ticket_id: str, resolution: str) -> str:
    """What the customer is told on resolution, with the satisfaction question (every channel asks it;
    push channels add rating buttons, web chat and terminal take a typed 1-5)."""
    return ac.replies.render("resolved", ticket_id=ticket_id, resolution=resolution) + "\n\n" + ac.replies.render(
        "rate_ask"
    )


def resolve_problem(
    ac: Aftercare, ref: str, agent: str, resolution: str, *, propose: bool = True
) -> list[TicketView]:
    """Resolve a problem: every linked open ticket is resolved and its customer told in their channel.
    One draft solved case is proposed (from the first ticket), not one per customer."""
    from bot.proposals import propose_from_ticket

    done = ac.handoff.resolve_problem(
        ref, agent, resolution, notice=lambda t: resolution_notice(ac, t.public_id, resolution)
    )
    if propose and done:
        try:
            propose_from_ticket(ac, done[0].public_id)
        except Exception:  # noqa: BLE001 - the resolution stands even when no draft can be made
            log.exception("no draft case proposed from %s", done[0].public_id)
    return done


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
