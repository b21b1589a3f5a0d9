"""Merging a duplicate ticket into another: its messages move, it closes with a link, and its
customer stays with the target (see :mod:`handoff.links` for following merges afterwards)."""

from __future__ import annotations

from sqlalchemy import update

from handoff.context import DeskContext
from handoff.errors import HandoffError, MergeNeedsConfirmation, TicketClosed
from handoff.lifecycle import Lifecycle
from handoff.models import Message, Ticket
from handoff.races import on_fresh_state
from handoff.views import TicketView


def customer_of(t: Ticket) -> str:
    """The ticket's customer as agents read it: 'Name, channel:ref' (or 'channel:ref' without a name)."""
    name = t.conversation.customer_name if t.conversation is not None else ""
    ref = f"{t.channel}:{t.customer_ref}"
    return f"{name}, {ref}" if name else ref


class Merging:
    """Merges duplicates; closing and reopening are :class:`handoff.lifecycle.Lifecycle`'s."""

    def __init__(self, ctx: DeskContext, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle

    @on_fresh_state
    def merge(self, duplicate: str | int, into: str | int, actor: str, *, confirm: bool = False) -> TicketView:
        """Move the duplicate's messages into ``into`` and close the duplicate with a link to it.

        A resolved target is reopened (what the duplicate's customer reported must not leave the open
        queue unanswered); a closed one is refused (:class:`TicketClosed`). The duplicate's customer
        stays with the target: their next messages join it and the target's replies and notices reach
        them in their own channel. Tickets of two different customers are merged only with ``confirm``
        (:class:`MergeNeedsConfirmation` otherwise: nothing changes)."""
        with self.ctx.sessions() as s:
            dup, target = self.ctx.find(s, duplicate), self.ctx.find(s, into)
            if dup.id == target.id:
                raise HandoffError("a ticket cannot be merged into itself")
            if target.status == "closed":
                raise TicketClosed(
                    f"ticket {target.public_id} is closed: reopen it first, or merge {target.public_id} "
                    f"into {dup.public_id} instead"
                )
            if target.merged_into_id is not None:
                raise HandoffError(f"ticket {target.public_id} was merged into another ticket; merge into that one")
            if dup.merged_into_id is not None:
                raise HandoffError(f"ticket {dup.public_id} is already merged")
            if (dup.channel, dup.customer_ref) != (target.channel, target.customer_ref) and not confirm:
                raise MergeNeedsConfirmation(
                    f"{dup.public_id} is from another customer ({customer_of(dup)}) than {target.public_id} "
                    f"({customer_of(target)}): after merging, both get {target.public_id}'s replies and notices. "
                    "Confirm to merge."
                )
            moved = s.execute(
                update(Message)
                .where(Message.ticket_id == dup.id)
                .values(ticket_id=target.id)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            dup.merged_into_id = target.id
            self.lifecycle.close_row(s, dup, actor, reason=f"merged into {target.public_id}",
                                     merged_into=target.public_id)
            if target.status == "resolved":  # the duplicate's customer is still waiting: back to the queue
                self.lifecycle.reopen_row(s, target, actor, reason=f"{dup.public_id} merged into it")
            target.updated_at = self.ctx.now()
            self.ctx.event(s, target.id, actor, "merged", duplicate=dup.public_id, messages=int(moved or 0),
                           customer=customer_of(dup))
            s.add(
                Message(
                    conversation_id=target.conversation_id,
                    ticket_id=target.id,
                    author="note",
                    author_name=actor,
                    created_at=self.ctx.now(),
                    text=f"{dup.public_id} ({customer_of(dup)}) merged into this ticket: {dup.subject[:200]}",
                )
            )
            s.commit()
            return self.ctx.ticket(target.id)
