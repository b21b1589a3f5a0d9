"""Plain data for the console's pages and JSON: tickets, messages, events, near-duplicate cases.

Fields the desk may not provide (SLA due times, Problems) are read when present and left empty
otherwise, so the console works with any version of ``handoff``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from handoff.views import AlertView, EventView, MessageView, TicketActivity, TicketView
from kb.service import Hit

if TYPE_CHECKING:
    from bot.app import Aftercare

PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
AUTHOR_TITLES = {"customer": "Customer", "bot": "Bot", "agent": "Agent", "note": "Internal note",
                 "system": "System"}


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with the zone (every stored time reads back as aware UTC)."""
    return dt.isoformat() if dt is not None else None


def sla_due(t: TicketView) -> tuple[str, datetime | None]:
    """The next SLA deadline of an open ticket: first reply, then resolution (when the desk has SLAs)."""
    if not t.is_open:
        return "", None
    if t.status == "waiting":  # the desk pauses the SLA clock while waiting on the customer
        return "paused", None
    first_due = getattr(t, "first_response_due", None)
    if first_due is not None and getattr(t, "first_response_at", None) is None:
        return "first reply", first_due
    res_due = getattr(t, "resolution_due", None)
    if res_due is not None:
        return "resolution", res_due
    return "", None


CHANNEL_TITLES = {"web": "Web chat", "telegram": "Telegram", "slack": "Slack", "terminal": "Terminal"}


def channel_title(channel: str) -> str:
    return CHANNEL_TITLES.get(channel, channel.capitalize())


def display_name(t: TicketView) -> str:
    """Who the customer is, for people: the name their channel gave (Telegram name, Slack profile, the
    name typed in the web chat), else "Web chat visitor 3191" (the end of their id), never a raw id."""
    if t.customer_name.strip():
        return t.customer_name.strip()
    tail = "".join(ch for ch in t.customer_ref if ch.isalnum())[-4:]
    return f"{channel_title(t.channel)} visitor {tail}".strip()


def ticket_row(t: TicketView, activity: TicketActivity | None = None) -> dict[str, Any]:
    """One queue row (also the console's JSON): display name and channel, last activity and whether the
    customer wrote after the last agent reply (``customer_replied``)."""
    kind, due = sla_due(t)
    return {
        "id": t.public_id, "status": t.status, "priority": t.priority, "label": t.label,
        "confidence": round(t.confidence, 2), "impact": t.impact, "channel": t.channel,
        "channel_title": channel_title(t.channel), "customer": display_name(t), "customer_ref": t.customer_ref,
        "last_activity": iso(activity.last_at if activity else t.updated_at),
        "customer_replied": bool(activity and activity.customer_replied),
        "subject": t.subject[:160], "owner": t.assignee or "",
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at), "due_at": iso(due), "due_kind": kind,
        "problem_id": getattr(t, "problem_id", None), "url": f"/console/tickets/{t.public_id}",
    }


def filter_and_sort(tickets: list[TicketView], *, status: str = "", priority: str = "", label: str = "",
                    channel: str = "", owner: str = "", me: str = "", sort: str = "priority") -> list[TicketView]:
    out = [t for t in tickets if t.is_open]
    if status:
        out = [t for t in out if t.status == status]
    if priority:
        out = [t for t in out if t.priority == priority]
    if label:
        out = [t for t in out if t.label == label]
    if channel:
        out = [t for t in out if t.channel == channel]
    if owner == "me":
        out = [t for t in out if t.assignee == me]
    elif owner == "none":
        out = [t for t in out if not t.assignee]
    far = datetime.max.replace(tzinfo=UTC)

    def due_key(t: TicketView) -> datetime:
        d = sla_due(t)[1]
        return d or far

    if sort == "newest":
        out.sort(key=lambda t: t.id, reverse=True)
    elif sort == "oldest":
        out.sort(key=lambda t: t.id)
    elif sort == "due":
        out.sort(key=lambda t: (due_key(t), PRIORITY_RANK.get(t.priority, 9), t.id))
    else:
        out.sort(key=lambda t: (PRIORITY_RANK.get(t.priority, 9), due_key(t), t.id))
    return out


def message_row(m: MessageView) -> dict[str, Any]:
    who = AUTHOR_TITLES.get(m.author, m.author)
    if m.author_name and m.author in ("agent", "note", "customer"):
        who = f"{who} · {m.author_name}"
    return {"id": m.id, "author": m.author, "who": who, "text": m.text, "at": iso(m.created_at)}


def event_row(e: EventView) -> dict[str, Any]:
    detail = ", ".join(f"{k}: {v}" for k, v in e.data.items() if k != "message_id" and v not in (None, ""))
    return {"at": iso(e.at), "actor": e.actor, "kind": e.kind, "detail": detail}


def near_duplicates(ac: Aftercare, questions: list[str], *, exclude: str | None,
                    threshold: float) -> list[Hit]:
    """Published cases (other than ``exclude``) with a phrasing at least ``threshold`` close to one of
    ``questions``, best first, one hit per case; each question is searched with the encoder and index its
    language routes to (a Korean phrasing with the multilingual one)."""
    qs = [q.strip() for q in questions if q.strip()]
    if not qs:
        return []
    best: dict[str, Hit] = {}
    for st, vec in ac.routed(qs):
        for h in st.kb.search_vector(vec, 3):
            if h.case_id != exclude and h.score >= threshold and (h.case_id not in best
                                                                   or h.score > best[h.case_id].score):
                best[h.case_id] = h
    return sorted(best.values(), key=lambda h: -h.score)


def alert_row(a: AlertView) -> dict[str, Any]:
    """One alert above the queue, linked to its ticket or problem."""
    if a.ticket:
        url = f"/console/tickets/{a.ticket}"
    elif a.problem_id is not None:
        url = f"/console/problems#PRB-{a.problem_id:04d}"
    else:
        url = ""
    return {"id": a.id, "kind": a.kind.replace("_", " "), "severity": a.severity, "text": a.text, "url": url,
            "ref": a.ticket or (f"PRB-{a.problem_id:04d}" if a.problem_id is not None else ""),
            "at": a.created_at.isoformat(timespec="minutes"), "team": a.team}
