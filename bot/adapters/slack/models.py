"""The Slack adapter's own tables: the agents-channel thread of each ticket and the event ids already
handled. They share the push channels' metadata (:class:`bot.db.ChannelBase`), so one
migration history creates them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import ChannelBase
from handoff.models import UTCDateTime, utcnow


class AgentThread(ChannelBase):
    """The agents-channel message (and its thread) of one ticket."""

    __tablename__ = "agent_threads"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_agent_thread"),)

    ticket_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    through_message_id: Mapped[int] = mapped_column(
        Integer, default=0
    )  # messages up to this id are in the post
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeenEvent(ChannelBase):
    """Slack event ids already handled: retries of one event are dropped."""

    __tablename__ = "slack_seen_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
