"""Satisfaction typed as text: after a resolution the customer is asked for a 1-5 rating; on channels
without buttons (web chat, terminal) a reply that is just a number, optionally followed by a comment,
answers it. Knows no platform: the pipeline asks it before the resolved ticket would reopen."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.messages import IncomingMessage, Outcome, Reply
from bot.replies import Replies
from handoff.service import Handoff

# "4", "4/5", "4 stars", "5! quick fix", "3 - slow but fine" (the rest is the comment); not "4.2", "45"
_RATING = re.compile(
    r"^\s*([1-5])(?!\d)(?:\s*/\s*5)?(?:\s*(?:stars?|점))?(?![\d.,]\d)\s*[-:;,.!)]*\s*(.*)$", re.S | re.I
)


@dataclass(frozen=True)
class TypedRating:
    score: int
    comment: str


def parse_rating(text: str) -> TypedRating | None:
    """A typed rating: a whole number 1-5 first, the rest is the comment."""
    m = _RATING.match(text)
    if m is None:
        return None
    return TypedRating(int(m.group(1)), m.group(2).strip()[:2000])


def take_rating(handoff: Handoff, replies: Replies, conv: int, msg: IncomingMessage, text: str) -> Outcome | None:
    """Store ``text`` as the rating of the conversation's resolved ticket when it is one; the ticket
    stays resolved. None when the message is not a rating (or nothing was asked)."""
    rating = parse_rating(text)
    if rating is None:
        return None
    t = handoff.awaiting_rating(conv)
    if t is None:
        return None
    m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name,
                       meta={"rating": rating.score})
    handoff.rate(t.id, rating.score, comment=rating.comment)
    out = replies.render("rated", ticket_id=t.public_id, score=rating.score)
    handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": "rated"})
    return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="rated", ticket_id=t.public_id,
                   reason=f"satisfaction {rating.score}/5", message_id=m.id)
