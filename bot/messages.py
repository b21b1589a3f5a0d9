"""Platform-neutral message types: every adapter translates to and from these."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.normalize import without_controls

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class IncomingMessage:
    channel: str  # web | terminal | telegram | slack ...
    customer: str  # the customer's id on that channel
    text: str
    customer_name: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    # idempotency key ("telegram:<update_id>", "slack:<event_id>", a web client's Idempotency-Key): the
    # message is stored and answered once however often it is handled; empty: no key
    key: str = ""
    # the language of the customer's page or app (ISO code): the conversation's until their words say
    # otherwise, when it has none yet; empty: none given
    language: str = ""

    def __post_init__(self) -> None:
        # bytes that were not UTF-8 (a terminal's input decoded with surrogateescape) arrive as lone
        # surrogates, which no database stores: each becomes U+FFFD, as a UTF-8 decoder's "replace" gives, and
        # a message mostly made of them is refused as binary by the pipeline
        for name in ("text", "customer_name"):
            value = getattr(self, name)
            if _SURROGATE.search(value):
                object.__setattr__(self, name, _SURROGATE.sub("\ufffd", value))
        # a display name is shown to agents as it is (console, tickets show, Slack): no control characters
        # nor escape sequences in it (the text keeps them until the pipeline has judged it binary or not)
        object.__setattr__(self, "customer_name", without_controls(self.customer_name).replace("\n", " "))


@dataclass(frozen=True)
class Reply:
    text: str
    kind: str = "bot"  # bot | agent | system
    case_id: str | None = None
    ticket_id: str | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, action id)


@dataclass(frozen=True)
class Outcome:
    """What the pipeline did with one message."""

    replies: list[Reply]
    action: str  # answer | reply | clarify | escalate | joined | rated | refused | error
    ticket_id: str | None = None
    label: str | None = None
    confidence: float | None = None
    case_id: str | None = None
    priority: str | None = None
    impact: str | None = None
    reason: str = ""
    message_id: int | None = None
    options: list[str] = field(default_factory=list)  # the case ids offered by a clarify
    language: str | None = None  # the language the replies speak (the conversation's, ISO code)


def outcome_to_dict(out: Outcome) -> dict[str, Any]:
    """A JSON-able form of an Outcome (stored with a message's idempotency key)."""
    return asdict(out)


def outcome_from_dict(d: dict[str, Any]) -> Outcome:
    """The Outcome ``outcome_to_dict`` gave."""
    replies = [Reply(**{**r, "buttons": [tuple(b) for b in r.get("buttons") or []]}) for r in d.get("replies") or []]
    return Outcome(**{**d, "replies": replies})
