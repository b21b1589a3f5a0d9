"""Block Kit of the Slack adapter: the customer's answer with its buttons, the agents' escalation post
(title, fields, transcript excerpt, suggested cases, Claim / Resolve) and one transcript line. Pure
functions of the desk's views; every text is escaped here (:func:`bot.adapters.slack.markup.esc`).
Block Kit reference: https://api.slack.com/reference/block-kit/blocks (3000 characters per section)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.slack.markup import esc
from bot.replies import customer_language
from handoff.views import AlertView, MessageView, TicketView
from kb.scrub import scrub

SECTION_MAX = 3000
Block = dict[str, Any]


def button(label: str, action: str, value: str, **extra: Any) -> Block:
    """A Block Kit button: ``label`` shown, ``action`` its action id, ``value`` what a press carries
    (at most 2000 characters); ``extra`` (style, ...) added as is."""
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action, "value": value,
            **extra}


def answer_blocks(text: str, buttons: Sequence[tuple[str, str]]) -> list[Block] | None:
    """A customer-visible message with its (label, action id) buttons; None without buttons (text only)."""
    if not buttons:
        return None
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": esc(text)[:SECTION_MAX]}},
        {"type": "actions", "elements": [button(label, action, action) for label, action in buttons]},
    ]


def transcript_line(m: MessageView, ticket: TicketView) -> str:
    """One message of a ticket as a line of the agents' thread: who said it, then the words (600 chars)."""
    who = {
        "customer": f"{m.author_name or ticket.customer_name or 'customer'} (customer)",
        "agent": f"{m.author_name} (agent)",
        "note": f"note by {m.author_name}",
        "system": "notice",
        "bot": "bot",
    }.get(m.author, m.author)
    said = scrub(m.text)  # a post in another service: no pasted secret or personal data (the console shows it)
    text = esc(said if len(said) <= 600 else said[:600] + "…")
    extra = " [attachment]" if m.meta.get("attachments") and m.text != "[attachment]" else ""
    if m.author == "note":
        return f"_{esc(who)}:_ {text}"
    return f"*{esc(who)}:* {text}{extra}"


def suggestions_block(found: Sequence[Any]) -> list[Block]:
    """Solved cases near what the customer wrote (``case_id``, ``score``, ``answer`` of each), as on the
    console's ticket page; no block when there are none."""
    if not found:
        return []
    lines = [f"• `{esc(g.case_id)}` ({g.score:.2f}): {esc(g.answer[:280])}" for g in found]
    text = ("*Solved cases that may answer this*\n" + "\n".join(lines))[:SECTION_MAX]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def ticket_post(ticket: TicketView, lines: Sequence[str], suggestions: list[Block], *, note_marker: str,
                case_marker: str, said: Sequence[str] = ()) -> tuple[str, list[Block]]:
    """The escalation post of ``ticket`` in the agents' channel: (title as the notification text, blocks).
    ``lines`` is the transcript excerpt (already :func:`transcript_line` each); ``said`` the customer's
    messages, oldest first: the Language field is the language they write in, as on the console's ticket
    page (:func:`bot.replies.customer_language`), not only the one the bot's replies speak."""
    excerpt = "\n".join(lines) or "(no messages)"
    who = esc(ticket.customer_name or ticket.customer_ref)
    language = customer_language(ticket.language, list(said))
    language = "unknown" if language == customer_language(None, []) else language
    title = (
        f"{ticket.public_id} · {ticket.priority} · {ticket.label} · impact {ticket.impact} — "
        f"{who} on {ticket.channel}" + (f", writes {language.split(' (')[0]}" if language != "unknown" else "")
    )
    fields = [("Ticket", ticket.public_id), ("Priority", ticket.priority), ("Label", ticket.label),
              ("Impact", ticket.impact), ("Customer", who), ("Channel", ticket.channel), ("Language", language)]
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{esc(scrub(ticket.subject)[:300])}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": excerpt[:SECTION_MAX]}},
        *suggestions,
        {"type": "actions", "elements": [button("Claim", "claim", ticket.public_id, style="primary"),
                                         button("Resolve", "resolve", ticket.public_id)]},
        {"type": "context", "elements": [{
            "type": "mrkdwn",
            "text": "Reply in this thread to answer the customer; start with "
            f"{esc(note_marker)} for an internal note, or "
            f"{esc(case_marker)} <case id> to send a solved case's answer.",
        }]},
    ]
    return title, blocks


def alert_text(alert: AlertView) -> str:
    """An SLA warning or breach, critical ticket or incident as one mrkdwn line (critical ones ping @here)."""
    flag = {"critical": ":rotating_light: <!here> *CRITICAL*", "warning": ":warning: *Warning*"}.get(
        alert.severity, ":information_source:"
    )
    kind = alert.kind.replace("_", " ")
    where = f" · ticket {alert.ticket}" if alert.ticket else ""
    if alert.problem_id is not None:
        where += f" · problem PRB-{alert.problem_id:04d}"
    return f"{flag} {esc(kind)}{esc(where)}: {esc(alert.text)}"
