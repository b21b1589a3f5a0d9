"""Tickets: intake (a unique id, routed to a team, SLA clocks started, critical ones alerted, handed
out round-robin), reading them (one, the queue, activity, transcript, audit trail), agents' replies
and internal notes, resolution, and the customer's satisfaction rating (CSAT)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.alerts import AlertLog
from handoff.assignment import Assignment
from handoff.clock import as_utc, iso_utc
from handoff.context import DeskContext
from handoff.conversations import KEY_CHARS
from handoff.errors import HandoffError, OpenTicketExists
from handoff.lifecycle import Lifecycle
from handoff.links import copy_to_merged, followed
from handoff.models import (
    OPEN_STATES,
    Conversation,
    Message,
    MessageKey,
    MessageKind,
    Ticket,
    TicketEvent,
)
from handoff.races import on_fresh_state
from handoff.sla_clocks import SlaClocks
from handoff.vectors import unit_bytes
from handoff.views import EventView, MessageView, SentReply, TicketActivity, TicketView, message_view, ticket_view


class Tickets:
    """Opens, reads, answers, resolves and rates tickets."""

    def __init__(self, ctx: DeskContext, sla: SlaClocks, alerts: AlertLog, assignment: Assignment,
                 lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle
        self.sla = sla
        self.alerts = alerts
        self.assignment = assignment

    # -- intake ---------------------------------------------------------------------------------------

    @on_fresh_state
    def create(self, conversation_id: int, *, subject: str, label: str, confidence: float,
               priority: str, impact: str, reason: str, transcript_messages: int = 20,
               product: str = "", subject_vector: np.ndarray | None = None,
               subject_model: str = "") -> TicketView:
        """Open a ticket for the conversation: its last ``transcript_messages`` messages without a ticket
        (and every attachment the customer sent before) go with it; ``subject_vector`` (the subject's
        embedding, shape (dim,), by the encoder ``subject_model``) is kept for grouping similar faults
        (``link_problem``). Raises
        HandoffError for an unknown conversation.

        One open ticket per conversation: the conversation's row is held (written first) until the ticket
        is committed, so the same customer's second message or press arriving at the same moment (two tabs,
        a double click) waits, then finds this ticket and raises ``OpenTicketExists`` (its messages put on
        that ticket) instead of opening another."""
        with self.ctx.sessions() as s:
            # A session already in a transaction is a caller's unit of work (one transaction per customer
            # message), which wrote the conversation's row when it started and holds it: the same customer's
            # other message waits for it, and then sees its ticket. A fresh session holds the row here.
            alone = not s.in_transaction()
            if alone:
                s.execute(update(Conversation).where(Conversation.id == conversation_id)
                          .values(last_seen_at=self.ctx.now()).execution_options(synchronize_session=False))
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise HandoffError(f"no conversation {conversation_id}")
            existing = s.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                                     Ticket.status.in_(OPEN_STATES))
                                .order_by(Ticket.id.desc())) if alone else None
            if existing is not None:
                for m in s.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                         Message.ticket_id.is_(None))
                                   .order_by(Message.id.desc()).limit(transcript_messages)):
                    m.ticket_id = existing.id
                s.commit()
                raise OpenTicketExists(ticket_view(existing))
            now = self.ctx.now()
            t = Ticket(conversation_id=conversation_id, channel=conv.channel, customer_ref=conv.customer_ref,
                       subject=subject[:2000], label=label, confidence=confidence, priority=priority,
                       impact=impact, reason=reason, status="new", created_at=now, updated_at=now,
                       subject_vector=unit_bytes(subject_vector) if subject_vector is not None else None,
                       subject_model=subject_model or None if subject_vector is not None else None)
            s.add(t)
            s.flush()
            with s.no_autoflush:  # the ticket's own updates below go out as one statement
                t.public_id = self.ctx.public_id(t.id)
                # the last messages without a ticket, and every attachment the customer sent before any
                # ticket, however long ago (one query, 500 messages at most)
                loose = s.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                        Message.ticket_id.is_(None))
                                  .order_by(Message.id.desc()).limit(max(500, transcript_messages))).all()
                for i, m in enumerate(loose):
                    if i < transcript_messages or (m.author == "customer" and (m.meta or {}).get("attachments")):
                        m.ticket_id = t.id
                t.product = product
                routing = self._route(s, t)
                self.ctx.event(s, t.id, "bot", "created", label=label, priority=priority, impact=impact,
                               reason=reason, **routing)
                self.assignment.after_created(s, t)
            s.commit()
            return ticket_view(t)

    def _route(self, s: Session, t: Ticket) -> dict[str, Any]:
        """Route to a team (a critical ticket to the response team), start the SLA clocks, alert on a
        critical ticket; returns the data of the 'created' event."""
        d = self.ctx.settings
        critical = t.priority in d.critical_priorities or t.impact in d.critical_impacts
        t.team = d.response_team if critical and d.response_team else d.route(t.label, t.product)
        t.sla_flags = []
        self.sla.set_dues(t)
        if critical:
            why = "urgent" if t.priority in d.critical_priorities else "wide impact"
            self.alerts.add(s, "critical", "critical", f"{t.public_id} ({why}, {t.label}): {t.subject[:200]}",
                            ticket=t, priority=t.priority, impact=t.impact)
        return {"team": t.team, "product": t.product, "critical": critical,
                "first_response_due": iso_utc(t.first_response_due), "resolution_due": iso_utc(t.resolution_due)}

    # -- reading --------------------------------------------------------------------------------------

    def get(self, ref: str | int) -> TicketView:
        """The ticket with number or public id ``ref`` (TicketNotFound otherwise)."""
        return self.ctx.ticket(ref)

    def open_for(self, conversation_id: int) -> TicketView | None:
        """The conversation's open ticket, or the open ticket its ticket was merged into (the merged
        customer's messages join it)."""
        with self.ctx.sessions() as s:  # one query: the open ones and the merged ones, newest first
            rows = builtins.list(s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                                                or_(Ticket.status.in_(OPEN_STATES),
                                                                    Ticket.merged_into_id.is_not(None)))
                                           .order_by(Ticket.id.desc())))
            t = next((r for r in rows if r.status in OPEN_STATES), None)
            if t is None:
                merged = next((r for r in rows if r.merged_into_id is not None), None)
                target = followed(s, merged)
                t = target if target is not None and target.status in OPEN_STATES else None
            return ticket_view(t) if t else None

    def latest_for(self, conversation_id: int) -> TicketView | None:
        """The conversation's newest ticket in any state ("my ticket" in the customer's words), None without one."""
        with self.ctx.sessions() as s:
            t = s.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id)
                         .order_by(Ticket.id.desc()).limit(1))
            return ticket_view(t) if t else None

    def merged_from(self, ticket_id: int, channel: str, customer_ref: str) -> bool:
        """Whether a ticket of this customer (``channel``, ``customer_ref``) was merged into ``ticket_id``."""
        with self.ctx.sessions() as s:
            return s.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.merged_into_id == ticket_id, Ticket.channel == channel,
                Ticket.customer_ref == customer_ref)) != 0

    def list(self, *, status: str | None = "open", limit: int = 200, team: str | None = None,
             assignee: str | None = None) -> builtins.list[TicketView]:
        """The queue, newest first: ``status`` "open" (new, assigned, waiting), a single state, or None
        for every ticket; filtered by team and assignee when given."""
        with self.ctx.sessions() as s:
            stmt = select(Ticket).order_by(Ticket.id.desc()).limit(limit)
            if team:
                stmt = stmt.where(Ticket.team == team)
            if assignee:
                stmt = stmt.where(Ticket.assignee == assignee)
            if status == "open":
                stmt = stmt.where(Ticket.status.in_(OPEN_STATES))
            elif status:
                stmt = stmt.where(Ticket.status == status)
            return [ticket_view(t) for t in s.scalars(stmt)]

    def activity(self, ticket_ids: Iterable[int]) -> dict[int, TicketActivity]:
        """Last activity of each ticket (one grouped query): newest message, newest customer message,
        newest agent reply; internal notes do not count. Tickets without messages are left out."""
        ids = builtins.list(ticket_ids)
        if not ids:
            return {}
        with self.ctx.sessions() as s:
            rows = s.execute(select(Message.ticket_id, Message.author, func.max(Message.created_at))
                             .where(Message.ticket_id.in_(ids), Message.author != "note")
                             .group_by(Message.ticket_id, Message.author)).all()
        seen: dict[int, dict[str, datetime]] = {}
        for tid, author, at in rows:
            if tid is not None and at is not None:
                seen.setdefault(int(tid), {})[author] = as_utc(at)
        return {tid: TicketActivity(last_at=max(by.values()), last_customer_at=by.get("customer"),
                                    last_agent_at=by.get("agent")) for tid, by in seen.items()}

    def transcript(self, ref: str | int) -> builtins.list[MessageView]:
        """The ticket's messages, oldest first; a customer message without a name is named by its
        conversation (display name, else channel:customer), so merged customers are told apart."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            rows = s.execute(select(Message, Conversation.customer_name, Conversation.channel,
                                    Conversation.customer_ref)
                             .join(Conversation, Conversation.id == Message.conversation_id)
                             .where(Message.ticket_id == t.id).order_by(Message.id)).all()
            out = []
            for m, name, channel, ref_ in rows:
                v = message_view(m)
                if v.author == "customer" and not v.author_name:
                    v = replace(v, author_name=name or f"{channel}:{ref_}")
                out.append(v)
            return out

    def events(self, ref: str | int) -> builtins.list[EventView]:
        """The ticket's audit trail, oldest first."""
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            rows = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
            return [EventView(at=e.at, actor=e.actor, kind=e.kind, data=dict(e.data or {})) for e in rows]

    # -- agents' work ---------------------------------------------------------------------------------

    @on_fresh_state
    def reply(self, ref: str | int, agent: str, text: str, *, key: str = "", reopen: bool = False) -> SentReply:
        """An agent's reply to the customer (and to customers merged into the ticket); the first reply
        assigns a new ticket to that agent. HandoffError without text. With ``key`` (an idempotency key:
        the console form's) it is sent once: the same form submitted again (a double click, a resend)
        returns the first reply and sends nothing.

        A ticket that is no longer open is treated as the customer writing to it would be: one resolved
        within ``reopen_window_hours`` is reopened by the reply (``reopened_from`` "resolved" in the
        result, and a "reopened" event names the agent); otherwise nothing is sent and
        :class:`TicketNotOpen` says why (resolved longer ago, closed, or merged into another ticket),
        unless ``reopen`` (the agent's "Reopen and send") reopens it first. A merged ticket never
        reopens: the refusal names the ticket it was merged into."""
        if not text.strip():
            raise HandoffError("a reply needs text")
        with self.ctx.sessions() as s:
            sent = _keyed(s, key)
            if sent is not None:
                return SentReply(**vars(message_view(sent)))
            t = self.ctx.find(s, ref)
            reopened = self.lifecycle.reopen_for_reply(s, t, agent, asked=reopen)
            now = self.ctx.now()
            if t.status == "new":
                t.status, t.assignee = "assigned", agent
                self.ctx.event(s, t.id, agent, "assigned", assignee=agent)
            t.updated_at = now
            t.first_response_at = t.first_response_at or now
            m = Message(conversation_id=t.conversation_id, ticket_id=t.id, author="agent", author_name=agent,
                        text=text.strip(), created_at=now)
            s.add(m)
            s.flush()
            copy_to_merged(s, t, m)
            self.ctx.event(s, t.id, agent, "replied", message_id=m.id)
            view = self._commit_keyed(s, m, key)
            return SentReply(**vars(view), reopened_from=reopened if view.id == m.id else "")

    @on_fresh_state
    def note(self, ref: str | int, agent: str, text: str, *, key: str = "") -> MessageView:
        """An internal note: kept with the ticket, never shown to the customer. With ``key`` it is added
        once, as a reply is."""
        with self.ctx.sessions() as s:
            noted = _keyed(s, key)
            if noted is not None:
                return message_view(noted)
            t = self.ctx.find(s, ref)
            m = Message(conversation_id=t.conversation_id, ticket_id=t.id, author="note", author_name=agent,
                        text=text.strip(), created_at=self.ctx.now())
            s.add(m)
            s.flush()
            self.ctx.event(s, t.id, agent, "note", message_id=m.id)
            return self._commit_keyed(s, m, key)

    def _commit_keyed(self, s: Session, m: Message, key: str) -> MessageView:
        """Commit ``m`` with its idempotency ``key`` (if any); when the same key was committed meanwhile (a
        second submit racing the first), that one stands and ``m`` is dropped."""
        if key:
            s.add(MessageKey(key=key[:KEY_CHARS], message_id=m.id, created_at=self.ctx.now()))
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            found = _keyed(s, key)
            if found is None:
                raise
            return message_view(found)
        return message_view(m)

    @on_fresh_state
    def resolve(self, ref: str | int, agent: str, resolution: str, *, notice: str) -> TicketView:
        """Resolve the ticket and leave ``notice`` for the customer in their conversation (and in merged
        customers'). The notice answers the customer: it counts as the first response when none was
        given; a paused SLA clock stops. HandoffError without a resolution note."""
        if not resolution.strip():
            raise HandoffError("resolving needs a resolution note")
        with self.ctx.sessions() as s:
            t = self.ctx.find_open(s, ref)
            now = self.ctx.now()
            t.status, t.resolution, t.resolved_at, t.updated_at = "resolved", resolution.strip(), now, now
            t.assignee = t.assignee or agent
            t.first_response_at = t.first_response_at or now
            if t.sla_paused_at is not None:
                self.sla.restart(t)
            m = Message(conversation_id=t.conversation_id, ticket_id=t.id, author="system", author_name=agent,
                        text=notice, created_at=now, meta={"kind": MessageKind.RESOLVED})
            s.add(m)
            s.flush()
            copy_to_merged(s, t, m)
            self.ctx.event(s, t.id, agent, "resolved", resolution=t.resolution)
            s.commit()
            return ticket_view(t)


def _keyed(s: Session, key: str) -> Message | None:
    """The message stored under the idempotency ``key``, if any (none for an empty key)."""
    row = s.get(MessageKey, key[:KEY_CHARS]) if key else None
    return s.get(Message, row.message_id) if row is not None else None
