"""A ticket number typed by the customer ("AC-000001" alone, "AC-000005 어떻게 됐어요?", "any update on ac-42?",
"AC-000003 진행 상황 알려주세요"): answered with that ticket's status when it is theirs (the same channel and
customer); another customer's ticket, or one that does not exist, is "I can't find that ticket among yours", the
same words for both, so nothing of another customer's ticket is revealed. No ticket opens for it. A ticket number
in a message that says more ("AC-000001 the camera is broken again") goes the usual way. A number without the
prefix counts after "ticket" or "#" ("what about ticket 000003", "ticket 46 status", "#46", "티켓 46번"), and "my
ticket" asked after ("what happened with my ticket?", "내 티켓 어떻게 됐어요?") is the conversation's newest ticket
when none is open. A ticket merged into another counts as theirs for its customer ("AC-000021?" after their
AC-000023 was merged into it), and a merged ticket whose target is resolved is told resolved."""

from __future__ import annotations

import re

from bot.messages import IncomingMessage, Outcome, Reply
from bot.replies import Replies
from classifier.specifics import chases
from handoff.errors import TicketNotFound
from handoff.models import MessageKind
from handoff.service import Handoff
from handoff.views import TicketView

# asking how a ticket is going: "status?", "any update", "what happened", "어떻게 됐어요", "진행 상황", "처리됐나요"
_ABOUT_STATUS = re.compile(
    r"\b(?:status|update|updates|progress|news|what'?s\s+happening|what\s+happened|how'?s\s+it\s+going|how\s+is\s+it"
    r"(?:\s+going)?|any\s+word|where\s+(?:is|are)|is\s+it\s+(?:fixed|done|resolved|sorted)|check(?:ing)?\s+on|about)\b"
    r"|어떻게\s*(?:됐|되었|되고|돼|되어|되나|진행)|진행|상태|처리|언제|소식|확인|됐나요|되었나요|어떻게요", re.I)
_FILLER = re.compile(r"^[\s\W]*(?:ticket|티켓|번호|no\.?|number|#|please|pls|hi|hello|안녕하세요|저기요|혹시)*[\s\W]*$",
                     re.I)


# "my ticket", "our request", "내 티켓", "제 문의": the customer's ticket without its number
_MY_TICKET = re.compile(r"\b(?:my|our)\s+(?:support\s+)?(?:ticket|request|case|complaint)\b"
                        r"|(?:내|제|저의|나의)\s*(?:티켓|문의|접수|요청|신고)", re.I)


def ticket_refs(prefix: str) -> re.Pattern[str]:
    """The pattern of a ticket id with ``prefix`` as customers type it ("AC-000001", "ac-42", "AC 000042"), or
    a bare number after "ticket"/"#" ("ticket 000003", "ticket #46", "#46", "티켓 46번"); group 1 is the digits."""
    return re.compile(rf"(?<![\w-])(?:{re.escape(prefix)}[-\s]?|(?:ticket|티켓|case)\s*(?:no\.?\s*|number\s*|번호\s*)?"
                      rf"#?\s*|#\s?)(\d{{1,9}})(?:번)?(?![\w-])", re.I)


def asks_about_my_ticket(text: str) -> bool:
    """Whether ``text`` asks after "my ticket" without a number ("what happened with my ticket?", "any news on
    my ticket", "내 티켓 어떻게 됐어요?"): it names it and asks its status or chases it, in ten words at most."""
    m = _MY_TICKET.search(text)
    if m is None or len(text.split()) > 10:
        return False
    rest = f"{text[:m.start()]} {text[m.end():]}"
    # "about" alone asks nothing here: "my ticket was about the camera, it's broken again" goes the usual way
    return any(w.group(0).lower() != "about" for w in _ABOUT_STATUS.finditer(rest)) or chases(text)


def asks_about_ticket(text: str, prefix: str) -> str | None:
    """The ticket id ``text`` asks about ("AC-000001" alone, or with words asking its status at most ten words
    long), as typed; None when it names none or says more than that."""
    refs = list(ticket_refs(prefix).finditer(text))
    if len(refs) != 1:
        return None
    ref = refs[0]
    rest = f"{text[:ref.start()]} {text[ref.end():]}"
    if _FILLER.match(rest):
        return ref.group(0)
    if len(rest.split()) <= 10 and (_ABOUT_STATUS.search(rest) or chases(rest)):
        return ref.group(0)
    return None


def take_ticket_ref(handoff: Handoff, replies: Replies, conv: int, msg: IncomingMessage, text: str, *,
                    language: str | None = None) -> Outcome | None:
    """The reply to a message asking about a ticket by its number (:func:`asks_about_ticket`): its status
    (template ``ticket_status``) when the ticket is this customer's on this channel, recorded on it; else
    template ``ticket_unknown`` naming the number as typed. None when the message asks about no ticket."""
    typed = asks_about_ticket(text, handoff.id_prefix)
    t: TicketView | None = None
    if typed is None:
        if not asks_about_my_ticket(text) or handoff.open_ticket(conv) is not None:
            return None  # "my ticket" while one is open: chasing it, it joins the ticket
        t = handoff.latest_ticket(conv)
        if t is None:
            return None
        typed = t.public_id
    else:
        digits = re.sub(r"\D", "", typed)
        typed = f"{handoff.id_prefix}-{int(digits):06d}" if not typed.upper().startswith(handoff.id_prefix) \
            else typed
        try:
            t = handoff.get(f"{handoff.id_prefix}-{digits}")
        except TicketNotFound:
            t = None
    if t is not None and (t.channel != msg.channel or t.customer_ref != msg.customer) \
            and not handoff.merged_from(t.id, msg.channel, msg.customer):
        t = None  # another customer's (and none of theirs merged into it): the same answer as no such ticket
    m = handoff.record(conv, "customer", text, ticket_id=t.id if t else None, author_name=msg.customer_name,
                       key=msg.key)
    if t is None:
        out = replies.render("ticket_unknown", ticket_id=typed.upper(), language=language)
    else:
        status, resolution, into = t.status, t.resolution or "", ""
        if t.merged_into_id is not None:
            target = handoff.get(t.merged_into_id)
            if target.status in ("resolved", "closed"):  # handled there, and done: told as resolved
                status, resolution = target.status, target.resolution or resolution
            else:
                into = target.public_id
        out = replies.render("ticket_status", ticket_id=t.public_id, subject=t.subject[:120], status=status,
                             resolution=resolution, merged_into=into, language=language)
    handoff.record(conv, "bot", out, ticket_id=t.id if t else None, meta={"kind": MessageKind.REPLY},
                   key=f"{msg.key}#reply" if msg.key else "")
    return Outcome(replies=[Reply(out, ticket_id=t.public_id if t else None)], action="reply",
                   ticket_id=t.public_id if t else None, message_id=m.id,
                   reason=f"asks about ticket {t.public_id}: its status told" if t else
                   "asks about a ticket that is not this customer's: not found")
