"""SLA clocks of tickets: due times from the priority's policy in the team's business hours, the pause
while a ticket waits on the customer, a ticket's compliance, and the periodic check that warns at
``warn_share`` of a target and records breaches (raising the priority). The calendars and policies
themselves are :mod:`handoff.sla` (plain data and arithmetic)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.alerts import AlertLog
from handoff.clock import as_utc, iso_utc
from handoff.context import DeskContext
from handoff.models import Ticket
from handoff.races import on_fresh_state
from handoff.sla import PRIORITIES, SlaPolicy, SlaView, met, raise_priority
from handoff.views import JobReport


class SlaClocks:
    """Starts, pauses, resumes and checks tickets' SLA clocks (changes land in the caller's session)."""

    def __init__(self, ctx: DeskContext, alerts: AlertLog) -> None:
        self.ctx = ctx
        self.alerts = alerts

    def set_dues(self, t: Ticket) -> None:
        """(Re)compute the first-response and resolution due times from the ticket's creation, its
        priority's policy and its team's calendar, pushed back by the business time it was paused
        (None for a priority without a policy)."""
        book = self.ctx.settings.sla
        pol = book.policy(t.priority)
        if pol is None:
            t.first_response_due = t.resolution_due = None
            return
        cal = book.calendar(t.team)
        paused = float(t.sla_paused_s or 0.0)
        t.first_response_due = cal.add(t.created_at, pol.first_response_minutes * 60 + paused)
        t.resolution_due = cal.add(t.created_at, pol.resolution_minutes * 60 + paused)

    def pause(self, t: Ticket) -> None:
        """Stop the clock now (the ticket waits on the customer); a paused clock stays paused."""
        if t.sla_paused_at is None:
            t.sla_paused_at = self.ctx.now()

    def resume(self, t: Ticket, *, since: datetime | None = None) -> float:
        """Add the business seconds since the pause (or since ``since`` when not paused: a reopened
        ticket's time spent resolved) to the paused total; returns the seconds added."""
        start = t.sla_paused_at or since
        if start is None:
            return 0.0
        gained = self.ctx.settings.sla.calendar(t.team).between(start, self.ctx.now())
        t.sla_paused_s = float(t.sla_paused_s or 0.0) + gained
        t.sla_paused_at = None
        return gained

    def restart(self, t: Ticket, *, since: datetime | None = None) -> float:
        """:meth:`resume`, then move the due times by the paused time; returns the seconds added."""
        gained = self.resume(t, since=since)
        self.set_dues(t)
        return gained

    def view(self, ref: str | int) -> SlaView:
        """The ticket's due times and compliance (due times are None while it waits on the customer)."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            now = self.ctx.now()
            book = self.ctx.settings.sla
            paused = t.sla_paused_at is not None
            paused_s = float(t.sla_paused_s or 0.0)
            if paused and t.sla_paused_at is not None:
                paused_s += book.calendar(t.team).between(t.sla_paused_at, now)
            return SlaView(
                team=t.team,
                policy=book.policy(t.priority),
                first_response_due=None if paused and not t.first_response_at else t.first_response_due,
                resolution_due=None if paused else t.resolution_due,
                first_response_at=t.first_response_at,
                resolved_at=t.resolved_at,
                paused=paused,
                paused_seconds=paused_s,
                first_response_met=met(t.first_response_at, t.first_response_due, now),
                resolution_met=met(
                    t.resolved_at if t.status in ("resolved", "closed") else None, t.resolution_due, now
                ),
            )

    def team_back_at(self, team: str) -> datetime | None:
        """When ``team``'s business hours start again, in the team's time zone, if it is outside them now
        (None: at work)."""
        cal = self.ctx.settings.sla.calendar(team)
        back = cal.opens_at(self.ctx.now())
        return back.astimezone(cal.tz) if back is not None else None

    @on_fresh_state
    def check(self) -> JobReport:
        """The periodic check: warn at ``warn_share`` of a target, record breaches as alerts and raise
        the priority (once per ticket and target; rows are locked on PostgreSQL so that two workers
        never flag the same ticket twice). Returns how many warnings and breaches were raised."""
        now = as_utc(self.ctx.now())
        warnings = breaches = 0
        with self.ctx.sessions() as s:
            rows = s.scalars(
                select(Ticket)
                .where(Ticket.status.in_(("new", "assigned")), Ticket.sla_paused_at.is_(None))
                .with_for_update(skip_locked=True)
            ).all()
            for t in rows:
                pol = self.ctx.settings.sla.policy(t.priority)
                if pol is None:
                    continue
                flags = list(t.sla_flags or [])
                w, b = self._check_ticket(s, t, pol, flags, now)
                warnings, breaches = warnings + w, breaches + b
                if flags != list(t.sla_flags or []):
                    t.sla_flags = flags
            s.commit()
        return JobReport(warnings=warnings, breaches=breaches)

    def _check_ticket(self, s: Session, t: Ticket, pol: SlaPolicy, flags: list[str], now: datetime) -> tuple[int, int]:
        """Warn or breach each undecided target of ``t``, adding to ``flags``; (warnings, breaches)."""
        book = self.ctx.settings.sla
        warnings = breaches = 0
        checks = [("resolution", pol.resolution_minutes, t.resolution_due)]
        if t.first_response_at is None:
            checks.insert(0, ("first_response", pol.first_response_minutes, t.first_response_due))
        for stage, minutes, due in checks:
            if due is None:
                continue
            name = stage.replace("_", " ")
            if now > as_utc(due) and f"{stage}:breach" not in flags:
                flags.append(f"{stage}:breach")
                breaches += 1
                raised = ""
                if self.ctx.settings.raise_priority_on_breach and t.priority != PRIORITIES[-1]:
                    before, t.priority = t.priority, raise_priority(t.priority)
                    raised = f"; priority {before} -> {t.priority}"
                    self.ctx.event(s, t.id, "sla", "priority", priority=t.priority, previous=before,
                                   reason=f"{name} SLA breached")
                self.ctx.event(s, t.id, "sla", "sla_breach", stage=stage, due=iso_utc(due))
                self.alerts.add(s, "sla_breach", "critical",
                                f"{t.public_id}: {name} target missed (due {due:%Y-%m-%d %H:%M} UTC){raised}",
                                ticket=t, stage=stage, due=iso_utc(due))
            elif f"{stage}:warn" not in flags and f"{stage}:breach" not in flags:
                warn_at = book.calendar(t.team).add(
                    t.created_at, minutes * 60 * book.warn_share + float(t.sla_paused_s or 0))
                if now >= as_utc(warn_at):
                    flags.append(f"{stage}:warn")
                    warnings += 1
                    self.ctx.event(s, t.id, "sla", "sla_warning", stage=stage, due=iso_utc(due))
                    self.alerts.add(s, "sla_warning", "warning",
                                    f"{t.public_id}: {name} due {due:%Y-%m-%d %H:%M} UTC "
                                    f"({int(book.warn_share * 100)}% of the target used)",
                                    ticket=t, stage=stage, due=iso_utc(due))
        return warnings, breaches
