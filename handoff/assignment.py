"""Who holds a ticket: agents and their availability, claiming, (re)assigning, round-robin assignment
of the unassigned backlog, and the alert for tickets left unassigned too long."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handoff.alerts import AlertLog
from handoff.clock import as_utc
from handoff.context import DeskContext
from handoff.desk_models import Agent
from handoff.errors import HandoffError
from handoff.models import Ticket
from handoff.races import on_fresh_state
from handoff.views import AgentView, ClaimResult, TicketView

# compare-and-set rounds of round-robin assignment before a ticket is left in the queue unassigned
ASSIGN_ATTEMPTS = 20



def roster_name(name: str, roster: Collection[str]) -> str | None:
    """The name of ``roster`` that ``name`` means: trimmed, the same name, else the one name equal to it
    ignoring case ("Alice", " alice" mean "alice"); None when none is, or several are ("Ann" and "ann")."""
    want = name.strip()
    if want in roster:
        return want
    same = [r for r in roster if r.casefold() == want.casefold()]
    return same[0] if len(same) == 1 else None

class Assignment:
    """Agents, claims, reassignment and round-robin over the ``new`` unassigned tickets."""

    def __init__(self, ctx: DeskContext, alerts: AlertLog) -> None:
        self.ctx = ctx
        self.alerts = alerts

    # -- agents -------------------------------------------------------------------------------------

    def set_agent(self, name: str, *, available: bool | None = None, teams: list[str] | None = None) -> AgentView:
        """Add or change an agent (``teams`` empty: every team). An agent who becomes available takes the
        waiting unassigned tickets, oldest first (with ``auto_assign``). Raises HandoffError without a name."""
        name = name.strip()
        if not name:
            raise HandoffError("an agent needs a name")
        with self.ctx.sessions() as s:
            a = s.get(Agent, name)
            if a is None:
                a = Agent(name=name, available=bool(available), teams=list(teams or []))
                s.add(a)
            if available is not None:
                a.available = available
            if teams is not None:
                a.teams = list(teams)
            s.commit()
            view = AgentView(a.name, a.available, list(a.teams or []), a.last_assigned_at)
        if view.available:  # back at work: the waiting tickets go out, oldest first
            self.assign_backlog()
        return view

    def agents(self) -> list[AgentView]:
        """Every agent, by name."""
        with self.ctx.sessions() as s:
            return [
                AgentView(a.name, a.available, list(a.teams or []), a.last_assigned_at)
                for a in s.scalars(select(Agent).order_by(Agent.name))
            ]

    # -- by hand ------------------------------------------------------------------------------------

    @on_fresh_state
    def claim(self, ref: str | int, agent: str) -> ClaimResult:
        """Take an open ticket; atomic on SQLite and PostgreSQL: of two agents at once, one wins."""
        with self.ctx.sessions() as s:
            t = self.ctx.find_open(s, ref)
            res = s.execute(
                update(Ticket).where(Ticket.id == t.id, Ticket.assignee.is_(None))
                .values(assignee=agent, status="assigned", updated_at=self.ctx.now(), version=Ticket.version + 1)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount == 1:  # type: ignore[attr-defined]
                self.ctx.event(s, t.id, agent, "claimed", assignee=agent)
                s.commit()
                return ClaimResult(won=True, owner=agent)
            s.rollback()
            owner = s.scalar(select(Ticket.assignee).where(Ticket.id == t.id)) or ""
            return ClaimResult(won=owner == agent, owner=owner)

    @on_fresh_state
    def assign(self, ref: str | int, agent: str, *, actor: str, roster: Collection[str] | None = None) -> TicketView:
        """(Re)assign to ``agent``; ``actor`` is who did it. ``roster``: the active agents (the surfaces
        pass the console's agents and the desk's); another name is refused with the list. Without a
        roster the desk's agents (``agents set``) are the roster, when there are any."""
        if not agent.strip():
            raise HandoffError("assigning needs an agent name")
        if roster is None:
            roster = [a.name for a in self.agents()] or None
        if roster is not None:
            named = roster_name(agent, roster)
            if named is None:
                listed = ", ".join(sorted(roster)) or "none yet: add one with 'aftercare users add NAME --role agent'"
                raise HandoffError(f"{agent.strip()!r} is not an active agent (active agents: {listed})")
            agent = named
        with self.ctx.sessions() as s:
            t = self.ctx.find_open(s, ref)
            before = t.assignee
            t.assignee, t.updated_at = agent.strip(), self.ctx.now()
            if t.status == "new":
                t.status = "assigned"
            self.ctx.event(s, t.id, actor, "assigned", assignee=t.assignee, previous=before)
            s.commit()
            return self.ctx.ticket(t.id)

    # -- round-robin --------------------------------------------------------------------------------

    def after_created(self, s: Session, t: Ticket) -> None:
        """With ``auto_assign``, in the new ticket's transaction: tickets of the team still waiting
        unassigned (every agent was away) are given out before the new one, oldest first."""
        if not self.ctx.settings.auto_assign:
            return
        for older in self._backlog(s, team=t.team, exclude=t.id):
            if self._auto_assign(s, older) is None:
                return  # nobody available: the new ticket waits behind the older ones
        self._auto_assign(s, t)

    def assign_backlog(self) -> list[str]:
        """With ``auto_assign``: give the unassigned tickets to available agents, oldest first, round-robin
        (an agent coming back, the periodic job). Returns the public ids assigned."""
        if not self.ctx.settings.auto_assign:
            return []
        done: list[str] = []
        with self.ctx.sessions() as s:
            for t in self._backlog(s):
                if self._auto_assign(s, t) is not None:
                    done.append(t.public_id or "")
            s.commit()
        return done

    def check_backlog(self) -> int:
        """Raise one ``unassigned`` alert per ticket left unassigned longer than
        ``unassigned_alert_minutes`` (wall clock: the backlog grows at night too). Returns how many."""
        minutes = self.ctx.settings.unassigned_alert_minutes
        if minutes <= 0:
            return 0
        now = as_utc(self.ctx.now())
        cutoff = now - timedelta(minutes=minutes)
        n = 0
        with self.ctx.sessions() as s:
            available = [a for a in s.scalars(select(Agent).where(Agent.available.is_(True)))]
            for t in self._backlog(s):
                if as_utc(t.created_at) > cutoff or "unassigned:alert" in (t.sla_flags or []):
                    continue
                waited = int((now - as_utc(t.created_at)).total_seconds() // 60)
                nobody = not any(not a.teams or t.team in (a.teams or []) for a in available)
                why = "no agent of its team is available" if nobody else "nobody has taken it"
                t.sla_flags = [*(t.sla_flags or []), "unassigned:alert"]
                self.ctx.event(s, t.id, "desk", "unassigned_alert", minutes=waited)
                self.alerts.add(s, "unassigned", "warning",
                                f"{t.public_id} has waited unassigned for {waited} min ({why}): {t.subject[:160]}",
                                ticket=t, minutes=waited)
                n += 1
            s.commit()
        return n

    def _backlog(self, s: Session, *, team: str | None = None, exclude: int | None = None) -> list[Ticket]:
        """Open tickets nobody holds, oldest first (the new state: waiting tickets have an owner)."""
        stmt = select(Ticket).where(Ticket.status == "new", Ticket.assignee.is_(None), Ticket.merged_into_id.is_(None))
        if team is not None:
            stmt = stmt.where(Ticket.team == team)
        if exclude is not None:
            stmt = stmt.where(Ticket.id != exclude)
        return list(s.scalars(stmt.order_by(Ticket.created_at, Ticket.id)))

    def _auto_assign(self, s: Session, t: Ticket) -> str | None:
        """Round-robin: the available agent of the ticket's team who was assigned least recently.

        Several workers create tickets at once: the agent is taken with a compare-and-set on the
        ``last_assigned_at`` that was read, so two tickets created together never both go to the
        same agent's turn; a worker that loses the race reads the agents again.
        """
        for _ in range(ASSIGN_ATTEMPTS):
            pool = [
                a
                for a in s.scalars(
                    select(Agent).where(Agent.available.is_(True)).execution_options(populate_existing=True)
                )
                if not a.teams or t.team in (a.teams or [])
            ]
            if not pool:
                return None
            oldest = datetime.min.replace(tzinfo=as_utc(self.ctx.now()).tzinfo)
            pool.sort(key=lambda a: (as_utc(a.last_assigned_at) if a.last_assigned_at else oldest, a.name))
            agent = pool[0]
            seen = agent.last_assigned_at
            taken = s.execute(
                update(Agent)
                .where(
                    Agent.name == agent.name,
                    Agent.last_assigned_at.is_(None) if seen is None else Agent.last_assigned_at == seen,
                )
                .values(last_assigned_at=self.ctx.now())
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                t.assignee, t.status = agent.name, "assigned"
                self.ctx.event(s, t.id, "bot", "auto-assigned", assignee=agent.name, team=t.team)
                return agent.name
        return None  # agents kept being taken under us: the ticket waits in the queue, unassigned
