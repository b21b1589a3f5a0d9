"""The console's Reports page: the same report as ``aftercare report`` (one builder,
``handoff.reports.build_report``, and one rendering of its sections,
``handoff.report_html.render_body``), for the last N days up to now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from bot.app import Aftercare
from bot.feedback import answer_verdicts
from handoff.report_html import render_body
from handoff.reports import Report, build_report


@dataclass(frozen=True)
class ReportPage:
    """The report of the period ``since`` .. ``until`` (UTC) and its sections as HTML."""

    report: Report
    body: Markup
    since: datetime
    until: datetime


def build_console_report(ac: Aftercare, *, days: int = 30) -> Report:
    """The desk report of the last ``days`` days, built exactly as ``aftercare report --since Nd`` does."""
    until = ac.clock()
    since = until - timedelta(days=days)
    return build_report(ac.sessions, since=since, until=until, feedback=answer_verdicts(ac.sessions, since),
                        calendar=ac.handoff.desk.sla.calendar)


def report_page(ac: Aftercare, *, days: int = 30) -> ReportPage:
    """The Reports page's content for the last ``days`` days."""
    r = build_console_report(ac, days=days)
    return ReportPage(report=r, body=render_body(r), since=r.since, until=r.until)
