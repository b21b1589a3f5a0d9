"""The periodic jobs: SLA warnings and breaches, closing resolved tickets after a quiet period.

Run by the background service of ``aftercare run`` every ``jobs.interval_s`` seconds, or from cron
with ``aftercare jobs run-once``. Safe to run from several workers: each warning and breach is
flagged on the ticket once.
"""

from __future__ import annotations

from handoff.service import Handoff
from handoff.views import JobReport


def run_due(handoff: Handoff) -> JobReport:
    """One pass of every periodic job, at the time of the handoff's clock."""
    sla = handoff.check_sla()
    closed = handoff.auto_close()
    assigned = len(handoff.assign_backlog())
    unassigned = handoff.check_backlog()
    return JobReport(warnings=sla.warnings, breaches=sla.breaches, closed=closed, assigned=assigned,
                     unassigned=unassigned)
