"""The periodic jobs: SLA warnings and breaches, closing resolved tickets after a quiet period.

Run by the background service of ``aftercare run`` every ``jobs.interval_s`` seconds, or from cron
with ``aftercare jobs run-once``. Safe to run from several workers: each warning and breach is
flagged on the ticket once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from handoff.lifecycle import JobReport

if TYPE_CHECKING:
    from handoff.service import Handoff


def run_due(handoff: Handoff, now: datetime | None = None) -> JobReport:
    """One pass of every periodic job; ``now`` overrides the handoff's clock for this pass."""
    if now is not None:
        saved = handoff.now
        handoff.now = lambda: now
        try:
            return run_due(handoff)
        finally:
            handoff.now = saved
    sla = handoff.check_sla()
    closed = handoff.auto_close()
    return JobReport(warnings=sla.warnings, breaches=sla.breaches, closed=closed)
