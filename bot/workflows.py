"""What agents and customers do to a ticket, whatever the surface (CLI, console, Slack, Telegram):
resolve a ticket (the customer's notice and a draft solved case) or a problem (every linked customer
told), reply with a solved case's answer, escalate to a person, propose a draft solved case from a
resolved ticket. Every surface calls these; none restates them."""

from __future__ import annotations

import logging

from bot.app import Aftercare
from bot.proposals import NothingToPropose, propose_from_ticket
from classifier.router import Why
from handoff.errors import OpenTicketExists, TicketNotOpen
from handoff.models import MessageKind
from handoff.views import SentReply, TicketView
from kb.errors import KBError
from kb.service import CaseView

log = logging.getLogger(__name__)
PERSON_REASON = "the customer asks for a person"


def resolve_ticket(
    ac: Aftercare, ref: str, agent: str, resolution: str | None = None, *, propose: bool = True
) -> tuple[TicketView, CaseView | None]:
    """Resolve, leave the customer the 'resolved' notice, and propose a draft solved case (scrubbed).
    ``resolution`` None: the agent's last reply on the ticket ("resolved by <agent>" when none was
    written). Returns (the resolved ticket, the draft or None); raises HandoffError (unknown or closed)."""
    t = ac.handoff.get(ref)
    if resolution is None:
        said = [m.text for m in ac.handoff.transcript(t.id) if m.author == "agent"]  # type: ignore[attr-defined]
        resolution = said[-1] if said else f"resolved by {agent}"
    t = ac.handoff.resolve(ref, agent, resolution, notice=resolution_notice(ac, t.public_id, resolution,
                                                                               language=t.language))
    return t, _try_propose(ac, t.public_id) if propose else None


def propose_draft(ac: Aftercare, ref: str) -> CaseView:
    """A draft solved case from the resolved ticket ``ref`` (phrasings and answer scrubbed), waiting for
    the editors' review; raises HandoffError when the ticket is not resolved. See :mod:`bot.proposals`."""
    return propose_from_ticket(ac, ref)


def _try_propose(ac: Aftercare, ref: str) -> CaseView | None:
    try:
        return propose_from_ticket(ac, ref)
    except NothingToPropose as e:
        log.info("%s", e)
        return None
    except Exception:  # noqa: BLE001 - the resolution stands even when no draft can be made
        log.exception("no draft case proposed from %s", ref)
        return None


def resolution_notice(ac: Aftercare, ticket_id: str, resolution: str, *, language: str | None = None) -> str:
    """What the customer is told on resolution, with the satisfaction question (every channel asks it;
    push channels add rating buttons, web chat and terminal take a typed 1-5), in the customer's
    ``language`` (the conversation's; the app's default when None)."""
    return ac.replies.render("resolved", ticket_id=ticket_id, resolution=resolution, language=language) + \
        "\n\n" + ac.replies.render("rate_ask", language=language)


def resolve_problem(
    ac: Aftercare, ref: str, agent: str, resolution: str, *, propose: bool = True
) -> list[TicketView]:
    """Resolve a problem: every linked open ticket is resolved and its customer told in their channel.
    One draft solved case is proposed (from the first ticket), not one per customer."""
    done = ac.handoff.resolve_problem(
        ref, agent, resolution, notice=lambda t: resolution_notice(ac, t.public_id, resolution, language=t.language)
    )
    if propose and done:
        _try_propose(ac, done[0].public_id)
    return done


def after_marker(text: str, marker: str) -> str | None:
    """The words after ``marker`` (an agent's command such as "!case" or "//") when ``text`` starts with it,
    letter case ignored ("!CASE id" and "!Case id" are "!case id"), stripped; None when it does not or
    ``marker`` is empty."""
    text = text.lstrip()
    if not marker or text[: len(marker)].lower() != marker.lower():
        return None
    return text[len(marker):].strip()


def reply_with_case(ac: Aftercare, ticket: str | int, agent: str, case_ref: str, words: str = "", *,
                    key: str = "", reopen: bool = False) -> SentReply:
    """The agent's reply on ``ticket``: ``words`` (if any), then the published case ``case_ref``'s answer;
    with ``key`` (one per submitted form) sent once however often it comes (a double click); a ticket no
    longer open is handled as :meth:`handoff.tickets.Tickets.reply` does (``reopen``: reopen it first).
    Raises KBError when the case does not exist or is not published, TicketNotOpen when the ticket is not
    open and the reply does not reopen it."""
    case = ac.kb.get(case_ref)
    if case.state != "published":
        raise KBError(f"case {case.id} is {case.state}, not published")
    lang = ac.handoff.get(ticket).language
    answer = case.translations.get(lang, case.answer) if lang else case.answer  # the customer's language if it has it
    text = f"{words.strip()}\n\n{answer}" if words.strip() else answer
    return ac.handoff.reply(ticket, agent, text, key=key, reopen=reopen)


def not_sent_reason(ac: Aftercare, e: TicketNotOpen) -> str:
    """Why an agent's reply to a ticket no longer open was not sent, for every surface to show before its
    own way out (Reopen and send, ``--reopen``, the Reopen button): "Not sent: ticket AC-000042 is closed."
    A resolved ticket names the reopen window (a reply within it would have reopened the ticket, as the
    customer's message does); a merged one names the ticket to reply on."""
    if e.merged_into:
        return (f"Not sent: ticket {e.ticket} was merged into {e.merged_into}; its customer's conversation goes "
                f"on there: reply on {e.merged_into}.")
    if e.status == "resolved":
        hours = ac.config.tickets.reopen_window_hours
        why = (f"more than {hours:g} hours ago (a reply within {hours:g} hours of the resolution reopens it, as "
               "the customer's message does)") if hours > 0 else "and replies do not reopen resolved tickets here"
        return f"Not sent: ticket {e.ticket} is resolved, {why}."
    return f"Not sent: ticket {e.ticket} is {e.status}."


def escalate_to_person(
    ac: Aftercare,
    channel: str,
    customer: str,
    *,
    name: str = "",
    subject: str = "The customer asked for a person",
    key: str = "",
) -> TicketView:
    """Open a ticket for a person now (``/human``, "Talk to a person"); an open ticket is reused, also one
    the same customer's other press or message opened at the same moment (a double click, two tabs).
    With ``key`` (an idempotency key: the pressed button, the platform's update id) the request is stored
    once however often it comes."""
    h = ac.handoff
    conv = h.conversation(channel, customer, name=name)
    open_t = h.open_ticket(conv)
    if open_t is not None:
        return open_t
    label = ac.config.classifier.human_label
    priority = next((s.priority for s in ac.config.labels if s.name == label), "normal")
    h.record(conv, "customer", subject, author_name=name, meta={"command": "human"}, key=key)
    try:
        t = h.create_ticket(
            conv,
            subject=subject,
            label=label,
            confidence=1.0,
            priority=priority,
            impact="single",
            reason=PERSON_REASON,
            transcript_messages=ac.config.tickets.transcript_messages,
        )
    except OpenTicketExists as e:
        return e.ticket
    text = ac.replies.render("escalated_human", ticket_id=t.public_id, priority=t.priority,
                             language=h.language(conv), **ac.pipeline.team_hours(t.team, ticket=t))
    meta = {"kind": MessageKind.ESCALATE, "label": label, "reason": PERSON_REASON, "why": Why.ASKS_PERSON}
    h.record(conv, "bot", text, ticket_id=t.id, meta=meta, key=f"{key}#reply" if key else "")
    return t
