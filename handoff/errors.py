from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handoff.views import TicketView


class HandoffError(Exception):
    """Root of every error the handoff package raises."""


class TicketNotFound(HandoffError):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"no ticket {ref!r}")


class TicketClosed(HandoffError):
    """The operation needs an open ticket."""


class TicketNotOpen(TicketClosed):
    """A change that needs an open ticket (an agent's reply, priority, waiting) on a resolved, closed or
    merged one; nothing changed. ``ticket``: its public id; ``status``: resolved or closed;
    ``merged_into``: the public id of the open-or-not ticket it was merged into (followed through further
    merges), '' when it was not merged; ``reopenable``: whether reopening it is allowed (a merged ticket
    does not reopen: its customer's messages and replies live in ``merged_into``)."""

    def __init__(self, ticket: str, status: str, *, merged_into: str = "") -> None:
        self.ticket, self.status, self.merged_into = ticket, status, merged_into
        self.reopenable = not merged_into
        said = f"ticket {ticket} was merged into {merged_into}" if merged_into else f"ticket {ticket} is {status}"
        super().__init__(said)


class MergeNeedsConfirmation(HandoffError):
    """Merging tickets of two different customers was asked without confirming it; nothing changed."""


class OpenTicketExists(HandoffError):
    """``create_ticket`` found the conversation's open ticket, opened meanwhile by the same customer's other
    message or press (two tabs, a double click): nothing new was opened. ``ticket`` is that ticket; the
    conversation's messages not on a ticket yet were put on it."""

    def __init__(self, ticket: TicketView) -> None:
        self.ticket = ticket
        super().__init__(f"the conversation already has the open ticket {ticket.public_id}")
