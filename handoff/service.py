"""The handoff desk as one object: :class:`Handoff` builds the shared context (sessions, the one clock,
settings) once and composes the parts, each with one job:

================  =====================================================================
``conversations`` customers' conversations and messages (:mod:`handoff.conversations`)
``tickets``       intake, reading, replies, notes, resolution, CSAT (:mod:`handoff.tickets`)
``lifecycle``     waiting, priority, reopen, close, auto-close (:mod:`handoff.lifecycle`)
``merging``       merging duplicates (:mod:`handoff.merging`)
``assignment``    agents, claims, reassignment, round-robin (:mod:`handoff.assignment`)
``sla_clocks``    due times, pauses, compliance, the SLA check (:mod:`handoff.sla_clocks`)
``alert_log``     alerts for the agents' surfaces (:mod:`handoff.alerts`)
``problem_book``  problems and incidents (:mod:`handoff.problems`)
================  =====================================================================

The methods of the facade are the parts' own (bound once here), under the names callers have always
used; new code may call a part directly.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from handoff.alerts import AlertLog
from handoff.assignment import Assignment
from handoff.clock import Clock, system_clock
from handoff.context import DeskContext
from handoff.conversations import Conversations
from handoff.lifecycle import Lifecycle
from handoff.merging import Merging
from handoff.problems import ProblemBook
from handoff.satisfaction import SatisfactionBook
from handoff.settings import DeskSettings
from handoff.sla_clocks import SlaClocks
from handoff.tickets import Tickets
from handoff.views import MessageView, TicketView

__all__ = ["Handoff", "MessageView", "TicketView"]


class Handoff:
    """The desk: conversations, tickets and everything around them, on one injected clock.

    ``sessions``: SQLAlchemy sessions on the migrated database; ``id_prefix``: the ticket ids'
    prefix (``AC-000042``); ``clock``: the source of time (wall clock by default, a
    :class:`handoff.clock.ManualClock` in tests); ``desk``: the settings (queues, SLA book, ...).
    """

    def __init__(self, sessions: sessionmaker[Session], *, id_prefix: str = "AC",
                 clock: Clock | None = None, desk: DeskSettings | None = None) -> None:
        self.ctx = DeskContext(sessions=sessions, clock=clock or system_clock, settings=desk or DeskSettings(),
                               id_prefix=id_prefix)
        self.alert_log = AlertLog(self.ctx)
        self.sla_clocks = SlaClocks(self.ctx, self.alert_log)
        self.assignment = Assignment(self.ctx, self.alert_log)
        self.lifecycle = Lifecycle(self.ctx, self.sla_clocks)
        self.merging = Merging(self.ctx, self.lifecycle)
        self.tickets = Tickets(self.ctx, self.sla_clocks, self.alert_log, self.assignment, self.lifecycle)
        self.conversations = Conversations(self.ctx, self.lifecycle)
        self.problem_book = ProblemBook(self.ctx, self.alert_log, self.tickets)
        self.satisfaction = SatisfactionBook(self.ctx, self.alert_log)

        c, t, lc, a = self.conversations, self.tickets, self.lifecycle, self.assignment
        # conversations
        self.conversation = c.open
        self.language, self.set_language = c.language, c.set_language
        self.record, self.keyed_outcome, self.save_outcome, self.prune_keys = (
            c.record, c.keyed_outcome, c.save_outcome, c.prune_keys)
        self.keyed_message = c.keyed_message
        self.message_before, self.customer_sent_since = c.message_before, c.customer_sent_since
        self.customer_messages, self.message_of, self.history = c.customer_messages, c.message_of, c.history
        # tickets
        self.create_ticket, self.open_ticket, self.get, self.list = t.create, t.open_for, t.get, t.list
        self.activity, self.transcript, self.events = t.activity, t.transcript, t.events
        self.latest_ticket, self.merged_from = t.latest_for, t.merged_from
        self.reply, self.note = t.reply, t.note
        self.rate, self.rating, self.comment_rating = (
            self.satisfaction.rate, self.satisfaction.rating, self.satisfaction.add_comment)
        self.raise_stakes = lc.raise_stakes
        # lifecycle
        self.wait, self.set_priority, self.close, self.auto_close = lc.wait, lc.set_priority, lc.close, lc.auto_close
        self.reopen, self.reopen_recent, self.awaiting_rating = lc.reopen, lc.reopen_recent, lc.awaiting_rating
        self.merge = self.merging.merge
        # assignment
        self.claim, self.assign, self.set_agent, self.agents = a.claim, a.assign, a.set_agent, a.agents
        self.assign_backlog, self.check_backlog = a.assign_backlog, a.check_backlog
        # SLA clocks
        self.sla, self.check_sla, self.team_back_at = (
            self.sla_clocks.view, self.sla_clocks.check, self.sla_clocks.team_back_at)
        # alerts
        self.alerts, self.recent_alerts, self.alert = self.alert_log.after, self.alert_log.recent, self.alert_log.get
        # problems
        self.link_problem, self.problems, self.problem, self.resolve_problem = (
            self.problem_book.link, self.problem_book.list, self.problem_book.get, self.problem_book.resolve)

    def resolve(self, ref: str | int, agent: str, resolution: str, *, notice: str) -> TicketView:
        """Resolve ticket ``ref`` (:meth:`handoff.tickets.Tickets.resolve`, errors included); a problem whose
        last open ticket this was is resolved with it (:meth:`handoff.problems.ProblemBook.settle`)."""
        t = self.tickets.resolve(ref, agent, resolution, notice=notice)
        self.problem_book.settle(t)
        return t

    @property
    def now(self) -> Clock:
        """The desk's clock (``handoff.now()`` is the current moment, UTC): the one given at
        construction, read-only so that no caller moves time under the others."""
        return self.ctx.clock

    @property
    def desk(self) -> DeskSettings:
        """The desk's settings (queues, SLA book, assignment, problems)."""
        return self.ctx.settings

    @property
    def id_prefix(self) -> str:
        return self.ctx.id_prefix

    def public_id(self, n: int) -> str:
        """The public id of ticket number ``n`` (``AC-000042``)."""
        return self.ctx.public_id(n)
