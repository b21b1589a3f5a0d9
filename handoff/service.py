"""Conversations and tickets: intake with a unique id, agent replies, internal notes, resolution."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handoff.clock import Clock, as_utc, system_clock
from handoff.desk_models import Alert
from handoff.errors import HandoffError, TicketClosed, TicketNotFound
from handoff.lifecycle import DeskOps
from handoff.models import (
    OPEN_STATES,
    Conversation,
    Message,
    MessageKey,
    MessageKind,
    Satisfaction,
    Ticket,
    TicketEvent,
)
from handoff.races import on_fresh_state
from handoff.settings import DeskSettings
from handoff.views import ClaimResult, EventView, MessageView, TicketActivity, TicketView, message_view, ticket_view

MAX_TICKET_NUMBER = 2**31 - 1  # tickets.id is a 32-bit integer on PostgreSQL
CUSTOMER_VISIBLE = ("bot", "agent", "system")


class Handoff(DeskOps):
    """Tickets and conversations; lifecycle, SLA, assignment, alerts and problems come from DeskOps."""

    def __init__(self, sessions: sessionmaker[Session], *, id_prefix: str = "AC",
                 clock: Clock | None = None, desk: DeskSettings | None = None) -> None:
        self._sessions = sessions
        self.id_prefix = id_prefix
        self._clock: Clock = clock or system_clock
        self.desk = desk or DeskSettings()

    @property
    def now(self) -> Clock:
        """The desk's clock (``handoff.now()`` is the current moment, UTC): the one given at
        construction, read-only so that no caller moves time under the others."""
        return self._clock

    # -- ids ------------------------------------------------------------------------------------

    def public_id(self, n: int) -> str:
        return f"{self.id_prefix}-{n:06d}"

    def _find(self, s: Session, ref: str | int) -> Ticket:
        t: Ticket | None
        if isinstance(ref, int) or str(ref).isdigit():
            n = int(ref)
            if not 0 < n <= MAX_TICKET_NUMBER:  # past the column's range: no such ticket, not a database error
                raise TicketNotFound(str(ref)[:40])
            t = s.get(Ticket, n)
        elif "\x00" in str(ref) or len(str(ref)) > 64:
            raise TicketNotFound(repr(str(ref)[:40]))
        else:
            t = s.scalar(select(Ticket).where(Ticket.public_id == str(ref).strip().upper()))
        if t is None:
            raise TicketNotFound(str(ref))
        return t

    def _event(self, s: Session, ticket_id: int, actor: str, kind: str, **data: Any) -> None:
        s.add(TicketEvent(ticket_id=ticket_id, at=self.now(), actor=actor, kind=kind, data=data))

    def events(self, ref: str | int) -> builtins.list[EventView]:
        with self._sessions() as s:
            t = self._find(s, ref)
            rows = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
            return [EventView(at=e.at, actor=e.actor, kind=e.kind, data=dict(e.data or {})) for e in rows]

    # -- conversations --------------------------------------------------------------------------

    def conversation(self, channel: str, customer_ref: str, *, name: str = "") -> int:
        with self._sessions() as s:
            c = s.scalar(select(Conversation).where(Conversation.channel == channel,
                                                    Conversation.customer_ref == customer_ref))
            if c is not None:
                c.last_seen_at = self.now()
                if name and name != c.customer_name:
                    c.customer_name = name
                s.commit()
                return c.id
            c = Conversation(channel=channel, customer_ref=customer_ref, customer_name=name,
                             created_at=self.now(), last_seen_at=self.now())
            s.add(c)
            try:
                s.commit()
            except IntegrityError:  # another worker created it first
                s.rollback()
                found = s.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                               Conversation.customer_ref == customer_ref))
                if found is None:
                    raise
                return int(found)
            return c.id

    @on_fresh_state
    def language(self, conversation_id: int) -> str | None:
        """The customer's language kept on the conversation (ISO code), None until one is known."""
        with self._sessions() as s:
            return s.scalar(select(Conversation.language).where(Conversation.id == conversation_id))

    def set_language(self, conversation_id: int, language: str) -> None:
        """Keep ``language`` (ISO code) as the conversation's: its replies and notices speak it."""
        with self._sessions() as s:
            c = s.get(Conversation, conversation_id)
            if c is not None and c.language != language:
                c.language = language[:8]
                s.commit()

    def record(self, conversation_id: int, author: str, text: str, *, ticket_id: int | None = None,
               author_name: str = "", meta: dict[str, Any] | None = None, key: str = "") -> MessageView:
        """Store one message. With ``key`` (an idempotency key) the message is stored once: a second call
        with the same key stores nothing and returns the message the first one stored."""
        with self._sessions() as s:
            if key:
                found = self._keyed_message(s, key)
                if found is not None:
                    return message_view(found)
            m = Message(conversation_id=conversation_id, ticket_id=ticket_id, author=author,
                        author_name=author_name, text=text, meta=meta or {}, created_at=self.now())
            s.add(m)
            if author == "customer" and ticket_id is not None:
                self._customer_wrote(s, ticket_id)
            if key:
                s.flush()
                s.add(MessageKey(key=key[:200], message_id=m.id, created_at=self.now()))
            try:
                s.commit()
            except IntegrityError:  # the same key stored at the same moment by another worker: theirs stands
                s.rollback()
                found = self._keyed_message(s, key) if key else None
                if found is None:
                    raise
                return message_view(found)
            return message_view(m)

    @staticmethod
    def _keyed_message(s: Session, key: str) -> Message | None:
        row = s.get(MessageKey, key[:200])
        return s.get(Message, row.message_id) if row is not None else None

    def keyed_outcome(self, key: str) -> dict[str, Any] | None:
        """The outcome stored for an idempotency key once its message was fully handled, else None."""
        with self._sessions() as s:
            row = s.get(MessageKey, key[:200])
            return dict(row.outcome) if row is not None and row.outcome is not None else None

    def save_outcome(self, key: str, outcome: dict[str, Any]) -> None:
        """Remember what handling the keyed message gave (JSON-able), for a retry to return as it is."""
        with self._sessions() as s:
            row = s.get(MessageKey, key[:200])
            if row is not None:
                row.outcome = outcome
                s.commit()

    def prune_keys(self, before: datetime) -> int:
        """Delete idempotency records older than ``before`` (the periodic job, past the retention)."""
        with self._sessions() as s:
            n = s.execute(delete(MessageKey).where(MessageKey.created_at < before)).rowcount  # type: ignore[attr-defined]
            s.commit()
            return int(n or 0)

    def team_back_at(self, team: str) -> datetime | None:
        """When ``team``'s business hours start again, in the team's time zone, if it is outside them now
        (None: at work)."""
        cal = self.desk.sla.calendar(team)
        back = cal.opens_at(self.now())
        return back.astimezone(cal.tz) if back is not None else None

    def message_before(self, conversation_id: int, message_id: int) -> MessageView | None:
        """The conversation's message just before ``message_id`` (any author), if there is one."""
        with self._sessions() as s:
            m = s.scalar(select(Message).where(Message.conversation_id == conversation_id, Message.id < message_id)
                         .order_by(Message.id.desc()).limit(1))
            return message_view(m) if m is not None else None

    def customer_sent_since(self, channel: str, customer_ref: str, since: datetime) -> tuple[int, datetime | None]:
        """How many messages the customer wrote since ``since``, and when the oldest of them was."""
        with self._sessions() as s:
            n, oldest = s.execute(
                select(func.count(Message.id), func.min(Message.created_at))
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.channel == channel, Conversation.customer_ref == customer_ref,
                       Message.author == "customer", Message.created_at >= since)
            ).one()
            return int(n or 0), oldest

    def customer_messages(self, channel: str, customer_ref: str, *, after: int = 0) -> builtins.list[MessageView]:
        """What the customer should see (bot, agent, system) with id > ``after``: for pull channels."""
        with self._sessions() as s:
            conv = s.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                          Conversation.customer_ref == customer_ref))
            if conv is None:
                return []
            rows = s.scalars(select(Message).where(Message.conversation_id == conv, Message.id > after,
                                                   Message.author.in_(CUSTOMER_VISIBLE)).order_by(Message.id))
            return [message_view(m) for m in rows]

    def message_of(self, channel: str, customer_ref: str, message_id: int) -> MessageView | None:
        """Message ``message_id`` if it belongs to this customer's conversation on ``channel`` (None
        otherwise): a customer acts only on their own messages."""
        with self._sessions() as s:
            m = s.scalar(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                         .where(Message.id == message_id, Conversation.channel == channel,
                                Conversation.customer_ref == customer_ref))
            return message_view(m) if m is not None else None

    def history(self, channel: str, customer_ref: str, *, limit: int = 50) -> builtins.list[MessageView]:
        """The last ``limit`` messages of the customer's conversation that the customer saw (their own,
        the bot's, agents' replies, notices; never internal notes), oldest first: for a page reload."""
        with self._sessions() as s:
            conv = s.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                          Conversation.customer_ref == customer_ref))
            if conv is None:
                return []
            rows = list(s.scalars(select(Message).where(Message.conversation_id == conv,
                                                        Message.author.in_(("customer", *CUSTOMER_VISIBLE)))
                                  .order_by(Message.id.desc()).limit(max(1, limit))))
            return [message_view(m) for m in reversed(rows)]

    # -- tickets --------------------------------------------------------------------------------

    def open_ticket(self, conversation_id: int) -> TicketView | None:
        """The conversation's open ticket, or the open ticket its ticket was merged into (the merged
        customer's messages join it)."""
        with self._sessions() as s:
            t = s.scalar(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                              Ticket.status.in_(OPEN_STATES)).order_by(Ticket.id.desc()))
            if t is None:
                merged = s.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id,
                                                        Ticket.merged_into_id.is_not(None))
                                   .order_by(Ticket.id.desc()).limit(1)).first()
                target = self._followed(s, merged)
                t = target if target is not None and target.status in OPEN_STATES else None
            return ticket_view(t) if t else None

    @on_fresh_state
    def create_ticket(self, conversation_id: int, *, subject: str, label: str, confidence: float,
                      priority: str, impact: str, reason: str, transcript_messages: int = 20,
                      product: str = "") -> TicketView:
        with self._sessions() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                raise HandoffError(f"no conversation {conversation_id}")
            now = self.now()
            t = Ticket(conversation_id=conversation_id, channel=conv.channel, customer_ref=conv.customer_ref,
                       subject=subject[:2000], label=label, confidence=confidence, priority=priority,
                       impact=impact, reason=reason, status="new", created_at=now, updated_at=now)
            s.add(t)
            s.flush()
            t.public_id = self.public_id(t.id)
            recent = s.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.ticket_id.is_(None))
                               .order_by(Message.id.desc()).limit(transcript_messages)).all()
            for m in recent:
                m.ticket_id = t.id
            # attachments the customer sent before any ticket, however long ago, go with it
            for m in s.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.ticket_id.is_(None), Message.author == "customer")
                               .order_by(Message.id.desc()).limit(500)):
                if (m.meta or {}).get("attachments"):
                    m.ticket_id = t.id
            t.product = product
            routing = self._on_created(s, t)  # team, SLA due times, critical flag
            self._event(s, t.id, "bot", "created", label=label, priority=priority, impact=impact, reason=reason,
                        **routing)
            self._after_created(s, t)  # round-robin auto-assignment
            s.commit()
            return ticket_view(t)

    def get(self, ref: str | int) -> TicketView:
        with self._sessions() as s:
            return ticket_view(self._find(s, ref))

    def list(self, *, status: str | None = "open", limit: int = 200, team: str | None = None,
             assignee: str | None = None) -> builtins.list[TicketView]:
        with self._sessions() as s:
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
        with self._sessions() as s:
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
        with self._sessions() as s:
            t = self._find(s, ref)
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

    @on_fresh_state
    def reply(self, ref: str | int, agent: str, text: str) -> MessageView:
        """An agent's reply to the customer; the first reply assigns a new ticket to that agent."""
        if not text.strip():
            raise HandoffError("a reply needs text")
        with self._sessions() as s:
            t = self._find(s, ref)
            if t.status not in OPEN_STATES:
                raise TicketClosed(f"ticket {t.public_id} is {t.status}")
            if t.status == "new":
                t.status, t.assignee = "assigned", agent
                self._event(s, t.id, agent, "assigned", assignee=agent)
            t.updated_at = self.now()
            t.first_response_at = t.first_response_at or self.now()
            m = Message(conversation_id=t.conversation_id, ticket_id=t.id, author="agent", author_name=agent,
                        text=text.strip(), created_at=self.now())
            s.add(m)
            s.flush()
            self._copy_to_merged(s, t, m)
            self._event(s, t.id, agent, "replied", message_id=m.id)
            s.commit()
            return message_view(m)

    @on_fresh_state
    def note(self, ref: str | int, agent: str, text: str) -> MessageView:
        """An internal note: kept with the ticket, never shown to the customer."""
        with self._sessions() as s:
            t = self._find(s, ref)
            m = Message(conversation_id=t.conversation_id, ticket_id=t.id, author="note", author_name=agent,
                        text=text.strip(), created_at=self.now())
            s.add(m)
            s.flush()
            self._event(s, t.id, agent, "note", message_id=m.id)
            s.commit()
            return message_view(m)

    @on_fresh_state
    def resolve(self, ref: str | int, agent: str, resolution: str, *, notice: str) -> TicketView:
        """Resolve the ticket and leave ``notice`` for the customer in their conversation."""
        if not resolution.strip():
            raise HandoffError("resolving needs a resolution note")
        with self._sessions() as s:
            t = self._find(s, ref)
            if t.status not in OPEN_STATES:
                raise TicketClosed(f"ticket {t.public_id} is {t.status}")
            now = self.now()
            t.status, t.resolution, t.resolved_at, t.updated_at = "resolved", resolution.strip(), now, now
            t.assignee = t.assignee or agent
            self._on_resolved(s, t)
            m = Message(conversation_id=t.conversation_id, ticket_id=t.id, author="system", author_name=agent,
                        text=notice, created_at=now, meta={"kind": MessageKind.RESOLVED})
            s.add(m)
            s.flush()
            self._copy_to_merged(s, t, m)
            self._event(s, t.id, agent, "resolved", resolution=t.resolution)
            s.commit()
            return ticket_view(t)

    @on_fresh_state
    def claim(self, ref: str | int, agent: str) -> ClaimResult:
        """Take an open ticket; atomic on SQLite and PostgreSQL: of two agents at once, one wins."""
        with self._sessions() as s:
            t = self._find(s, ref)
            if t.status not in OPEN_STATES:
                raise TicketClosed(f"ticket {t.public_id} is {t.status}")
            res = s.execute(
                update(Ticket).where(Ticket.id == t.id, Ticket.assignee.is_(None))
                .values(assignee=agent, status="assigned", updated_at=self.now(), version=Ticket.version + 1)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount == 1:  # type: ignore[attr-defined]
                self._event(s, t.id, agent, "claimed", assignee=agent)
                s.commit()
                return ClaimResult(won=True, owner=agent)
            s.rollback()
            owner = s.scalar(select(Ticket.assignee).where(Ticket.id == t.id)) or ""
            return ClaimResult(won=owner == agent, owner=owner)

    @on_fresh_state
    def rate(self, ref: str | int, score: int, *, comment: str = "") -> None:
        """Store the customer's satisfaction (1-5) for a resolved ticket; a second rating replaces the first."""
        if not 1 <= int(score) <= 5:
            raise HandoffError("a rating is a whole number from 1 to 5")
        with self._sessions() as s:
            t = self._find(s, ref)
            if t.status not in ("resolved", "closed"):
                raise HandoffError(f"ticket {t.public_id} is not resolved yet")
            row = s.scalar(select(Satisfaction).where(Satisfaction.ticket_id == t.id))
            before = row.score if row is not None else None
            if row is None:
                s.add(Satisfaction(ticket_id=t.id, score=int(score), comment=comment, at=self.now()))
            else:
                row.score, row.comment, row.at = int(score), comment, self.now()
            if before is None:
                self._event(s, t.id, "customer", "rated", score=int(score), comment=comment)
            else:  # a correction replaces the rating; the trail keeps both
                self._event(s, t.id, "customer", "rating changed", score=int(score), previous=before,
                            comment=comment)
            low = self.desk.low_rating_alert
            alerted = s.scalar(select(Alert.id).where(Alert.ticket_id == t.id, Alert.kind == "low_rating").limit(1))
            if int(score) <= low and (before is None or before > low) and alerted is None:  # once per ticket
                said = f': "{comment[:200]}"' if comment else ""
                self._alert(s, "low_rating", "warning", f"{t.public_id} rated {int(score)}/5 by the customer{said}",
                            ticket=t, score=int(score), assignee=t.assignee or "")
            s.commit()

    def rating(self, ref: str | int) -> int | None:
        with self._sessions() as s:
            t = self._find(s, ref)
            return s.scalar(select(Satisfaction.score).where(Satisfaction.ticket_id == t.id))
