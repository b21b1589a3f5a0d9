"""The desk's report: volume, problems, response and resolution times, SLA compliance, CSAT, deflection.

:func:`build_report` returns a typed :class:`Report` (the CLI prints it as JSON or renders the HTML in
:mod:`handoff.report_html`; the web console can render the same object).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handoff.clock import as_utc
from handoff.desk_models import Problem
from handoff.models import Message, MessageKind, Satisfaction, Ticket, message_kind
from handoff.problems import problem_public_id
from handoff.sla import Calendar, met

HELPFUL = {True, "helped", "helpful", "yes", "up"}
NOT_HELPFUL = {False, "human", "not_helpful", "unhelpful", "no", "down"}


@dataclass(frozen=True)
class Count:
    key: str
    n: int


@dataclass(frozen=True)
class Durations:
    """Minutes from ticket creation to an event (wall clock, or business time of the ticket's team);
    None when nothing was measured."""

    count: int
    mean_min: float | None
    median_min: float | None
    p90_min: float | None

    @classmethod
    def of(cls, minutes: list[float]) -> Durations:
        if not minutes:
            return cls(0, None, None, None)
        return cls(
            len(minutes),
            round(statistics.fmean(minutes), 1),
            round(statistics.median(minutes), 1),
            round(float(np.percentile(minutes, 90)), 1),
        )


@dataclass(frozen=True)
class ProblemCount:
    problem: str
    title: str
    tickets: int
    status: str
    incident: bool


@dataclass(frozen=True)
class Compliance:
    met: int
    total: int

    @property
    def share(self) -> float | None:
        return round(self.met / self.total, 3) if self.total else None


@dataclass(frozen=True)
class DayCompliance:
    """Of the tickets created on ``day`` (YYYY-MM-DD) whose targets are decided, how many met all."""

    day: str
    met: int
    total: int

    @property
    def share(self) -> float | None:
        return round(self.met / self.total, 3) if self.total else None


@dataclass(frozen=True)
class WeekPoint:
    week: str  # ISO week, e.g. 2026-W48
    ratings: int
    average: float


@dataclass(frozen=True)
class Deflection:
    """Bot answers versus tickets: the share of help given without a person."""

    bot_answers: int
    escalations: int
    conversations: int  # conversations with a customer message in the period
    answered_without_person: int  # conversations the bot answered that opened no ticket in the period
    helpful: int  # answers the customer marked helpful
    not_helpful: int

    @property
    def rate(self) -> float | None:
        total = self.bot_answers + self.escalations
        return round(self.bot_answers / total, 3) if total else None


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime
    tickets: int
    by_label: list[Count]
    by_product: list[Count]
    by_channel: list[Count]
    by_status: list[Count]
    daily: list[Count]  # tickets created per day (YYYY-MM-DD)
    top_problems: list[ProblemCount]
    first_response: Durations
    resolution: Durations
    # the same in business minutes of each ticket's team calendar, time waiting on the customer left
    # out of the resolution: what the SLA targets count
    first_response_business: Durations
    resolution_business: Durations
    sla_first_response: Compliance
    sla_resolution: Compliance
    sla_tickets: Compliance  # tickets whose every decided target was met
    csat_average: float | None
    csat_count: int
    csat_weekly: list[WeekPoint]
    deflection: Deflection
    # the solved cases whose answers customers said did not help, most often first: what editors fix first
    not_helpful_cases: list[Count] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # SLA compliance of the tickets created each day (every day of the period, oldest first)
    sla_daily: list[DayCompliance] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["since"], d["until"] = self.since.isoformat(), self.until.isoformat()
        for key in ("sla_first_response", "sla_resolution", "sla_tickets"):
            d[key]["share"] = getattr(self, key).share
        for row, day in zip(d["sla_daily"], self.sla_daily, strict=True):
            row["share"] = day.share
        d["deflection"]["rate"] = self.deflection.rate
        return d


def _counts(values: list[str], *, empty: str = "(none)") -> list[Count]:
    c = Counter(v or empty for v in values)
    return [Count(k, n) for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]


def _minutes(a: datetime, b: datetime) -> float:
    return (as_utc(b) - as_utc(a)).total_seconds() / 60


def build_report(
    sessions: sessionmaker[Session],
    *,
    since: datetime,
    until: datetime,
    top: int = 10,
    feedback: Mapping[int, Any] | None = None,
    calendar: Callable[[str], Calendar] | None = None,
) -> Report:
    """Tickets created in [since, until); ratings and bot messages in the same period.

    ``calendar`` gives a team's business calendar (the SLA book's); without it the business-time
    figures are left empty.

    ``feedback`` maps a bot answer's message id to the customer's verdict on it ('helped' or 'human',
    from the channels' buttons); a ``helpful`` or ``feedback`` key in the message's meta counts too."""
    since, until = as_utc(since), as_utc(until)
    with sessions() as s:
        tickets = list(
            s.scalars(
                select(Ticket).where(
                    Ticket.created_at >= since, Ticket.created_at < until, Ticket.merged_into_id.is_(None)
                )
            )
        )
        frt = [_minutes(t.created_at, t.first_response_at) for t in tickets if t.first_response_at]
        res = [_minutes(t.created_at, t.resolved_at) for t in tickets if t.resolved_at]
        frt_biz: list[float] = []
        res_biz: list[float] = []
        if calendar is not None:
            for t in tickets:
                cal = calendar(t.team)
                if t.first_response_at:
                    frt_biz.append(cal.between(t.created_at, t.first_response_at) / 60)
                if t.resolved_at:
                    worked = cal.between(t.created_at, t.resolved_at) - float(t.sla_paused_s or 0.0)
                    res_biz.append(max(0.0, worked) / 60)
        fr_met = fr_total = rs_met = rs_total = ok_t = ok_total = 0
        day_met: Counter[str] = Counter()
        day_total: Counter[str] = Counter()
        for t in tickets:
            a = met(t.first_response_at, t.first_response_due, until)
            done = t.resolved_at if t.status in ("resolved", "closed") else None
            b = met(done, t.resolution_due, until)
            if a is not None:
                fr_total += 1
                fr_met += int(a)
            if b is not None:
                rs_total += 1
                rs_met += int(b)
            decided = [x for x in (a, b) if x is not None]
            if decided:
                ok_total += 1
                ok_t += int(all(decided))
                day = as_utc(t.created_at).date().isoformat()
                day_total[day] += 1
                day_met[day] += int(all(decided))
        per_problem = Counter(t.problem_id for t in tickets if t.problem_id is not None)
        problems = {p.id: p for p in s.scalars(select(Problem).where(Problem.id.in_(list(per_problem))))}
        top_problems = [
            ProblemCount(
                problem_public_id(pid),
                problems[pid].title[:200],
                n,
                problems[pid].status,
                problems[pid].incident_alerted,
            )
            for pid, n in per_problem.most_common(top)
            if pid in problems
        ]
        ratings = s.execute(
            select(Satisfaction.score, Satisfaction.at).where(
                Satisfaction.at >= since, Satisfaction.at < until
            )
        ).all()
        weekly: dict[str, list[int]] = {}
        for score, at in ratings:
            y, w, _ = as_utc(at).isocalendar()
            weekly.setdefault(f"{y}-W{w:02d}", []).append(int(score))
        bot_rows = s.execute(
            select(Message.id, Message.conversation_id, Message.meta).where(
                Message.author == "bot", Message.created_at >= since, Message.created_at < until
            )
        ).all()
        answers = [(mid, cid, m or {}) for mid, cid, m in bot_rows if message_kind(m) is MessageKind.ANSWER]
        given = feedback or {}
        verdicts = [given.get(mid, m.get("helpful", m.get("feedback"))) for mid, _, m in answers]
        answer_cases = [str(m.get("case_id") or "") for _, _, m in answers]
        customers = set(
            s.scalars(
                select(Message.conversation_id).where(
                    Message.author == "customer", Message.created_at >= since, Message.created_at < until
                )
            )
        )
        with_ticket = {t.conversation_id for t in tickets}
        answered = {cid for _, cid, _ in answers}
    days: Counter[str] = Counter(as_utc(t.created_at).date().isoformat() for t in tickets)
    first_day: date = since.date()
    span = min((until - since).days + 1, 400)
    day_keys = [
        (first_day + timedelta(days=i)).isoformat()
        for i in range(span)
        if first_day + timedelta(days=i) <= until.date()
    ]
    daily = [Count(k, days.get(k, 0)) for k in day_keys]
    scores = [int(r[0]) for r in ratings]
    return Report(
        since=since,
        until=until,
        tickets=len(tickets),
        by_label=_counts([t.label for t in tickets]),
        by_product=_counts([t.product for t in tickets]),
        by_channel=_counts([t.channel for t in tickets]),
        by_status=_counts([t.status for t in tickets]),
        daily=daily,
        top_problems=top_problems,
        first_response=Durations.of(frt),
        resolution=Durations.of(res),
        first_response_business=Durations.of(frt_biz),
        resolution_business=Durations.of(res_biz),
        sla_first_response=Compliance(fr_met, fr_total),
        sla_resolution=Compliance(rs_met, rs_total),
        sla_tickets=Compliance(ok_t, ok_total),
        sla_daily=[DayCompliance(k, day_met.get(k, 0), day_total.get(k, 0)) for k in day_keys],
        csat_average=round(statistics.fmean(scores), 2) if scores else None,
        csat_count=len(scores),
        csat_weekly=[WeekPoint(k, len(v), round(statistics.fmean(v), 2)) for k, v in sorted(weekly.items())],
        deflection=Deflection(
            bot_answers=len(answers),
            escalations=len(tickets),
            conversations=len(customers),
            answered_without_person=len(answered - with_ticket),
            helpful=sum(f in HELPFUL for f in verdicts if f is not None),
            not_helpful=sum(f in NOT_HELPFUL for f in verdicts if f is not None),
        ),
        not_helpful_cases=_counts([c for c, f in zip(answer_cases, verdicts, strict=True)
                                   if f is not None and f in NOT_HELPFUL and c]),
        notes=[
            "times are minutes from the ticket's creation, wall clock and in business hours of the ticket's "
            "team (time waiting on the customer left out of the resolution), as the SLA targets count",
            "merged duplicates are left out; SLA compliance counts targets decided by the end of the period",
        ],
    )
