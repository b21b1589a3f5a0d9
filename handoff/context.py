"""What every part of the desk shares: the sessions, the one clock, the desk settings, the ticket-id
prefix, and the two row helpers every change needs (find a ticket by reference, record an event).

The parts (:mod:`handoff.tickets`, :mod:`handoff.lifecycle`, :mod:`handoff.assignment`,
:mod:`handoff.sla_clocks`, :mod:`handoff.alerts`, :mod:`handoff.problems`, ...) each hold one
:class:`DeskContext`; :class:`handoff.service.Handoff` builds it once and composes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handoff.clock import Clock
from handoff.errors import TicketNotFound, TicketNotOpen
from handoff.links import followed
from handoff.models import OPEN_STATES, Ticket, TicketEvent
from handoff.settings import DeskSettings
from handoff.views import TicketView, ticket_view

MAX_TICKET_NUMBER = 2**31 - 1  # tickets.id is a 32-bit integer on PostgreSQL


@dataclass(frozen=True)
class DeskContext:
    """The desk's shared plumbing, immutable once built: ``clock()`` is the only source of time."""

    sessions: sessionmaker[Session]
    clock: Clock
    settings: DeskSettings
    id_prefix: str = "AC"

    def now(self) -> datetime:
        """The current moment from the desk's clock (timezone-aware, UTC)."""
        return self.clock()

    def public_id(self, n: int) -> str:
        """The id customers and agents see for ticket number ``n``: ``AC-000042``."""
        return f"{self.id_prefix}-{n:06d}"

    def find(self, s: Session, ref: str | int) -> Ticket:
        """The ticket with number or public id ``ref`` (case, spaces and the id's leading zeros ignored:
        "ac-42" is AC-000042).

        Raises :class:`TicketNotFound` for no such ticket, and for references that cannot name one
        (out of the column's range, NUL bytes, longer than 64 characters) without asking the database
        anything it would refuse."""
        t: Ticket | None
        if isinstance(ref, int) or str(ref).isdigit():
            n = int(ref)
            if not 0 < n <= MAX_TICKET_NUMBER:  # past the column's range: no such ticket, not a database error
                raise TicketNotFound(str(ref)[:40])
            t = s.get(Ticket, n)
        elif "\x00" in str(ref) or len(str(ref)) > 64:
            raise TicketNotFound(repr(str(ref)[:40]))
        else:
            want = str(ref).strip().upper()
            prefix, dash, digits = want.rpartition("-")
            if dash and prefix == self.id_prefix.upper() and digits.isascii() and digits.isdigit() \
                    and 0 < int(digits) <= MAX_TICKET_NUMBER:
                want = self.public_id(int(digits))  # "AC-42" as agents type it: AC-000042
            t = s.scalar(select(Ticket).where(Ticket.public_id == want))
        if t is None:
            raise TicketNotFound(str(ref))
        return t

    def find_open(self, s: Session, ref: str | int) -> Ticket:
        """:meth:`find`, for a change that needs an open ticket (:class:`TicketNotOpen`, a
        :class:`TicketClosed`, otherwise)."""
        t = self.find(s, ref)
        if t.status not in OPEN_STATES:
            raise self.not_open(s, t)
        return t

    def not_open(self, s: Session, t: Ticket) -> TicketNotOpen:
        """The refusal of a change ``t`` (resolved, closed or merged) cannot take, naming the ticket a
        merged one now lives in."""
        target = followed(s, t) if t.merged_into_id is not None else None
        return TicketNotOpen(t.public_id or str(t.id), t.status,
                             merged_into=(target.public_id or "") if target is not None and target is not t else "")

    def ticket(self, ref: str | int) -> TicketView:
        """The ticket as it is stored now, read in a session of its own."""
        with self.sessions() as s:
            return ticket_view(self.find(s, ref))

    def event(self, s: Session, ticket_id: int, actor: str, kind: str, **data: Any) -> None:
        """Add one entry to the ticket's audit trail (who, what, when: the clock's now), in ``s``."""
        s.add(TicketEvent(ticket_id=ticket_id, at=self.now(), actor=actor, kind=kind, data=data))
