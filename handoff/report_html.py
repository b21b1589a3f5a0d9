"""The report as one self-contained HTML file: inline CSS and inline SVG charts, nothing fetched."""

from __future__ import annotations

from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from handoff.reports import Count, Report


def bar_chart(items: list[Count], *, width: int = 520, bar_h: int = 20, color: str = "#3867d6") -> Markup:
    """Horizontal bars with labels and values."""
    if not items:
        return Markup('<p class="empty">no data</p>')
    top = max(c.n for c in items) or 1
    label_w, gap = 150, 6
    h = len(items) * (bar_h + gap)
    rows = []
    for i, c in enumerate(items):
        y = i * (bar_h + gap)
        w = max(1.0, (width - label_w - 50) * c.n / top)
        rows.append(
            f'<text x="{label_w - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end">'
            f"{escape(c.key[:24])}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" fill="{color}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.72:.1f}">{c.n}</text>'
        )
    return Markup(
        f'<svg role="img" viewBox="0 0 {width} {h}" width="{width}" height="{h}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12">{"".join(rows)}</svg>'
    )


def column_chart(
    points: list[tuple[str, float]],
    *,
    width: int = 620,
    height: int = 180,
    max_value: float | None = None,
    color: str = "#20bf6b",
    fmt: str = "{:g}",
    label_chars: int = 5,
) -> Markup:
    """Vertical columns over time (daily volume, weekly CSAT)."""
    if not points:
        return Markup('<p class="empty">no data</p>')
    top = max_value or max(v for _, v in points) or 1
    base, left = height - 30, 10
    step = (width - left * 2) / len(points)
    bw = max(2.0, step * 0.7)
    parts = [f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#999"/>']
    every = max(1, len(points) // 10)
    for i, (label, v) in enumerate(points):
        x = left + i * step + (step - bw) / 2
        bh = (base - 16) * v / top
        parts.append(
            f'<rect x="{x:.1f}" y="{base - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" fill="{color}">'
            f"<title>{escape(label)}: {fmt.format(v)}</title></rect>"
        )
        if v:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{base - bh - 3:.1f}" text-anchor="middle">'
                f"{fmt.format(v)}</text>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bw / 2:.1f}" y="{base + 16}" text-anchor="middle">'
                f"{escape(label[-label_chars:])}</text>"
            )
    return Markup(
        f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="11">{"".join(parts)}</svg>'
    )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None, unit: str = "") -> str:
    if x is None:
        return "–"
    if unit == "min" and x >= 120:
        return f"{x / 60:.1f} h"
    return f"{x:g} {unit}".strip()


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("handoff", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env


def charts_of(report: Report) -> dict[str, Markup]:
    """The report's inline SVG charts: volume by label, product, channel and day, CSAT by week, SLA
    compliance by day (share of tickets within every target, 0-100%), top problems."""
    return {
        "label": bar_chart(report.by_label),
        "product": bar_chart(report.by_product, color="#8854d0"),
        "channel": bar_chart(report.by_channel, color="#fa8231"),
        "daily": column_chart([(c.key, float(c.n)) for c in report.daily]),
        "csat": column_chart(
            [(w.week, w.average) for w in report.csat_weekly],
            max_value=5.0,
            color="#f7b731",
            fmt="{:.2f}",
            label_chars=8,
        ),
        "sla": column_chart(
            [(d.day, round(d.share * 100, 1)) for d in report.sla_daily if d.share is not None],
            max_value=100.0,
            color="#0fb9b1",
            fmt="{:g}%",
        ),
        "problems": bar_chart([Count(p.problem, p.tickets) for p in report.top_problems], color="#eb3b5a"),
    }


def render_body(report: Report) -> Markup:
    """The report's sections as an HTML fragment (no <html>, no styles): the console's Reports page
    shows exactly what ``aftercare report`` writes."""
    return Markup(_environment().get_template("report_body.html.j2").render(r=report, charts=charts_of(report)))


def render_html(report: Report, *, title: str = "Support desk report") -> str:
    """The whole report as one self-contained HTML page (inline CSS and SVG, nothing fetched)."""
    return _environment().get_template("report.html.j2").render(r=report, title=title, charts=charts_of(report))
