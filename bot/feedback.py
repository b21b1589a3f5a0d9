"""Answer feedback: a customer's press of "That helped" / "Talk to a person" under a bot answer, stored
once per answer, and read back as verdicts for reports and the unanswered-questions page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import ChannelBase, insert_once
from handoff.models import UTCDateTime, utcnow


class AnswerFeedback(ChannelBase):
    """A customer's press of "That helped" / "Talk to a person" under an answer."""

    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("message_id", name="uq_feedback_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    customer_ref: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(16))  # helped | human | pick:<option index or none>
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def record_feedback(
    sessions: sessionmaker[Session], channel: str, customer: str, message_id: int, value: str, *, at: datetime
) -> bool:
    """Store ``value`` ('helped' or 'human') for the answer ``message_id`` at ``at`` (UTC); False when that
    answer already had feedback (the first press counts)."""
    return insert_once(
        sessions, AnswerFeedback(message_id=message_id, channel=channel, customer_ref=customer, value=value, at=at)
    )


def verdict_of(sessions: sessionmaker[Session], message_id: int) -> str | None:
    """The verdict stored on one bot message (``helped``, ``human``, a "did you mean...?" pick
    ``pick:<choice>``), or None."""
    with sessions() as s:
        return s.scalar(select(AnswerFeedback.value).where(AnswerFeedback.message_id == message_id))


def answer_verdicts(sessions: sessionmaker[Session], since: datetime) -> dict[int, str]:
    """Customers' verdicts on bot answers since ``since``: answer message id -> 'helped' | 'human'."""
    with sessions() as s:
        rows = s.execute(
            select(AnswerFeedback.message_id, AnswerFeedback.value).where(AnswerFeedback.at >= since)
        )
        return {int(mid): str(v) for mid, v in rows}


def verdicts_of(sessions: sessionmaker[Session], message_ids: Iterable[int]) -> dict[int, str]:
    """The verdicts already given on these answers: answer message id -> 'helped' | 'human'."""
    ids = list(message_ids)
    if not ids:
        return {}
    with sessions() as s:
        rows = s.execute(
            select(AnswerFeedback.message_id, AnswerFeedback.value).where(AnswerFeedback.message_id.in_(ids))
        )
        return {int(mid): str(v) for mid, v in rows}
