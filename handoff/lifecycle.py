"""The desk around a ticket: waiting on the customer, reopen, close (by hand and after a quiet
period), reassign, priority, merge, SLA clocks, alerts, agents and round-robin assignment.

:class:`DeskOps` is mixed into :class:`handoff.service.Handoff`; it uses the Handoff's sessions,
clock (``self.now``), desk settings and ``_event`` (every change is an event: who, what, when).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from handoff.desk_models import Agent, Alert
from handoff.errors import HandoffError, TicketClosed
from handoff.models import OPEN_STATES, Message, Satisfaction, Ticket
from handoff.problems import ProblemOps
from handoff.sla import PRIORITIES, SlaView, _as_utc, met, raise_priority
from handoff.views import AgentView, AlertView, JobReport, TicketView

if TYPE_CHECKING:
    from handoff.settings import DeskSettings

# compare-and-set rounds of round-robin assignment before a ticket is left in the queue unassigned
ASSIGN_ATTEMPTS = 20


class DeskOps(ProblemOps):
    if TYPE_CHECKING:
        _sessions: sessionmaker[Session]
        now: Callable[[], datetime]
        desk: DeskSettings

        def _find(self, s: Session, ref: str | int) -> Ticket: ...
        def _event(self, s: Session, ticket_id: int, actor: str, kind: str, **data: Any) -> None: ...
        def get(self, ref: str | int) -> TicketView: ...

    # -- alerts ---------------------------------------------------------------------------------

    def _alert(
        self,
        s: Session,
        kind: str,
        severity: str,
        text: str,
        *,
        ticket: Ticket | None = None,
        problem_id: int | None = None,
        team: str = "",
        **data: Any,
    ) -> None:
        s.add(
            Alert(
                kind=kind,
                severity=severity,
                ticket_id=ticket.id if ticket else None,
                problem_id=problem_id,
                team=team or (ticket.team if ticket else ""),
                text=text,
                data=data,
                created_at=self.now(),
            )
        )

    def alerts(self, after_id: int = 0, *, limit: int = 200) -> list[AlertView]:
        """Alerts with id > ``after_id``, oldest first: surfaces poll with the last id they showed."""
        return self._alert_views(Alert.id > after_id, Alert.id.asc(), limit)

    def recent_alerts(self, limit: int = 20) -> list[AlertView]:
        """The newest ``limit`` alerts, newest first (the console shows them above the queue)."""
        return self._alert_views(None, Alert.id.desc(), limit)

    def alert(self, alert_id: int) -> AlertView | None:
        found = self._alert_views(Alert.id == alert_id, Alert.id.asc(), 1)
        return found[0] if found else None

    def _alert_views(self, where: Any, order: Any, limit: int) -> list[AlertView]:
        with self._sessions() as s:
            stmt = select(Alert, Ticket.public_id).outerjoin(Ticket, Ticket.id == Alert.ticket_id)
            if where is not None:
                stmt = stmt.where(where)
            rows = s.execute(stmt.order_by(order).limit(limit)).all()
            return [
                AlertView(
                    id=a.id,
                    kind=a.kind,
                    severity=a.severity,
                    ticket=pid,
                    problem_id=a.problem_id,
                    team=a.team,
                    text=a.text,
                    created_at=a.created_at,
                    data=dict(a.data or {}),
                )
                for a, pid in rows
            ]

    # -- SLA --------------------------------------------------------------------------------------

    def _set_dues(self, s: Session, t: Ticket) -> None:
        book = self.desk.sla
        pol = book.policy(t.priority)
        if pol is None:
            t.first_response_due = t.resolution_due = None
            return
        cal = book.calendar(t.team)
        paused = float(t.sla_paused_s or 0.0)
        t.first_response_due = cal.add(t.created_at, pol.first_response_minutes * 60 + paused)
        t.resolution_due = cal.add(t.created_at, pol.resolution_minutes * 60 + paused)

    def _pause(self, t: Ticket) -> None:
        if t.sla_paused_at is None:
            t.sla_paused_at = self.now()

    def _resume(self, t: Ticket, *, since: datetime | None = None) -> float:
        """Add the business time since the pause (or ``since``) to the paused total; return it."""
        start = t.sla_paused_at or since
        if start is None:
            return 0.0
        gained = self.desk.sla.calendar(t.team).between(start, self.now())
        t.sla_paused_s = float(t.sla_paused_s or 0.0) + gained
        t.sla_paused_at = None
        return gained

    def sla(self, ref: str | int) -> SlaView:
        """The ticket's due times and compliance (due times are None while it waits on the customer)."""
        with self._sessions() as s:
            t = self._find(s, ref)
            now = self.now()
            paused = t.sla_paused_at is not None
            paused_s = float(t.sla_paused_s or 0.0)
            if paused and t.sla_paused_at is not None:
                paused_s += self.desk.sla.calendar(t.team).between(t.sla_paused_at, now)
            return SlaView(
                team=t.team,
                policy=self.desk.sla.policy(t.priority),
                first_response_due=None if paused and not t.first_response_at else _utc(t.first_response_due),
                resolution_due=None if paused else _utc(t.resolution_due),
                first_response_at=_utc(t.first_response_at),
                resolved_at=_utc(t.resolved_at),
                paused=paused,
                paused_seconds=paused_s,
                first_response_met=met(t.first_response_at, t.first_response_due, now),
                resolution_met=met(
                    t.resolved_at if t.status in ("resolved", "closed") else None, t.resolution_due, now
                ),
            )

    # -- hooks called by Handoff ------------------------------------------------------------------

    def _on_created(self, s: Session, t: Ticket) -> dict[str, Any]:
        """Route to a team, start the SLA clocks, flag critical tickets; data for the 'created' event."""
        d = self.desk
        critical = t.priority in d.critical_priorities or t.impact in d.critical_impacts
        t.team = d.response_team if critical and d.response_team else d.route(t.label, t.product)
        t.sla_flags = []
        self._set_dues(s, t)
        if critical:
            why = "urgent" if t.priority in d.critical_priorities else "wide impact"
            self._alert(
                s,
                "critical",
                "critical",
                f"{t.public_id} ({why}, {t.label}): {t.subject[:200]}",
                ticket=t,
                priority=t.priority,
                impact=t.impact,
            )
        return {
            "team": t.team,
            "product": t.product,
            "critical": critical,
            "first_response_due": _iso(t.first_response_due),
            "resolution_due": _iso(t.resolution_due),
        }

    def _after_created(self, s: Session, t: Ticket) -> None:
        if self.desk.auto_assign:
            self._auto_assign(s, t)

    def _customer_wrote(self, s: Session, ticket_id: int) -> None:
        t = s.get(Ticket, ticket_id)
        if t is None or t.status != "waiting":
            return
        gained = self._resume(t)
        self._set_dues(s, t)
        t.status = "assigned" if t.assignee else "new"
        t.updated_at = self.now()
        self._event(
            s,
            t.id,
            "customer",
            "resumed",
            status=t.status,
            paused_s=round(gained),
            resolution_due=_iso(t.resolution_due),
        )

    def _on_resolved(self, s: Session, t: Ticket) -> None:
        t.first_response_at = t.first_response_at or self.now()  # the resolution notice answers the customer
        if t.sla_paused_at is not None:
            self._resume(t)
            self._set_dues(s, t)

    # -- lifecycle --------------------------------------------------------------------------------

    def _open(self, s: Session, ref: str | int) -> Ticket:
        t = self._find(s, ref)
        if t.status not in OPEN_STATES:
            raise TicketClosed(f"ticket {t.public_id} is {t.status}")
        return t

    def wait(self, ref: str | int, agent: str) -> TicketView:
        """Waiting on the customer: the SLA clock pauses until their next message."""
        with self._sessions() as s:
            t = self._open(s, ref)
            if t.status != "waiting":
                t.status, t.updated_at = "waiting", self.now()
                t.assignee = t.assignee or agent
                self._pause(t)
                self._event(s, t.id, agent, "waiting")
                s.commit()
            return self.get(t.id)

    def assign(self, ref: str | int, agent: str, *, actor: str) -> TicketView:
        """(Re)assign to ``agent``; ``actor`` is who did it."""
        if not agent.strip():
            raise HandoffError("assigning needs an agent name")
        with self._sessions() as s:
            t = self._open(s, ref)
            before = t.assignee
            t.assignee, t.updated_at = agent.strip(), self.now()
            if t.status == "new":
                t.status = "assigned"
            self._event(s, t.id, actor, "assigned", assignee=t.assignee, previous=before)
            s.commit()
            return self.get(t.id)

    def set_priority(self, ref: str | int, priority: str, *, actor: str, reason: str = "") -> TicketView:
        """Change the priority; the SLA due times follow the new priority's policy."""
        if priority not in PRIORITIES:
            raise HandoffError(f"priority must be one of {', '.join(PRIORITIES)}")
        with self._sessions() as s:
            t = self._open(s, ref)
            before = t.priority
            if before != priority:
                t.priority, t.updated_at = priority, self.now()
                self._set_dues(s, t)
                self._event(
                    s,
                    t.id,
                    actor,
                    "priority",
                    priority=priority,
                    previous=before,
                    reason=reason,
                    resolution_due=_iso(t.resolution_due),
                )
                s.commit()
            return self.get(t.id)

    def reopen(self, ref: str | int, actor: str, *, reason: str = "") -> TicketView:
        """Reopen a resolved or closed ticket; the time it spent resolved does not count against the SLA."""
        with self._sessions() as s:
            t = self._find(s, ref)
            if t.status not in ("resolved", "closed"):
                raise HandoffError(
                    f"ticket {t.public_id} is {t.status}: only resolved or closed tickets reopen"
                )
            if t.merged_into_id is not None:
                raise HandoffError(f"ticket {t.public_id} was merged into another ticket")
            self._resume(t, since=t.resolved_at)
            t.status = "assigned" if t.assignee else "new"
            t.resolved_at = t.closed_at = None
            t.updated_at = self.now()
            self._set_dues(s, t)
            self._event(s, t.id, actor, "reopened", reason=reason, resolution_due=_iso(t.resolution_due))
            s.commit()
            return self.get(t.id)

    def reopen_recent(
        self, conversation_id: int, *, unless: Callable[[], bool] | None = None
    ) -> TicketView | None:
        """The customer writes again: reopen their ticket resolved within ``reopen_window_hours``.

        ``unless`` is asked only when such a ticket exists (e.g. 'is this just a thank-you?')."""
        window = self.desk.reopen_window_hours
        if window <= 0:
            return None
        with self._sessions() as s:
            t = s.scalar(
                select(Ticket)
                .where(
                    Ticket.conversation_id == conversation_id,
                    Ticket.status == "resolved",
                    Ticket.merged_into_id.is_(None),
                )
                .order_by(Ticket.resolved_at.desc())
                .limit(1)
            )
            if t is None or t.resolved_at is None:
                return None
            if _as_utc(t.resolved_at) < _as_utc(self.now()) - timedelta(hours=window):
                return None
            ref = t.id
        if unless is not None and unless():
            return None
        return self.reopen(ref, "customer", reason="the customer wrote after the resolution")

    def awaiting_rating(self, conversation_id: int) -> TicketView | None:
        """The conversation's latest ticket when it is resolved and not rated yet: the customer was
        asked for a 1-5 rating and a bare number answers that question."""
        with self._sessions() as s:
            t = s.scalar(
                select(Ticket)
                .where(Ticket.conversation_id == conversation_id, Ticket.merged_into_id.is_(None))
                .order_by(Ticket.id.desc())
                .limit(1)
            )
            if t is None or t.status != "resolved":
                return None
            if s.scalar(select(Satisfaction.id).where(Satisfaction.ticket_id == t.id)) is not None:
                return None
            ref = t.id
        return self.get(ref)

    def close(self, ref: str | int, actor: str, *, reason: str = "") -> TicketView:
        with self._sessions() as s:
            t = self._find(s, ref)
            if t.status == "closed":
                return self.get(t.id)
            self._close(s, t, actor, reason=reason)
            s.commit()
            return self.get(t.id)

    def _close(self, s: Session, t: Ticket, actor: str, *, reason: str = "", **data: Any) -> None:
        now = self.now()
        if t.sla_paused_at is not None:
            self._resume(t)
        t.status, t.closed_at, t.updated_at = "closed", now, now
        self._event(s, t.id, actor, "closed", reason=reason, **data)

    def merge(self, duplicate: str | int, into: str | int, actor: str) -> TicketView:
        """Move the duplicate's messages into ``into`` and close the duplicate with a link to it."""
        with self._sessions() as s:
            dup, target = self._find(s, duplicate), self._find(s, into)
            if dup.id == target.id:
                raise HandoffError("a ticket cannot be merged into itself")
            if target.status == "closed":
                raise TicketClosed(f"ticket {target.public_id} is closed")
            if dup.merged_into_id is not None:
                raise HandoffError(f"ticket {dup.public_id} is already merged")
            moved = s.execute(
                update(Message)
                .where(Message.ticket_id == dup.id)
                .values(ticket_id=target.id)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            dup.merged_into_id = target.id
            self._close(s, dup, actor, reason=f"merged into {target.public_id}", merged_into=target.public_id)
            target.updated_at = self.now()
            self._event(s, target.id, actor, "merged", duplicate=dup.public_id, messages=int(moved or 0))
            s.add(
                Message(
                    conversation_id=target.conversation_id,
                    ticket_id=target.id,
                    author="note",
                    author_name=actor,
                    created_at=self.now(),
                    text=f"{dup.public_id} ({dup.channel}:{dup.customer_ref}) merged into this ticket: "
                    f"{dup.subject[:200]}",
                )
            )
            s.commit()
            return self.get(target.id)

    # -- agents and assignment --------------------------------------------------------------------

    def set_agent(
        self, name: str, *, available: bool | None = None, teams: list[str] | None = None
    ) -> AgentView:
        name = name.strip()
        if not name:
            raise HandoffError("an agent needs a name")
        with self._sessions() as s:
            a = s.get(Agent, name)
            if a is None:
                a = Agent(name=name, available=bool(available), teams=list(teams or []))
                s.add(a)
            if available is not None:
                a.available = available
            if teams is not None:
                a.teams = list(teams)
            s.commit()
            return AgentView(a.name, a.available, list(a.teams or []), a.last_assigned_at)

    def agents(self) -> list[AgentView]:
        with self._sessions() as s:
            return [
                AgentView(a.name, a.available, list(a.teams or []), a.last_assigned_at)
                for a in s.scalars(select(Agent).order_by(Agent.name))
            ]

    def _auto_assign(self, s: Session, t: Ticket) -> str | None:
        """Round-robin: the available agent of the ticket's team who was assigned least recently.

        Several workers create tickets at once: the agent is taken with a compare-and-set on the
        ``last_assigned_at`` that was read, so two tickets created together never both go to the
        same agent's turn; a worker that loses the race reads the agents again.
        """
        for _ in range(ASSIGN_ATTEMPTS):
            pool = [
                a
                for a in s.scalars(
                    select(Agent).where(Agent.available.is_(True)).execution_options(populate_existing=True)
                )
                if not a.teams or t.team in (a.teams or [])
            ]
            if not pool:
                return None
            oldest = datetime.min.replace(tzinfo=_as_utc(self.now()).tzinfo)
            pool.sort(key=lambda a: (_as_utc(a.last_assigned_at) if a.last_assigned_at else oldest, a.name))
            agent = pool[0]
            seen = agent.last_assigned_at
            taken = s.execute(
                update(Agent)
                .where(
                    Agent.name == agent.name,
                    Agent.last_assigned_at.is_(None) if seen is None else Agent.last_assigned_at == seen,
                )
                .values(last_assigned_at=self.now())
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                t.assignee, t.status = agent.name, "assigned"
                self._event(s, t.id, "bot", "auto-assigned", assignee=agent.name, team=t.team)
                return agent.name
        return None  # agents kept being taken under us: the ticket waits in the queue, unassigned

    # -- periodic jobs ----------------------------------------------------------------------------

    def check_sla(self) -> JobReport:
        """Warn at ``warn_share`` of a target, record breaches as alerts and raise the priority."""
        now = _as_utc(self.now())
        book = self.desk.sla
        warnings = breaches = 0
        with self._sessions() as s:
            # rows locked (PostgreSQL) so that two workers never flag the same ticket twice
            rows = s.scalars(
                select(Ticket)
                .where(Ticket.status.in_(("new", "assigned")), Ticket.sla_paused_at.is_(None))
                .with_for_update(skip_locked=True)
            ).all()
            for t in rows:
                pol = book.policy(t.priority)
                if pol is None:
                    continue
                cal = book.calendar(t.team)
                flags = list(t.sla_flags or [])
                checks = [("resolution", pol.resolution_minutes, t.resolution_due)]
                if t.first_response_at is None:
                    checks.insert(0, ("first_response", pol.first_response_minutes, t.first_response_due))
                for stage, minutes, due in checks:
                    if due is None:
                        continue
                    name = stage.replace("_", " ")
                    if now > _as_utc(due) and f"{stage}:breach" not in flags:
                        flags.append(f"{stage}:breach")
                        breaches += 1
                        raised = ""
                        if self.desk.raise_priority_on_breach and t.priority != PRIORITIES[-1]:
                            before, t.priority = t.priority, raise_priority(t.priority)
                            raised = f"; priority {before} -> {t.priority}"
                            self._event(
                                s,
                                t.id,
                                "sla",
                                "priority",
                                priority=t.priority,
                                previous=before,
                                reason=f"{name} SLA breached",
                            )
                        self._event(s, t.id, "sla", "sla_breach", stage=stage, due=_iso(due))
                        self._alert(
                            s,
                            "sla_breach",
                            "critical",
                            f"{t.public_id}: {name} target missed (due {due:%Y-%m-%d %H:%M} UTC){raised}",
                            ticket=t,
                            stage=stage,
                            due=_iso(due),
                        )
                    elif f"{stage}:warn" not in flags and f"{stage}:breach" not in flags:
                        warn_at = cal.add(
                            t.created_at, minutes * 60 * book.warn_share + float(t.sla_paused_s or 0)
                        )
                        if now >= _as_utc(warn_at):
                            flags.append(f"{stage}:warn")
                            warnings += 1
                            self._event(s, t.id, "sla", "sla_warning", stage=stage, due=_iso(due))
                            self._alert(
                                s,
                                "sla_warning",
                                "warning",
                                f"{t.public_id}: {name} due {due:%Y-%m-%d %H:%M} UTC "
                                f"({int(book.warn_share * 100)}% of the target used)",
                                ticket=t,
                                stage=stage,
                                due=_iso(due),
                            )
                if flags != list(t.sla_flags or []):
                    t.sla_flags = flags
            s.commit()
        return JobReport(warnings=warnings, breaches=breaches)

    def auto_close(self) -> int:
        """Close resolved tickets that stayed quiet for ``auto_close_hours``."""
        hours = self.desk.auto_close_hours
        if hours <= 0:
            return 0
        cutoff = _as_utc(self.now()) - timedelta(hours=hours)
        n = 0
        with self._sessions() as s:
            for t in s.scalars(
                select(Ticket)
                .where(Ticket.status == "resolved", Ticket.resolved_at < cutoff)
                .with_for_update(skip_locked=True)
            ):
                self._close(s, t, "system", reason=f"quiet for {hours:g} hours after resolution")
                n += 1
            s.commit()
        return n


def _utc(t: datetime | None) -> datetime | None:
    return _as_utc(t) if t is not None else None


def _iso(t: datetime | None) -> str | None:
    return _as_utc(t).isoformat() if t is not None else None
