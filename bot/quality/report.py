"""The ``aftercare eval --html`` page: one self-contained file (inline SVG, inline CSS, no scripts
or remote assets) with the retrieval figures, the threshold sweep, the reliability diagram and the
confusion table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
W, H, PAD = 420, 300, 44


def _x(v: float) -> float:
    return PAD + v * (W - 2 * PAD)


def _y(v: float) -> float:
    return H - PAD - v * (H - 2 * PAD)


def _axes(xlabel: str, ylabel: str, *, x0: float = 0.0, x1: float = 1.0) -> list[str]:
    parts = [f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(0)}" class="axis"/>',
             f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(0)}" y2="{_y(1)}" class="axis"/>']
    for i in range(6):
        v = i / 5
        parts.append(f'<line x1="{_x(0)}" y1="{_y(v):.1f}" x2="{_x(1)}" y2="{_y(v):.1f}" class="grid"/>')
        parts.append(f'<text x="{_x(0) - 6}" y="{_y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        parts.append(f'<text x="{_x(v):.1f}" y="{_y(0) + 16}" text-anchor="middle">{x0 + v * (x1 - x0):.2f}</text>')
    parts.append(f'<text x="{W / 2}" y="{H - 6}" text-anchor="middle">{xlabel}</text>')
    parts.append(f'<text x="12" y="{H / 2}" text-anchor="middle" transform="rotate(-90 12 {H / 2})">{ylabel}</text>')
    return parts


def sweep_svg(sweep: Sequence[dict[str, float]], threshold: float | None) -> str:
    """Routing accuracy, wrong-answer rate and answer rate against the vote threshold."""
    if not sweep:
        return ""
    t0, t1 = sweep[0]["threshold"], sweep[-1]["threshold"]
    span = (t1 - t0) or 1.0
    parts = _axes("vote threshold", "rate", x0=t0, x1=t1)
    series = (("routing_accuracy", "acc", "routing accuracy"), ("wrong_answer_rate", "wrong", "wrong-answer rate"),
              ("answer_rate", "ans", "answer rate"))
    for i, (key, cls, name) in enumerate(series):
        pts = " ".join(f"{_x((p['threshold'] - t0) / span):.1f},{_y(p[key]):.1f}" for p in sweep)
        parts.append(f'<polyline points="{pts}" class="line {cls}"><title>{name}</title></polyline>')
        parts.append(f'<line x1="{W - 150}" y1="{20 + 16 * i}" x2="{W - 130}" y2="{20 + 16 * i}" class="line {cls}"/>'
                     f'<text x="{W - 125}" y="{24 + 16 * i}">{name}</text>')
    if threshold is not None and t0 <= threshold <= t1:
        x = _x((threshold - t0) / span)
        parts.append(f'<line x1="{x:.1f}" y1="{_y(0)}" x2="{x:.1f}" y2="{_y(1)}" class="mark"/>'
                     f'<text x="{x + 4:.1f}" y="{_y(1) + 12}">calibrated {threshold:.2f}</text>')
    return _svg(parts, "Threshold sweep")


def reliability_svg(bins: Sequence[dict[str, Any]]) -> str:
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration."""
    parts = _axes("vote share (confidence)", "accuracy")
    parts.append(f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" class="diag"/>')
    for b in bins:
        if not b["n"]:
            continue
        x, w = _x(b["lo"]), _x(b["hi"]) - _x(b["lo"])
        y = _y(b["accuracy"])
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{w - 2:.1f}" height="{_y(0) - y:.1f}" class="bar">'
                     f'<title>{b["lo"]:.1f}-{b["hi"]:.1f}: {b["n"]} answers, accuracy {b["accuracy"]:.2f}, '
                     f'confidence {b["confidence"]:.2f}</title></rect>')
    return _svg(parts, "Reliability diagram")


def _svg(parts: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
            f'aria-label="{title}">' + "".join(parts) + "</svg>")


def render_report(summary: dict[str, Any], *, source: str, now: datetime | None = None) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["j2", "html"]))
    headline = {k: v for k, v in summary.items() if not isinstance(v, dict | list)}
    return env.get_template("report.html.j2").render(
        source=source, generated=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"), headline=headline,
        summary=summary, sweep_svg=Markup(sweep_svg(summary.get("sweep", []), summary.get("vote_threshold"))),
        reliability_svg=Markup(reliability_svg(summary.get("calibration", {}).get("bins", []))),
    )


def write_report(summary: dict[str, Any], path: Path, *, source: str) -> None:
    path.write_text(render_report(summary, source=source), encoding="utf-8")
