"""The outbox's tables: its cursor over the messages table, one delivery per message and push target,
and the pieces of a split message already sent. They are on :class:`bot.db.ChannelBase` with the
bot's other tables (the inbox, answer feedback, Slack's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import ChannelBase
from handoff.models import UTCDateTime, utcnow


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


class DeliveredPiece(ChannelBase):
    """One piece of a message split for a platform's length limit, sent: a retry after a later piece
    failed sends only the pieces not sent yet, so each piece is a delivery of its own."""

    __tablename__ = "delivered_pieces"

    message_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    piece: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
