"""Tables of the handoff side: conversations, their messages, tickets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from handoff.clock import as_utc, system_clock

TICKET_STATES = ("new", "assigned", "waiting", "resolved", "closed")
OPEN_STATES = ("new", "assigned", "waiting")
AUTHORS = ("customer", "bot", "agent", "note", "system")
# ``Message.meta`` key of the bot's reply to a message it flagged as a different issue on an open ticket: the id
# of that customer message (never a phrasing of the ticket's draft)
NEW_ISSUE = "new_issue"
NEW_ISSUE_NOTE = "Possibly a new issue"  # how the agent's internal note about such a message starts


utcnow = system_clock  # column defaults: rows the desk writes take their time from its clock


class MessageKind(StrEnum):
    """What a stored bot or system message is, kept in ``Message.meta["kind"]``: the outbox, the
    channels' buttons, drafts and reports branch on it. Read it with :func:`message_kind`."""

    ANSWER = "answer"  # the bot answered with a solved case (``meta["case_id"]``)
    REPLY = "reply"  # a label's template (thanks, greeting, "say more")
    CLARIFY = "clarify"  # "did you mean...?": ``meta["options"]`` case ids, offered as buttons
    ESCALATE = "escalate"  # the bot opened a ticket and told the customer
    RATED = "rated"  # the bot thanked for a rating
    RESOLVED = "resolved"  # the ticket's resolution notice (system), with the rating question
    ASK_WHAT = "ask_what"  # a vague first message: "what are you trying to do, and what happens?"
    ATTACHMENT_KEPT = "attachment_kept"  # an attachment before any words, kept for the next ticket
    OTHER = "other"  # a kind this version does not know


def message_kind(meta: Mapping[str, Any] | None) -> MessageKind | None:
    """The kind of a message from its ``meta``; None when it has none (a 'joined your ticket'
    acknowledgement, a customer's or an agent's message). Resolution notices stored before the kind
    existed carry ``{"event": "resolved"}`` and read as :attr:`MessageKind.RESOLVED`."""
    meta = meta or {}
    raw = meta.get("kind")
    if not raw:
        return MessageKind.RESOLVED if meta.get("event") == "resolved" else None
    try:
        return MessageKind(str(raw))
    except ValueError:
        return MessageKind.OTHER


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored with its zone and always read back as an aware UTC datetime; the one
    timestamp column type of every table (the desk's, the channels', the console's).

    SQLite keeps no zone and hands back naive values: they are the UTC they were stored as. A value
    written (or compared against) is turned into UTC first; a naive one is taken as UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _to_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _to_utc(value)


def _to_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    """One customer on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "customer_ref", name="uq_conversation_customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    customer_ref: Mapped[str] = mapped_column(String(200))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the language the customer writes in (ISO code), detected per message; None until known
    language: Mapped[str | None] = mapped_column(String(8), default=None)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    customer_ref: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str] = mapped_column(String(64), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    impact: Mapped[str] = mapped_column(String(16), default="single")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    assignee: Mapped[str | None] = mapped_column(String(120), default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # the desk: queue, SLA clocks, problem and merge links (handoff/lifecycle.py, handoff/sla.py)
    product: Mapped[str] = mapped_column(String(120), default="", server_default="")
    team: Mapped[str] = mapped_column(String(64), default="", server_default="")
    problem_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    merged_into_id: Mapped[int | None] = mapped_column(Integer, default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sla_paused_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    sla_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    subject_vector: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # the encoder that made subject_vector (a language-routed pair has two): only vectors of one model compare
    subject_model: Mapped[str | None] = mapped_column(String(120), default=None)
    # bumped by every change: an UPDATE names the version it read, so of two changes made from the same
    # state one wins and the other is re-decided on the new state (handoff.service.on_fresh_state)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    conversation: Mapped[Conversation] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Message(Base):
    """Everything said in a conversation, by anyone; ``ticket_id`` once a ticket holds it."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True, default=None)
    author: Mapped[str] = mapped_column(String(16))
    author_name: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketEvent(Base):
    """The audit trail: every change to a ticket, with who, what and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Satisfaction(Base):
    """A customer's rating (1-5) of a resolved ticket, with an optional comment."""

    __tablename__ = "satisfaction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageKey(Base):
    """An incoming message's idempotency key (a platform's update or event id, a web client's key) and
    the stored message it produced, then the outcome: a retry finds both and repeats nothing."""

    __tablename__ = "message_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
