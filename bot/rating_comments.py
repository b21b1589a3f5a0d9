"""What a customer says right after rating a resolved ticket: a comment on the service ("it took a bit long
though", "the agent was very kind", "terrible", "좀 느렸어요", "별로예요", "상담원분이 친절했어요") is kept with the
rating for the team and thanked; it reopens nothing and opens no ticket. The classifier reads such words as a
fault or a complaint ("좀 느렸어요" is nearest to the fault examples) or as asking for a person ("the agent
was very kind"), so without this step the resolved ticket was reopened and its SLA clock restarted. A message
that names a trouble ("the camera is offline again"), states a failure ("렌즈가 깨졌어요", "5 cameras are broken
now"), asks something, asks for a person or brings up something else goes the normal way. A complaint about the
response time any time after the resolution ("why did it take so long to reply?", "왜 이렇게 답장이 늦어요?") is
feedback on the service too: kept on the ticket (:func:`take_service_feedback`), never a fault ticket."""

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
FEEDBACK_NOTE = "Customer feedback on the service after the resolution"
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


# a complaint about how long the team took to answer: "why did it take so long to reply?", "it took you 3 days to
# answer", "the response was so slow", "왜 이렇게 답장이 늦어요?", "답변이 너무 오래 걸렸어요", "너무 오래 기다렸어요"
_SERVICE = (r"(?:repl(?:y|ied|ies)|respon(?:d|ded|se|ses)|answer(?:ed|s)?|get(?:ting)?\s+back|got\s+back"
            r"|hear(?:d)?\s+back|fix(?:ed)?|resolv(?:e|ed)|sort(?:ed)?|support|you(?:\s+guys)?|your\s+team|agent)")
_WAITED = re.compile(
    rf"\b(?:took|take|taking|takes)\s+(?:(?:you|so|too|way|such\s+a|this|that|a)\s+)*(?:long|while|forever|\d+\s+"
    rf"(?:days?|hours?|weeks?))\b[^.?!]*\b{_SERVICE}\b"
    rf"|\b{_SERVICE}\b[^.?!]*\b(?:so|too|very|really|pretty)\s+(?:slow|late|long)\b"
    rf"|\b(?:slow|late|delayed)\s+(?:repl(?:y|ies)|respons(?:e|es)|answers?|support)\b"
    r"|\b(?:waited|waiting)\s+(?:so|too|way)\s+long\b"
    r"|(?:답장|답변|응답|회신|연락|처리|해결|상담|대응)[가-힣]*\s*(?:왜\s*)?(?:이렇게|너무|좀|엄청|되게|많이|진짜|정말)?\s*"
    r"(?:늦|느리|느려|느렸|오래)"
    r"|왜\s*(?:이렇게|그렇게)\s*(?:늦|오래)|(?:너무|이렇게|엄청|한참)\s*(?:오래\s*)?기다렸",
    re.IGNORECASE)


def complains_of_wait(text: str) -> bool:
    """Whether ``text`` complains about how long the team took to answer or fix ("why did it take so long to
    reply?", "왜 이렇게 답장이 늦어요?") and says nothing of a trouble (named, stated, back, or not helped): feedback
    on the service, not a fault. "why does the app take so long to load?" names no reply and is not."""
    m = _WAITED.search(text)
    if m is None:
        return False
    rest = f"{text[:m.start()]} {text[m.end():]}"  # "응답이 왜 이렇게 느려요?": the slowness is the reply's
    return not (troubles(rest) or states_failure(rest) or _EN_FAILS.search(rest) or recurs(rest)
                or says_not_helped(rest) or something_else(rest))


def take_service_feedback(handoff: Handoff, replies: Replies, conv: int, msg: IncomingMessage, text: str, *,
                          language: str | None = None) -> Outcome | None:
    """Keep a complaint about the response time (:func:`complains_of_wait`) made after a resolution as feedback on
    the conversation's resolved ticket: added to its rating's comment when it was rated, else an internal note
    (``FEEDBACK_NOTE``) the team sees on the ticket; the customer is thanked and told so (template
    ``service_feedback``), the ticket stays resolved and no ticket is opened. None when ``text`` is no such
    complaint or no resolved ticket awaits a rating."""
    if not complains_of_wait(text):
        return None
    t = handoff.awaiting_rating(conv)
    if t is None:
        return None
    m = handoff.record(conv, "customer", text, ticket_id=t.id, author_name=msg.customer_name,
                       meta={"service_feedback": True}, key=msg.key)
    if handoff.rating(t.id) is not None:
        handoff.comment_rating(t.id, text)
    else:
        handoff.note(t.id, "Aftercare", f"{FEEDBACK_NOTE}: {text[:500]}")
    out = replies.render("service_feedback", ticket_id=t.public_id, language=language)
    handoff.record(conv, "bot", out, ticket_id=t.id, meta={"kind": MessageKind.REPLY},
                   key=f"{msg.key}#reply" if msg.key else "")
    return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="reply", ticket_id=t.public_id,
                   reason="feedback on the response time after the resolution: kept on the ticket", message_id=m.id)
