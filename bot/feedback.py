"""Answer feedback: a customer's press of "That helped" / "Talk to a person" under a bot answer, stored
once per answer, and read back as verdicts for reports and the unanswered-questions page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import insert_once
from bot.outbox_models import AnswerFeedback


def record_feedback(
    sessions: sessionmaker[Session], channel: str, customer: str, message_id: int, value: str, *, at: datetime
) -> bool:
    """Store ``value`` ('helped' or 'human') for the answer ``message_id`` at ``at`` (UTC); False when that
    answer already had feedback (the first press counts)."""
    return insert_once(
        sessions, AnswerFeedback(message_id=message_id, channel=channel, customer_ref=customer, value=value, at=at)
    )


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
