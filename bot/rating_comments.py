"""What a customer says right after rating a resolved ticket: a comment on the service ("it took a bit long
though", "the agent was very kind", "terrible", "좀 느렸어요", "별로예요", "상담원분이 친절했어요") is kept with the
rating for the team and thanked; it reopens nothing and opens no ticket. The classifier reads such words as a
fault or a complaint ("좀 느렸어요" is nearest to the fault examples) or as asking for a person ("the agent
was very kind"), so without this step the resolved ticket was reopened and its SLA clock restarted. A message
that names a trouble ("the camera is offline again"), states a failure ("렌즈가 깨졌어요", "5 cameras are broken
now"), asks something, asks for a person or brings up something else goes the normal way."""

from __future__ import annotations

import re

import numpy as np

from bot.messages import IncomingMessage, Outcome, Reply
from bot.replies import Replies
from classifier.router import UNSURE, Decision
from classifier.specifics import goes_on, states_failure
from classifier.troubles import recurs, says_not_helped, something_else, troubles
from handoff.conversations import LAST_ID
from handoff.models import MessageKind, message_kind
from handoff.service import Handoff

COMMENT_WORDS = 40  # a comment on a rating is at most this many words
# English that states something is broken (Korean: classifier.specifics.states_failure)
_EN_FAILS = re.compile(r"\b(?:broken|broke|cracked|damaged|not\s+working|(?:does|do|did|is|are|was|were)n'?t\s+"
                       r"(?:work|working|turn|charge|connect|record|load|open)|won'?t|can'?t|cannot|stopped|error"
                       r"|fail\w*|leak\w*|smok\w*|burn\w*|overheat\w*|dead)\b", re.IGNORECASE)
# asking to talk to someone, not speaking of the one who helped ("the agent was very kind")
_ASKS_PERSON = re.compile(r"\b(?:talk|speak|chat)\s+(?:to|with)\b|\bconnect\s+me\b|\bcall\s+me\b|\bget\s+me\b"
                          r"|\b(?:want|need)\s+(?:a|an|to\s+talk)\b|/human|연결\s*(?:해|좀|부탁)|바꿔\s*주|통화\s*(?:하고|원해)"
                          r"|(?:얘기|이야기)\s*하고", re.IGNORECASE)


def reads_as_comment(text: str, decision: Decision) -> bool:
    """Whether ``text`` (decided as ``decision``) can be a comment on the service rather than a question for
    the bot, a request for a person, or a trouble: short (at most ``COMMENT_WORDS`` words), no question mark,
    not answered from the knowledge base nor a courtesy the bot replies to, naming no kind of trouble
    (:func:`classifier.troubles.troubles`), stating no failure, not saying the trouble is back or goes on or the
    help did not work, and not bringing up something else."""
    if decision.action == "answer" or (decision.action == "reply" and decision.label != UNSURE) or "?" in text \
            or len(text.split()) > COMMENT_WORDS:
        return False  # a question the bot answers; thanks ("great, thanks!") is thanked as it was
    return not (troubles(text) or states_failure(text) or _EN_FAILS.search(text) or _ASKS_PERSON.search(text)
                or recurs(text) or goes_on(text) or says_not_helped(text) or something_else(text))


# a new score said in words right after a rating: "actually make that 5", "change my rating to 2", "아 5점 말고
# 3점이요", "사실 2점이에요", "4점으로 바꿀게요"
_CORRECTION = re.compile(
    r"\b(?:make\s+(?:it|that)|change\s+(?:it|that|my\s+(?:rating|score))\s+to|(?:rating|score)\s+(?:should\s+be|to)"
    r"|(?:it'?s|it\s+is)\s+(?:actually\s+)?(?:a|an))\s+(?P<n>[1-5])(?:\s*/\s*5|\s+stars?)?\b"
    r"|(?:말고|아니라|아니고|사실은?|다시)\s*(?P<k>[1-5])\s*점|(?P<j>[1-5])\s*점\s*으로\s*(?:바꿀|바꿔|정정|수정|변경)",
    re.IGNORECASE)


def corrected_score(text: str) -> int | None:
    """The new 1-5 score a message right after a rating gives in words (``_CORRECTION``), else None."""
    m = _CORRECTION.search(text)
    if m is None:
        return None
    return int(m.group("n") or m.group("k") or m.group("j"))


def take_rating_comment(handoff: Handoff, replies: Replies, conv: int, msg: IncomingMessage, text: str,
                        decided: tuple[Decision, np.ndarray | None], *, language: str | None = None) -> Outcome | None:
    """Keep ``text`` as a comment on the rating the customer has just given (the conversation's last message
    is the bot's thanks for it) when it reads as one (:func:`reads_as_comment`): added to the rating's
    comment, the trail records it, the customer is thanked (template ``rating_comment``) and the ticket stays
    resolved. None otherwise (the message goes the normal way)."""
    if not reads_as_comment(text, decided[0]):
        return None
    t = handoff.awaiting_rating(conv)
    if t is None or handoff.rating(t.id) is None:
        return None
    last = handoff.message_before(conv, LAST_ID)
    if last is None or last.author != "bot" or message_kind(last.meta) is not MessageKind.RATED:
        return None
    new = corrected_score(text)
    if new is not None:  # "actually make that 5": the rating is corrected, as "I meant 5" corrects it
        given = handoff.rating(t.id)
        m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name,
                           meta={"rating": new}, key=msg.key)
        handoff.rate(t.id, new)
        out = replies.render("rated", ticket_id=t.public_id, score=new, said="",
                             replaced=given if given is not None and given != new else None, language=language)
        handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": MessageKind.RATED},
                       key=f"{msg.key}#reply" if msg.key else "")
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="rated", ticket_id=t.public_id,
                       reason=f"satisfaction corrected to {new}/5", message_id=m.id)
    m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name,
                       meta={"rating_comment": True}, key=msg.key)
    score = handoff.comment_rating(t.id, text)
    out = replies.render("rating_comment", ticket_id=t.public_id, score=score, language=language)
    handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": MessageKind.RATED, "rating_comment": True},
                   key=f"{msg.key}#reply" if msg.key else "")
    return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="rated", ticket_id=t.public_id,
                   reason=f"a comment on the {score}/5 rating, kept with it", message_id=m.id)
