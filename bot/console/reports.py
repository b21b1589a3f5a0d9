"""The reports page's data: figures computed by ``handoff.reports`` (when the desk provides it),
turned into rows and inline SVG bar charts."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.app import Aftercare
from bot.feedback import answer_verdicts


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    w: float
    h: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    width: int = 640
    height: int = 180


@dataclass(frozen=True)
class ReportPage:
    available: bool
    figures: list[tuple[str, str]] = field(default_factory=list)  # (name, formatted value)
    charts: list[Chart] = field(default_factory=list)
    note: str = ""
    problems: list[tuple[str, str, int, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None


def bar_chart(title: str, points: list[tuple[str, float]], *, fmt: str = "{:g}", width: int = 640,
              height: int = 180) -> Chart:
    """Bars scaled into a ``width`` x ``height`` box (20 px at the bottom for labels)."""
    top = max((v for _, v in points), default=0.0) or 1.0
    n = max(len(points), 1)
    slot = width / n
    plot = height - 34
    step = max(1, -(-n // 10))  # at most about ten axis labels, so that they never overlap
    bar_w = min(slot * 0.7, 90.0)
    bars = []
    for i, (label, v) in enumerate(points):
        h = max(0.0, v) / top * plot
        bars.append(Bar(label=label if i % step == 0 or i == n - 1 and n <= 10 else "", value=v,
                        x=i * slot + (slot - bar_w) / 2, y=14 + plot - h, w=bar_w, h=h,
                        text=fmt.format(v) if v else ""))
    return Chart(title=title, bars=bars, width=width, height=height)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.0f}%"


def _mins(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f} min" if x < 120 else f"{x / 60:.1f} h"


def report_page(ac: Aftercare, *, days: int = 30) -> ReportPage:
    try:
        mod: Any = importlib.import_module("handoff.reports")
    except ImportError:
        return ReportPage(available=False, note="Report figures are not available in this version of the desk.")
    until = ac.handoff.now()
    since = until - timedelta(days=days)
    feedback = answer_verdicts(ac.sessions, since)
    r = mod.build_report(ac.sessions, since=since, until=until, feedback=feedback,
                         calendar=ac.handoff.desk.sla.calendar)
    d = r.deflection
    figures = [
        ("Tickets", str(r.tickets)),
        ("Bot answers", str(d.bot_answers)),
        ("Deflection", _pct(d.rate)),
        ("First reply (median)", _mins(r.first_response.median_min)),
        ("Resolution (median)", _mins(r.resolution.median_min)),
        ("Resolution (p90)", _mins(r.resolution.p90_min)),
        ("First reply, business hours (median)", _mins(r.first_response_business.median_min)),
        ("Resolution, business hours (median)", _mins(r.resolution_business.median_min)),
        ("SLA first reply met", _pct(r.sla_first_response.share)),
        ("SLA resolution met", _pct(r.sla_resolution.share)),
        ("CSAT", "–" if r.csat_average is None else f"{r.csat_average:.1f} / 5 ({r.csat_count})"),
        ("Open problems", str(sum(1 for p in r.top_problems if p.status == "open"))),
    ]
    charts = [bar_chart("Tickets per day", [(c.key[5:], float(c.n)) for c in r.daily[-31:]]),
              bar_chart("Tickets by label", [(c.key, float(c.n)) for c in r.by_label[:8]]),
              bar_chart("Tickets by channel", [(c.key, float(c.n)) for c in r.by_channel[:8]]),
              bar_chart("CSAT by week (average of 5)", [(w.week[-3:], w.average) for w in r.csat_weekly[-12:]],
                        fmt="{:.1f}"),
              bar_chart("Top problems (tickets)", [(p.problem, float(p.tickets)) for p in r.top_problems[:8]])]
    charts = [c for c in charts if c.bars]
    problems = [(p.problem, p.title, p.tickets, p.status, p.incident) for p in r.top_problems]
    return ReportPage(available=True, figures=figures, charts=charts, problems=problems, notes=list(r.notes),
                      since=since, until=until)
