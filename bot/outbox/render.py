"""What a customer sees on a push channel, and what their button presses do. Knows no platform:
buttons are (label, action id) pairs that each adapter turns into its own widgets."""

from __future__ import annotations

import re

from bot.app import Aftercare
from bot.feedback import record_feedback
from bot.flow.clarify import PICK, Clarifier, clarify_buttons
from bot.messages import Reply
from bot.workflows import escalate_to_person
from handoff.errors import HandoffError
from handoff.models import MessageKind
from handoff.views import MessageView, TicketView

HELPED = "That helped"  # the answer buttons' labels in English; each language's are templates button_*.j2
HUMAN = "Talk to a person"


def render(ac: Aftercare, m: MessageView, ticket: TicketView | None, *, language: str | None = None) -> Reply:
    """The text and buttons of one customer-visible message, in the conversation's language (``language``
    when the caller knows it, else read from the conversation)."""
    lang = language or ac.handoff.language(m.conversation_id)
    if m.author == "agent":
        return Reply(ac.replies.render("agent_reply", agent=m.author_name or "Support", text=m.text, language=lang),
                     kind="agent")
    # a merged customer's copy of the notice (no ticket) rates their own merged ticket (handoff.links)
    rated = ticket.public_id if ticket is not None else str(m.meta.get("own_ticket") or "")
    if m.author == "system" and m.kind is MessageKind.RESOLVED and rated:
        ask = ac.replies.render("rate_ask", language=lang)
        text = m.text if ask in m.text else f"{m.text}\n\n{ask}"  # bot.workflows puts the question in the notice
        return Reply(text, kind="system", ticket_id=rated, buttons=[(str(n), f"rate:{rated}:{n}") for n in range(1, 6)])
    if m.author == "bot" and m.kind is MessageKind.CLARIFY:
        labels = [str(x) for x in m.meta.get("option_labels") or m.meta.get("options") or []]
        return Reply(m.text, buttons=clarify_buttons(m.id, labels, ac.replies.render("clarify_none", language=lang)))
    if m.author == "bot" and m.kind is MessageKind.ANSWER:
        return Reply(m.text, case_id=m.meta.get("case_id"),
                     buttons=[(ac.replies.render("button_helped", language=lang), f"fb:helped:{m.id}"),
                              (ac.replies.render("button_human", language=lang), f"fb:human:{m.id}")])
    return Reply(m.text, kind="system" if m.author == "system" else "bot")


def pressed_message(action: str) -> int | None:
    """The id of the message whose button ``action`` is (``fb:<verdict>:<id>``, ``pick:<id>:<choice>``);
    None for a rating or an action naming no message."""
    kind, _, rest = action.partition(":")
    ref = rest.partition(":")[2] if kind == "fb" else rest.partition(":")[0] if kind + ":" == PICK else ""
    return int(ref) if ref.isascii() and ref.isdigit() and len(ref) < 19 else None


_ACTION = re.compile(r"(?:fb:(?:helped|human):\d{1,18}|rate:[^:\s]{1,40}:[1-5]|"
                     r"pick:\d{1,18}:(?:\d|none))", re.ASCII)


def action_problem(action: str) -> str | None:
    """Why ``action`` is none of the buttons' actions (``fb:helped:<id>``, ``fb:human:<id>``,
    ``rate:<ticket>:<1-5>``, ``pick:<id>:<option|none>``), for a 400; None when it is one of them."""
    if _ACTION.fullmatch(action):
        return None
    kind = action.partition(":")[0]
    if kind not in ("fb", "rate", "pick"):
        return f"unknown button action {action[:40]!r}: expected fb:helped:<id>, fb:human:<id>, " \
               "rate:<ticket>:<1-5> or pick:<id>:<option|none>"
    shapes = {"fb": "fb:helped:<id> or fb:human:<id>", "rate": "rate:<ticket>:<1-5>", "pick": "pick:<id>:<option|none>"}
    return f"malformed button action {action[:40]!r}: expected {shapes[kind]}"


def press_problem(ac: Aftercare, channel: str, customer: str, action: str) -> str | None:
    """Why a well-formed press (:func:`action_problem` found none) cannot be acted on, for a 400: a rating
    (``rate:<ticket>:<n>``) of a ticket that does not exist or is not this customer's (the same words for
    both: nobody learns of another's ticket), or of one not resolved yet; feedback (``fb:...:<id>``) on a
    message that is not an answer this customer was given; a pick (``pick:<id>:<choice>``) under a message
    that is not this customer's "did you mean...?" or of a choice it did not offer. None when it can be."""
    kind, _, rest = action.partition(":")
    if kind in ("fb", "pick"):
        first, _, last = rest.partition(":")
        mid = last if kind == "fb" else first
        m = ac.handoff.message_of(channel, customer, int(mid)) if mid.isdigit() and int(mid) < 2**31 else None
        if kind == "fb" and (m is None or m.author != "bot" or m.meta.get("kind") != "answer"):
            return f"no answer {mid} of yours to give feedback on"
        if kind == "pick" and (m is None or not Clarifier.pickable(m, last)):
            return f"no choice {last!r} under a \"did you mean\" message {mid} of yours"
        return None
    if kind != "rate":
        return None
    ref = rest.rpartition(":")[0]
    try:
        t = ac.handoff.get(ref)
    except HandoffError:
        t = None
    if t is None or t.channel != channel or t.customer_ref != customer:
        return f"no ticket {ref} of yours to rate"
    if t.status not in ("resolved", "closed"):
        return f"ticket {t.public_id} is not resolved yet: a rating answers its resolution"
    return None


def feedback(ac: Aftercare, channel: str, customer: str, *, name: str = "", action: str) -> str | None:
    """Act on a button press (``fb:helped:<id>``, ``fb:human:<id>``, ``rate:<ticket>:<n>``,
    ``pick:<id>:<option|none>``); the text to show the customer, or None when the outbox will say it (a new
    ticket's acknowledgement, the answer of a picked case)."""
    kind, _, rest = action.partition(":")
    if kind + ":" == PICK:
        mid, _, choice = rest.partition(":")
        if mid.isdigit():
            ac.pipeline.pick(channel, customer, int(mid), choice)
        return None
    if kind == "fb":
        value, _, mid = rest.partition(":")
        if not mid.isdigit() or value not in ("helped", "human"):
            return None
        answer = ac.handoff.message_of(channel, customer, int(mid))
        if answer is None or answer.author != "bot" or answer.meta.get("kind") != "answer":
            return None  # not an answer this customer was given
        record_feedback(ac.sessions, channel, customer, int(mid), value, at=ac.clock())
        if value == "human":
            escalate_to_person(ac, channel, customer, name=name, subject="The answer did not help: talk to a person",
                               key=f"{channel}:fb:human:{mid}")
            return None
        return ac.replies.render("feedback_thanks",
                                 language=ac.handoff.language(ac.handoff.conversation(channel, customer)))
    if kind == "rate":
        ref, _, score = rest.rpartition(":")
        try:
            t = ac.handoff.get(ref)
            if t.channel != channel or t.customer_ref != customer:
                return None
            ac.handoff.rate(ref, int(score))
        except (HandoffError, ValueError):
            return None
        return ac.replies.render("rated", ticket_id=t.public_id, score=int(score), language=t.language)
    return None
