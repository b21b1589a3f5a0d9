"""Tables of the push channels: the outbox (deliveries and its cursor), answer feedback, and the inbox
of raw platform updates. The Slack adapter's own tables (agent threads, seen event ids) are in
:mod:`bot.adapters.slack.models` on the same metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handoff.models import UTCDateTime, utcnow


class ChannelBase(DeclarativeBase):
    pass


class OutboxCursor(ChannelBase):
    """How far the dispatcher has read the messages table."""

    __tablename__ = "outbox_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, default=0)


class Delivery(ChannelBase):
    """One message to one push target; unique per (message, target), so it is enqueued once."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "target", name="uq_delivery_message_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(Integer, index=True)
    target: Mapped[str] = mapped_column(String(32))  # telegram | slack | agents
    key: Mapped[str] = mapped_column(String(64), default="")  # ordering key: one conversation or ticket
    status: Mapped[str] = mapped_column(
        String(16), default="pending", index=True
    )  # pending|sending|sent|skipped|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnswerFeedback(ChannelBase):
    """A customer's press of "That helped" / "Talk to a person" under an answer."""

    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("message_id", name="uq_feedback_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    customer_ref: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(16))  # helped | human
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboundUpdate(ChannelBase):
    """A platform update (Telegram update, Slack event or button press) stored raw before it is
    acknowledged, then processed from here: a restart finishes what was acknowledged."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_inbound_source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))  # telegram | slack
    external_id: Mapped[str] = mapped_column(String(128))  # update_id, event_id, trigger_id
    content_type: Mapped[str] = mapped_column(String(100), default="application/json")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|processing|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DeliveredPiece(ChannelBase):
    """One piece of a message split for a platform's length limit, sent: a retry after a later piece
    failed sends only the pieces not sent yet, so each piece is a delivery of its own."""

    __tablename__ = "delivered_pieces"

    message_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    piece: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
