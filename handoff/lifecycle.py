"""The desk around a ticket: waiting on the customer, reopen, close (by hand and after a quiet
period), reassign, priority, merge, SLA clocks, alerts, agents and round-robin assignment.

:class:`DeskOps` is mixed into :class:`handoff.service.Handoff`; it uses the Handoff's sessions,
clock (``self.now``), desk settings and ``_event`` (every change is an event: who, what, when).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from handoff.clock import as_utc
from handoff.desk_models import Agent, Alert
from handoff.errors import HandoffError, MergeNeedsConfirmation, TicketClosed
from handoff.models import OPEN_STATES, Message, Ticket
from handoff.problems import ProblemOps
from handoff.races import on_fresh_state
from handoff.sla import PRIORITIES, SlaView, met, raise_priority
from handoff.views import AgentView, AlertView, JobReport, TicketView

if TYPE_CHECKING:
    from handoff.clock import Clock
    from handoff.settings import DeskSettings

# compare-and-set rounds of round-robin assignment before a ticket is left in the queue unassigned
ASSIGN_ATTEMPTS = 20


def _who(t: Ticket) -> str:
    name = t.conversation.customer_name if t.conversation is not None else ""
    ref = f"{t.channel}:{t.customer_ref}"
    return f"{name}, {ref}" if name else ref


class DeskOps(ProblemOps):
    if TYPE_CHECKING:
        _sessions: sessionmaker[Session]
        @property
        def now(self) -> Clock: ...
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
        """Round-robin assignment, oldest first: tickets of the team still waiting unassigned (every
        agent was away) are given out before the new one."""
        if not self.desk.auto_assign:
            return
        for older in self._backlog(s, team=t.team, exclude=t.id):
            if self._auto_assign(s, older) is None:
                return  # nobody available: the new ticket waits behind the older ones
        self._auto_assign(s, t)

    def _backlog(self, s: Session, *, team: str | None = None, exclude: int | None = None) -> list[Ticket]:
        """Open tickets nobody holds, oldest first (the new state: waiting tickets have an owner)."""
        stmt = select(Ticket).where(Ticket.status == "new", Ticket.assignee.is_(None), Ticket.merged_into_id.is_(None))
        if team is not None:
            stmt = stmt.where(Ticket.team == team)
        if exclude is not None:
            stmt = stmt.where(Ticket.id != exclude)
        return list(s.scalars(stmt.order_by(Ticket.created_at, Ticket.id)))

    def assign_backlog(self) -> list[str]:
        """With ``auto_assign``: give the unassigned tickets to available agents, oldest first, round-robin
        (an agent coming back, the periodic job). Returns the public ids assigned."""
        if not self.desk.auto_assign:
            return []
        done: list[str] = []
        with self._sessions() as s:
            for t in self._backlog(s):
                if self._auto_assign(s, t) is not None:
                    done.append(t.public_id or "")
            s.commit()
        return done

    def check_backlog(self) -> int:
        """Raise one ``unassigned`` alert per ticket left unassigned longer than
        ``unassigned_alert_minutes`` (wall clock: the backlog grows at night too). Returns how many."""
        minutes = self.desk.unassigned_alert_minutes
        if minutes <= 0:
            return 0
        now = as_utc(self.now())
        cutoff = now - timedelta(minutes=minutes)
        n = 0
        with self._sessions() as s:
            available = [a for a in s.scalars(select(Agent).where(Agent.available.is_(True)))]
            for t in self._backlog(s):
                if as_utc(t.created_at) > cutoff or "unassigned:alert" in (t.sla_flags or []):
                    continue
                waited = int((now - as_utc(t.created_at)).total_seconds() // 60)
                nobody = not any(not a.teams or t.team in (a.teams or []) for a in available)
                why = "no agent of its team is available" if nobody else "nobody has taken it"
                t.sla_flags = [*(t.sla_flags or []), "unassigned:alert"]
                self._event(s, t.id, "desk", "unassigned_alert", minutes=waited)
                self._alert(s, "unassigned", "warning",
                            f"{t.public_id} has waited unassigned for {waited} min ({why}): {t.subject[:160]}",
                            ticket=t, minutes=waited)
                n += 1
            s.commit()
        return n

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

    @on_fresh_state
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

    @on_fresh_state
    def assign(self, ref: str | int, agent: str, *, actor: str, roster: Collection[str] | None = None) -> TicketView:
        """(Re)assign to ``agent``; ``actor`` is who did it. ``roster``: the active agents (the surfaces
        pass the console's agents and the desk's); another name is refused with the list. Without a
        roster the desk's agents (``agents set``) are the roster, when there are any."""
        if not agent.strip():
            raise HandoffError("assigning needs an agent name")
        if roster is None:
            roster = [a.name for a in self.agents()] or None
        if roster is not None and agent.strip() not in roster:
            listed = ", ".join(sorted(roster)) or "none yet: add one with 'aftercare users add NAME --role agent'"
            raise HandoffError(f"{agent.strip()!r} is not an active agent (active agents: {listed})")
        with self._sessions() as s:
            t = self._open(s, ref)
            before = t.assignee
            t.assignee, t.updated_at = agent.strip(), self.now()
            if t.status == "new":
                t.status = "assigned"
            self._event(s, t.id, actor, "assigned", assignee=t.assignee, previous=before)
            s.commit()
            return self.get(t.id)

    @on_fresh_state
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

    @on_fresh_state
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

    @on_fresh_state
    def reopen_recent(
        self, conversation_id: int, *, unless: Callable[[], bool] | None = None
    ) -> TicketView | None:
        """The customer writes again: reopen their ticket resolved within ``reopen_window_hours``.

        ``unless`` is asked only when such a ticket exists (e.g. 'is this just a thank-you?')."""
        window = self.desk.reopen_window_hours
        if window <= 0:
            return None
        with self._sessions() as s:
            t = self._latest_ticket(s, conversation_id, resolved=True)
            if t is None or t.status != "resolved" or t.resolved_at is None:
                return None
            if t.resolved_at < as_utc(self.now()) - timedelta(hours=window):
                return None
            ref = t.id
        if unless is not None and unless():
            return None
        return self.reopen(ref, "customer", reason="the customer wrote after the resolution")

    def awaiting_rating(self, conversation_id: int) -> TicketView | None:
        """The conversation's latest ticket (or the one it was merged into) when it is resolved: the
        customer was asked for a 1-5 rating and a rating answers that question; a second one ("sorry,
        I meant 5") replaces the first."""
        with self._sessions() as s:
            t = self._latest_ticket(s, conversation_id)
            if t is None or t.status != "resolved":
                return None
            ref = t.id
        return self.get(ref)

    def _latest_ticket(self, s: Session, conversation_id: int, *, resolved: bool = False) -> Ticket | None:
        """The conversation's newest ticket (the newest resolved one with ``resolved``), a merged one
        followed to the ticket it was merged into."""
        stmt = select(Ticket).where(Ticket.conversation_id == conversation_id)
        if resolved:
            stmt = stmt.where(or_(Ticket.status == "resolved", Ticket.merged_into_id.is_not(None)))
        newest = s.scalars(stmt.order_by(Ticket.id.desc()).limit(1)).first()
        return self._followed(s, newest)

    @on_fresh_state
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

    @on_fresh_state
    def merge(self, duplicate: str | int, into: str | int, actor: str, *, confirm: bool = False) -> TicketView:
        """Move the duplicate's messages into ``into`` and close the duplicate with a link to it.

        A resolved target is reopened (what the duplicate's customer reported must not leave the open
        queue unanswered); a closed one is refused. The duplicate's customer stays with the target:
        their next messages join it and the target's replies and notices reach them in their own
        channel. Tickets of two different customers are merged only with ``confirm``
        (:class:`MergeNeedsConfirmation` otherwise: nothing changes)."""
        with self._sessions() as s:
            dup, target = self._find(s, duplicate), self._find(s, into)
            if dup.id == target.id:
                raise HandoffError("a ticket cannot be merged into itself")
            if target.status == "closed":
                raise TicketClosed(
                    f"ticket {target.public_id} is closed: reopen it first, or merge {target.public_id} "
                    f"into {dup.public_id} instead"
                )
            if target.merged_into_id is not None:
                raise HandoffError(f"ticket {target.public_id} was merged into another ticket; merge into that one")
            if dup.merged_into_id is not None:
                raise HandoffError(f"ticket {dup.public_id} is already merged")
            if (dup.channel, dup.customer_ref) != (target.channel, target.customer_ref) and not confirm:
                raise MergeNeedsConfirmation(
                    f"{dup.public_id} is from another customer ({_who(dup)}) than {target.public_id} "
                    f"({_who(target)}): after merging, both get {target.public_id}'s replies and notices. "
                    "Confirm to merge."
                )
            moved = s.execute(
                update(Message)
                .where(Message.ticket_id == dup.id)
                .values(ticket_id=target.id)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            dup.merged_into_id = target.id
            self._close(s, dup, actor, reason=f"merged into {target.public_id}", merged_into=target.public_id)
            if target.status == "resolved":  # the duplicate's customer is still waiting: back to the queue
                self._resume(target, since=target.resolved_at)
                target.status = "assigned" if target.assignee else "new"
                target.resolved_at = target.closed_at = None
                self._set_dues(s, target)
                self._event(s, target.id, actor, "reopened", reason=f"{dup.public_id} merged into it",
                            resolution_due=_iso(target.resolution_due))
            target.updated_at = self.now()
            self._event(s, target.id, actor, "merged", duplicate=dup.public_id, messages=int(moved or 0),
                        customer=_who(dup))
            s.add(
                Message(
                    conversation_id=target.conversation_id,
                    ticket_id=target.id,
                    author="note",
                    author_name=actor,
                    created_at=self.now(),
                    text=f"{dup.public_id} ({_who(dup)}) merged into this ticket: {dup.subject[:200]}",
                )
            )
            s.commit()
            return self.get(target.id)

    def _merged_conversations(self, s: Session, t: Ticket) -> list[int]:
        """Conversations of the tickets merged into ``t`` (directly or through other merges), other than
        ``t``'s own: their customers get ``t``'s replies and notices too."""
        out: list[int] = []
        frontier = [t.id]
        seen = {t.id}
        while frontier:
            rows = s.execute(
                select(Ticket.id, Ticket.conversation_id).where(Ticket.merged_into_id.in_(frontier))
            ).all()
            frontier = []
            for tid, conv in rows:
                if tid in seen:
                    continue
                seen.add(tid)
                frontier.append(tid)
                if conv != t.conversation_id and conv not in out:
                    out.append(conv)
        return out

    def _copy_to_merged(self, s: Session, t: Ticket, m: Message) -> None:
        """Leave a copy of ``m`` (an agent's reply or a notice on ``t``) in each merged customer's
        conversation, so it reaches them in their own channel; copies hold no ticket (the ticket's
        transcript and the agents' thread show the original once)."""
        for conv in self._merged_conversations(s, t):
            s.add(Message(conversation_id=conv, ticket_id=None, author=m.author, author_name=m.author_name,
                          text=m.text, created_at=m.created_at,
                          meta={**(m.meta or {}), "copy_of": m.id, "ticket": t.public_id}))

    def _followed(self, s: Session, t: Ticket | None) -> Ticket | None:
        """``t``, or the ticket it was merged into (followed through further merges)."""
        for _ in range(20):
            if t is None or t.merged_into_id is None:
                return t
            t = s.get(Ticket, t.merged_into_id)
        return t

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
            view = AgentView(a.name, a.available, list(a.teams or []), a.last_assigned_at)
        if view.available:  # back at work: the waiting tickets go out, oldest first
            self.assign_backlog()
        return view

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
            oldest = datetime.min.replace(tzinfo=as_utc(self.now()).tzinfo)
            pool.sort(key=lambda a: (as_utc(a.last_assigned_at) if a.last_assigned_at else oldest, a.name))
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

    @on_fresh_state
    def check_sla(self) -> JobReport:
        """Warn at ``warn_share`` of a target, record breaches as alerts and raise the priority."""
        now = as_utc(self.now())
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
                    if now > as_utc(due) and f"{stage}:breach" not in flags:
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
                        if now >= as_utc(warn_at):
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

    @on_fresh_state
    def auto_close(self) -> int:
        """Close resolved tickets that stayed quiet for ``auto_close_hours``."""
        hours = self.desk.auto_close_hours
        if hours <= 0:
            return 0
        cutoff = as_utc(self.now()) - timedelta(hours=hours)
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


def _iso(t: datetime | None) -> str | None:
    return as_utc(t).isoformat() if t is not None else None
