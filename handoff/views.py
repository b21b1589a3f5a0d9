"""What the desk hands out: frozen views of tickets, messages, events, alerts, agents and problems, and
the report of one run of the periodic jobs. Plain data; every part of the desk returns these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handoff.models import OPEN_STATES, Message, MessageKind, Ticket, message_kind


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: int
    ticket_id: int | None
    author: str
    author_name: str
    text: str
    created_at: datetime
    meta: dict[str, Any]

    @property
    def kind(self) -> MessageKind | None:
        """What this bot or system message is (see :func:`handoff.models.message_kind`)."""
        return message_kind(self.meta)


@dataclass(frozen=True)
class SentReply(MessageView):
    """An agent's reply as sent: the stored message, and ``reopened_from`` ("resolved" or "closed") when
    sending it reopened the ticket ('' otherwise; also for a form submitted again, which sent nothing)."""

    reopened_from: str = ""


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    owner: str  # who holds the ticket now


@dataclass(frozen=True)
class TicketView:
    id: int
    public_id: str
    channel: str
    customer_ref: str
    customer_name: str
    subject: str
    label: str
    confidence: float
    priority: str
    impact: str
    reason: str
    status: str
    assignee: str | None
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    product: str = ""
    team: str = ""
    problem_id: int | None = None
    merged_into_id: int | None = None
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    closed_at: datetime | None = None
    language: str | None = None  # the customer's language (ISO code) as last detected in their conversation

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


@dataclass(frozen=True)
class TicketActivity:
    """When a ticket last moved: its newest message of any author but internal notes, the customer's
    newest and the agents' newest. ``customer_replied``: the customer wrote after an agent's reply
    and waits for an answer."""

    last_at: datetime | None
    last_customer_at: datetime | None
    last_agent_at: datetime | None

    @property
    def customer_replied(self) -> bool:
        return (self.last_customer_at is not None and self.last_agent_at is not None
                and self.last_customer_at > self.last_agent_at)


def message_view(m: Message) -> MessageView:
    """The view of a stored message."""
    return MessageView(id=m.id, conversation_id=m.conversation_id, ticket_id=m.ticket_id, author=m.author,
                       author_name=m.author_name, text=m.text, created_at=m.created_at, meta=dict(m.meta or {}))


def ticket_view(t: Ticket) -> TicketView:
    """The view of a stored ticket (its conversation loaded for the customer's name)."""
    return TicketView(
        id=t.id, public_id=t.public_id or "", channel=t.channel, customer_ref=t.customer_ref,
        customer_name=t.conversation.customer_name if t.conversation else "",
        language=t.conversation.language if t.conversation else None, subject=t.subject, label=t.label,
        confidence=t.confidence, priority=t.priority, impact=t.impact, reason=t.reason, status=t.status,
        assignee=t.assignee, resolution=t.resolution, created_at=t.created_at, updated_at=t.updated_at,
        resolved_at=t.resolved_at, product=t.product or "", team=t.team or "", problem_id=t.problem_id,
        merged_into_id=t.merged_into_id, first_response_at=t.first_response_at,
        first_response_due=t.first_response_due, resolution_due=t.resolution_due,
        closed_at=t.closed_at,
    )


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str  # sla_warning | sla_breach | critical | incident | problem | low_rating
    severity: str  # info | warning | critical
    ticket: str | None  # public id
    problem_id: int | None
    team: str
    text: str
    created_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class AgentView:
    name: str
    available: bool
    teams: list[str]
    last_assigned_at: datetime | None


@dataclass(frozen=True)
class JobReport:
    """What one run of the periodic jobs did."""

    warnings: int = 0
    breaches: int = 0
    closed: int = 0
    assigned: int = 0  # unassigned tickets given to available agents, oldest first
    unassigned: int = 0  # alerts for tickets left unassigned longer than unassigned_alert_minutes


@dataclass(frozen=True)
class ProblemLink:
    """What grouping did with one ticket."""

    problem_id: int
    public_id: str
    known: bool  # the problem existed before this ticket: tell the customer it is a known issue
    created: bool  # this ticket completed a new problem


@dataclass(frozen=True)
class ProblemView:
    id: int
    public_id: str
    title: str
    label: str
    status: str
    tickets: list[str]
    open_tickets: int
    incident: bool
    resolution: str | None
    created_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
