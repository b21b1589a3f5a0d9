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
    out: list[int] = []
    frontier = [t.id]
    seen = {t.id}
    while frontier:
        rows = s.execute(select(Ticket.id, Ticket.conversation_id).where(Ticket.merged_into_id.in_(frontier))).all()
        frontier = []
        for tid, conv in rows:
            if tid in seen:
                continue
            seen.add(tid)
            frontier.append(tid)
            if conv != t.conversation_id and conv not in out:
                out.append(conv)
    return out


def copy_to_merged(s: Session, t: Ticket, m: Message) -> None:
    """Leave a copy of ``m`` (an agent's reply or a notice on ``t``) in each merged customer's
    conversation, so it reaches them in their own channel; copies hold no ticket (the ticket's
    transcript and the agents' thread show the original once)."""
    for conv in merged_conversations(s, t):
        s.add(Message(conversation_id=conv, ticket_id=None, author=m.author, author_name=m.author_name,
                      text=m.text, created_at=m.created_at,
                      meta={**(m.meta or {}), "copy_of": m.id, "ticket": t.public_id}))
