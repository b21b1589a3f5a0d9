"""A rating typed when there is nothing to rate ("5점 드릴게요", "5 stars", "I'd give you 4 out of 5", "100점" with
no resolved ticket in the conversation): the customer is told there is nothing to rate right now and how to get
help; no ticket is opened for it (the classifier read such words as a fault or a question for a person). A
bare number ("3", "five") is left alone: it may answer something else."""

from __future__ import annotations

import re

from bot.messages import IncomingMessage, Outcome, Reply
from bot.ratings import parse_rating
from bot.replies import Replies
from handoff.models import MessageKind
from handoff.service import Handoff

# what marks a number as a rating: a unit, a scale or the words of giving one
_MARKED = re.compile(r"점|별|개|[★⭐🌟%/]|퍼센트|드릴|줄게|평가|만족"
                     r"|\b(?:stars?|out\s+of|of|rat(?:e|ing)|give|gave|score|percent)\b", re.I)


def nothing_to_rate(handoff: Handoff, replies: Replies, conv: int, msg: IncomingMessage, text: str, *,
                    language: str | None = None) -> Outcome | None:
    """When ``text`` is a rating marked as one (``_MARKED``: "5점 드릴게요", "4 stars", "70%") and conversation
    ``conv`` has no resolved ticket awaiting a rating: the message is stored, the customer is told there is
    nothing to rate (template ``nothing_to_rate``) and the Outcome is a reply with no ticket. None otherwise."""
    if parse_rating(text) is None or not _MARKED.search(text) or handoff.awaiting_rating(conv) is not None:
        return None
    m = handoff.record(conv, "customer", text, author_name=msg.customer_name, key=msg.key)
    out = replies.render("nothing_to_rate", language=language)
    handoff.record(conv, "bot", out, meta={"kind": MessageKind.REPLY}, key=f"{msg.key}#reply" if msg.key else "")
    return Outcome(replies=[Reply(out)], action="reply", message_id=m.id,
                   reason="a rating with nothing to rate: no resolved ticket awaits one")
