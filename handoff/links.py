"""Merged tickets, read and followed: the ticket a merged one now lives in, the customers merged into
a ticket, and copies of its replies and notices for them. Row helpers on an open session; the merge
itself is :class:`handoff.merging.Merging`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.models import Message, Ticket

MAX_HOPS = 20  # merges followed at most (a merge into a merged ticket is refused, so chains stay short)


def followed(s: Session, t: Ticket | None) -> Ticket | None:
    """``t``, or the ticket it was merged into (followed through further merges)."""
    for _ in range(MAX_HOPS):
        if t is None or t.merged_into_id is None:
            return t
        t = s.get(Ticket, t.merged_into_id)
    return t


def merged_conversations(s: Session, t: Ticket) -> list[int]:
    """Conversations of the tickets merged into ``t`` (directly or through other merges), other than
    ``t``'s own: their customers get ``t``'s replies and notices too."""
    return list(merged_tickets(s, t))


def merged_tickets(s: Session, t: Ticket) -> dict[int, str]:
    """Conversation -> the public id of its newest ticket merged into ``t`` (directly or through other merges),
    for conversations other than ``t``'s own: the ticket each merged customer rates."""
    out: dict[int, str] = {}
    frontier = [t.id]
    seen = {t.id}
    while frontier:
        rows = s.execute(select(Ticket.id, Ticket.conversation_id, Ticket.public_id)
                         .where(Ticket.merged_into_id.in_(frontier)).order_by(Ticket.id)).all()
        frontier = []
        for tid, conv, public_id in rows:
            if tid in seen:
                continue
            seen.add(tid)
            frontier.append(tid)
            if conv != t.conversation_id:
                out[conv] = str(public_id or "")
    return out


def copy_to_merged(s: Session, t: Ticket, m: Message) -> None:
    """Leave a copy of ``m`` (an agent's reply or a notice on ``t``) in each merged customer's
    conversation, so it reaches them in their own channel; copies hold no ticket (the ticket's
    transcript and the agents' thread show the original once). Each copy names the customer's own
    merged ticket (``own_ticket``): the one their rating buttons under a resolution notice rate."""
    for conv, own in merged_tickets(s, t).items():
        s.add(Message(conversation_id=conv, ticket_id=None, author=m.author, author_name=m.author_name,
                      text=m.text, created_at=m.created_at,
                      meta={**(m.meta or {}), "copy_of": m.id, "ticket": t.public_id, "own_ticket": own}))
