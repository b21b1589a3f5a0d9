"""A ticket's states after intake: waiting on the customer (the SLA clock pauses) and back, priority,
reopening (by hand, or when the customer writes again soon after the resolution), closing (by hand
and after a quiet period). Every change is an event: who, what, when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handoff.clock import as_utc, iso_utc
from handoff.context import DeskContext
from handoff.desk_models import Problem
from handoff.errors import HandoffError
from handoff.links import followed
from handoff.models import OPEN_STATES, Ticket
from handoff.races import on_fresh_state
from handoff.sla import PRIORITIES
from handoff.sla_clocks import SlaClocks
from handoff.views import TicketView


class Lifecycle:
    """Moves tickets between states; the SLA clocks follow each move."""

    def __init__(self, ctx: DeskContext, sla: SlaClocks) -> None:
        self.ctx = ctx
        self.sla = sla

    @on_fresh_state
    def wait(self, ref: str | int, agent: str) -> TicketView:
        """Waiting on the customer: the SLA clock pauses until their next message."""
        with self.ctx.sessions() as s:
            t = self.ctx.find_open(s, ref)
            if t.status != "waiting":
                t.status, t.updated_at = "waiting", self.ctx.now()
                t.assignee = t.assignee or agent
                self.sla.pause(t)
                self.ctx.event(s, t.id, agent, "waiting")
                s.commit()
            return self.ctx.ticket(t.id)

    def customer_wrote(self, s: Session, ticket_id: int) -> None:
        """In the transaction storing a customer's message on ``ticket_id``: a ticket waiting on them
        goes back to the queue (or its agent) and its SLA clock runs again."""
        t = s.get(Ticket, ticket_id)
        if t is None or t.status != "waiting":
            return
        gained = self.sla.restart(t)
        t.status = "assigned" if t.assignee else "new"
        t.updated_at = self.ctx.now()
        self.ctx.event(s, t.id, "customer", "resumed", status=t.status, paused_s=round(gained),
                       resolution_due=iso_utc(t.resolution_due))

    @on_fresh_state
    def set_priority(self, ref: str | int, priority: str, *, actor: str, reason: str = "") -> TicketView:
        """Change the priority (one of :data:`handoff.sla.PRIORITIES`, HandoffError otherwise); the SLA
        due times follow the new priority's policy."""
        if priority not in PRIORITIES:
            raise HandoffError(f"priority must be one of {', '.join(PRIORITIES)}")
        with self.ctx.sessions() as s:
            t = self.ctx.find_open(s, ref)
            before = t.priority
            if before != priority:
                t.priority, t.updated_at = priority, self.ctx.now()
                self.sla.set_dues(t)
                self.ctx.event(s, t.id, actor, "priority", priority=priority, previous=before, reason=reason,
                               resolution_due=iso_utc(t.resolution_due))
                s.commit()
            return self.ctx.ticket(t.id)

    @on_fresh_state
    def raise_stakes(self, ref: str | int, priority: str, impact: str, *, reason: str) -> TicketView | None:
        """What the customer said later on open ticket ``ref`` puts more at stake ("someone is in my account
        now", "사무실 전체가 안 돼요"): its priority rises to ``priority`` and its impact to ``impact``
        (``wide`` over ``single``), never lower. When that makes it critical (``critical_priorities`` /
        ``critical_impacts``) and it was not, a critical alert goes out, as at intake; the ticket stays with
        its team and agent. Returns the ticket when something changed, else None."""
        d = self.ctx.settings
        with self.ctx.sessions() as s:
            t = self.ctx.find_open(s, ref)
            rank = PRIORITIES.index(t.priority) if t.priority in PRIORITIES else 1
            new_priority = priority if priority in PRIORITIES and PRIORITIES.index(priority) > rank else t.priority
            new_impact = "wide" if impact == "wide" else t.impact
            if (new_priority, new_impact) == (t.priority, t.impact):
                return None
            was_critical = t.priority in d.critical_priorities or t.impact in d.critical_impacts
            before = t.priority, t.impact
            t.priority, t.impact, t.updated_at = new_priority, new_impact, self.ctx.now()
            self.sla.set_dues(t)
            self.ctx.event(s, t.id, "bot", "priority", priority=t.priority, previous=before[0], impact=t.impact,
                           previous_impact=before[1], reason=reason, resolution_due=iso_utc(t.resolution_due))
            if not was_critical and (t.priority in d.critical_priorities or t.impact in d.critical_impacts):
                why = "urgent" if t.priority in d.critical_priorities else "wide impact"
                self.sla.alerts.add(s, "critical", "critical", f"{t.public_id} ({why}, {t.label}): {reason[:200]}",
                                ticket=t, priority=t.priority, impact=t.impact)
            s.commit()
            return self.ctx.ticket(t.id)

    @on_fresh_state
    def reopen(self, ref: str | int, actor: str, *, reason: str = "") -> TicketView:
        """Reopen a resolved or closed ticket; the time it spent resolved does not count against the SLA.
        Raises HandoffError for an open or a merged ticket."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            if t.status not in ("resolved", "closed"):
                raise HandoffError(f"ticket {t.public_id} is {t.status}: only resolved or closed tickets reopen")
            if t.merged_into_id is not None:
                raise HandoffError(f"ticket {t.public_id} was merged into another ticket")
            self.reopen_row(s, t, actor, reason=reason)
            s.commit()
            return self.ctx.ticket(t.id)

    def reopen_row(self, s: Session, t: Ticket, actor: str, *, reason: str) -> None:
        """Back to the queue (or its agent) in ``s``: the time since the resolution is paused time. A resolved
        problem of the ticket reopens with it (the next report of that fault joins it, not a new problem)."""
        self.sla.resume(t, since=t.resolved_at)
        t.status = "assigned" if t.assignee else "new"
        t.resolved_at = t.closed_at = None
        t.updated_at = self.ctx.now()
        self.sla.set_dues(t)
        self.ctx.event(s, t.id, actor, "reopened", reason=reason, resolution_due=iso_utc(t.resolution_due))
        p = s.get(Problem, t.problem_id) if t.problem_id is not None else None
        if p is not None and p.status == "resolved":  # its fault is back: the problem is worked on again
            p.status, p.resolved_at, p.last_seen_at = "open", None, self.ctx.now()
            self.ctx.event(s, t.id, actor, "problem_reopened", problem=f"PRB-{p.id:04d}")

    def reopen_for_reply(self, s: Session, t: Ticket, agent: str, *, asked: bool) -> str:
        """Before ``agent``'s reply on ``t``, in ``s``: an open ticket stays as it is (returns ''); one
        resolved within the reopen window reopens, as for the customer's message, and so does a resolved
        or closed one the agent ``asked`` to reopen (returns the state it left). Raises
        :class:`TicketNotOpen` otherwise, and always for a merged ticket (it names the one it went into)."""
        if t.status in OPEN_STATES:
            return ""
        recent = self.within_reopen_window(t)
        if t.merged_into_id is not None or not (asked or recent):
            raise self.ctx.not_open(s, t)
        left = t.status
        why = "Reopen and send" if asked and not recent else "a reply soon after the resolution"
        self.reopen_row(s, t, agent, reason=f"{why} by {agent}")
        return left

    @on_fresh_state
    def reopen_recent(self, conversation_id: int, *, unless: Callable[[], bool] | None = None) -> TicketView | None:
        """The customer writes again: reopen their ticket resolved within ``reopen_window_hours``.

        ``unless`` is asked only when such a ticket exists (e.g. 'is this just a thank-you?')."""
        window = self.ctx.settings.reopen_window_hours
        if window <= 0:
            return None
        with self.ctx.sessions() as s:
            t = self.latest_ticket(s, conversation_id, resolved=True)
            if t is None or t.status != "resolved" or not self.within_reopen_window(t):
                return None
            ref = t.id
        if unless is not None and unless():
            return None
        return self.reopen(ref, "customer", reason="the customer wrote after the resolution")

    def within_reopen_window(self, t: Ticket) -> bool:
        """Whether the resolved ticket ``t`` was resolved within ``reopen_window_hours`` (a message to it
        reopens it); False when the window is 0 (off) or ``t`` is not resolved."""
        window = self.ctx.settings.reopen_window_hours
        if window <= 0 or t.status != "resolved" or t.resolved_at is None:
            return False
        return as_utc(t.resolved_at) >= as_utc(self.ctx.now()) - timedelta(hours=window)

    def awaiting_rating(self, conversation_id: int) -> TicketView | None:
        """The ticket the conversation's customer rates when their latest ticket (or the one it was merged
        into) is resolved: the customer was asked for a 1-5 rating and a rating answers that question; a
        second one ("sorry, I meant 5") replaces the first. A ticket merged into another customer's is
        rated itself (each customer rates their own ticket; one's rating never replaces the other's)."""
        with self.ctx.sessions() as s:
            own = s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id)
                            .order_by(Ticket.id.desc()).limit(1)).first()
            t = followed(s, own)
            if own is None or t is None or t.status != "resolved":
                return None
            ref = own.id if (own.channel, own.customer_ref) != (t.channel, t.customer_ref) else t.id
        return self.ctx.ticket(ref)

    def latest_ticket(self, s: Session, conversation_id: int, *, resolved: bool = False) -> Ticket | None:
        """The conversation's newest ticket (the newest resolved one with ``resolved``), a merged one
        followed to the ticket it was merged into."""
        stmt = select(Ticket).where(Ticket.conversation_id == conversation_id)
        if resolved:
            stmt = stmt.where(or_(Ticket.status == "resolved", Ticket.merged_into_id.is_not(None)))
        newest = s.scalars(stmt.order_by(Ticket.id.desc()).limit(1)).first()
        return followed(s, newest)

    @on_fresh_state
    def close(self, ref: str | int, actor: str, *, reason: str = "") -> TicketView:
        """Close the ticket (a closed one stays as it is)."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            if t.status == "closed":
                return self.ctx.ticket(t.id)
            self.close_row(s, t, actor, reason=reason)
            s.commit()
            return self.ctx.ticket(t.id)

    def close_row(self, s: Session, t: Ticket, actor: str, *, reason: str = "", **data: Any) -> None:
        """Close ``t`` in ``s``; a paused SLA clock stops with the time paused counted."""
        now = self.ctx.now()
        if t.sla_paused_at is not None:
            self.sla.resume(t)
        t.status, t.closed_at, t.updated_at = "closed", now, now
        self.ctx.event(s, t.id, actor, "closed", reason=reason, **data)

    @on_fresh_state
    def auto_close(self) -> int:
        """The periodic job: close resolved tickets that stayed quiet for ``auto_close_hours``; returns
        how many."""
        hours = self.ctx.settings.auto_close_hours
        if hours <= 0:
            return 0
        cutoff = as_utc(self.ctx.now()) - timedelta(hours=hours)
        n = 0
        with self.ctx.sessions() as s:
            for t in s.scalars(
                select(Ticket)
                .where(Ticket.status == "resolved", Ticket.resolved_at < cutoff)
                .with_for_update(skip_locked=True)
            ):
                self.close_row(s, t, "system", reason=f"quiet for {hours:g} hours after resolution")
                n += 1
            s.commit()
        return n
