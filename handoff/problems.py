"""Problems: fault tickets similar in meaning (subject embeddings) within a time window are grouped;
N of them in T minutes raise an incident alert; resolving the problem resolves every linked ticket
and leaves each customer a notice in their conversation."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from classifier.specifics import states_failure
from handoff.alerts import AlertLog
from handoff.clock import as_utc
from handoff.context import DeskContext
from handoff.desk_models import Problem
from handoff.errors import HandoffError
from handoff.models import OPEN_STATES, Ticket
from handoff.races import on_fresh_state
from handoff.tickets import Tickets
from handoff.vectors import from_bytes, unit
from handoff.views import ProblemLink, ProblemView, TicketView


def same_fault(a: str, b: str) -> bool:
    """Whether two similar fault subjects may be one fault by what they say: both state that something fails,
    or neither does ("카메라가 안켜져요" and "내 카메라 도둑맞았어요" name one device, not one fault). Only Korean
    is read so (``classifier.specifics.states_failure``); other text is left to the similarity."""
    return states_failure(a) == states_failure(b)


# the subject ending of a ticket opened because the bot's answer did not help ("how do I reset my password? —
# answer did not help"): that answer's gap for the editors, no fault of the product; never grouped as one
NOT_HELPED = (" — answer did not help", " — 답변으로 해결되지 않음")


def answer_did_not_help(subject: str) -> bool:
    """Whether a ticket's ``subject`` says it was opened because an answer did not help (NOT_HELPED), so that
    several such tickets about one question never form a fault problem nor an incident."""
    return any(mark in subject for mark in NOT_HELPED)


class ProblemNotFound(HandoffError):
    """No problem with that reference."""


def problem_public_id(n: int) -> str:
    """The id agents see for problem number ``n``: ``PRB-0007``."""
    return f"PRB-{n:04d}"


class ProblemBook:
    """Groups fault tickets into problems, alerts on problems and incidents, resolves them together."""

    def __init__(self, ctx: DeskContext, alerts: AlertLog, tickets: Tickets) -> None:
        self.ctx = ctx
        self.alerts = alerts
        self.tickets = tickets

    @on_fresh_state
    def link(self, ref: str | int, vector: np.ndarray, *, model: str = "") -> ProblemLink | None:
        """Store the ticket's subject vector (made by the encoder ``model``) and group it with similar
        recent faults, if any (a resolved problem one of whose tickets was reopened is reopened and takes
        the ticket): only with tickets and problems whose vectors the same encoder made (two
        encoders' vectors are not comparable, even of one length: all-MiniLM-L6-v2 and multilingual-e5-small
        both give 384 numbers)."""
        cfg = self.ctx.settings.problems
        v = unit(vector)
        own = model or None
        with self.ctx.sessions() as s:
            t = self.ctx.find(s, ref)
            if t.subject_vector != v.tobytes() or t.subject_model != own:  # tickets.create may have stored it
                t.subject_vector, t.subject_model = v.tobytes(), own
            if t.label not in cfg.labels or cfg.incident_tickets <= 0 or answer_did_not_help(t.subject):
                s.commit()
                return None
            now = self.ctx.now()
            since = as_utc(now) - timedelta(minutes=cfg.window_minutes)
            need = cfg.similarity_for(own)
            best: tuple[float, Problem] | None = None
            open_ticket = select(Ticket.id).where(Ticket.problem_id == Problem.id, Ticket.status.in_(OPEN_STATES))
            # an open problem still seen; or a resolved one whose fault is back, a ticket of it reopened ("다시 안
            # 돼요"): the new report reopens it (no second problem of one title). A problem whose tickets are all
            # resolved takes no new ticket: after the fix nobody is told it is being worked on.
            live = and_(Problem.status == "open", Problem.last_seen_at >= since, open_ticket.exists())
            back = and_(Problem.status == "resolved", open_ticket.exists())
            for p in s.scalars(select(Problem).where(Problem.label == t.label, or_(live, back))):
                pv = from_bytes(p.vector)
                if pv is None or pv.shape != v.shape or p.vector_model != own or not same_fault(p.title, t.subject):
                    continue
                score = float(pv @ v)
                if score >= need and (best is None or score > best[0]):
                    best = (score, p)
            if best is not None:
                p = best[1]
                if p.status != "open":  # its fault is back: the problem is worked on again
                    p.status, p.resolved_at = "open", None
                    self.ctx.event(s, t.id, "bot", "problem_reopened", problem=problem_public_id(p.id))
                self._link(s, p, t, score=best[0], update_vector=True)
                self._maybe_incident(s, p)
                s.commit()
                return ProblemLink(p.id, problem_public_id(p.id), known=True, created=False)
            group: list[Ticket] = []
            for o in s.scalars(
                select(Ticket).where(
                    Ticket.id != t.id,
                    Ticket.created_at >= since,
                    Ticket.problem_id.is_(None),
                    Ticket.label == t.label,
                    Ticket.subject_vector.is_not(None),
                    Ticket.subject_model.is_(None) if own is None else Ticket.subject_model == own,
                )
            ):
                ov = from_bytes(o.subject_vector)
                if ov is not None and ov.shape == v.shape and float(ov @ v) >= need \
                        and same_fault(o.subject, t.subject) and not answer_did_not_help(o.subject):
                    group.append(o)
            if not group:
                s.commit()
                return None
            members = sorted([*group, t], key=lambda x: x.id)
            vectors = [mv for mv in (from_bytes(m.subject_vector) for m in members) if mv is not None]
            centroid = unit(np.mean(np.stack(vectors), axis=0))
            p = Problem(
                title=members[0].subject[:300],
                label=t.label,
                status="open",
                vector=centroid.tobytes(),
                vector_model=own,
                created_at=now,
                last_seen_at=now,
            )
            s.add(p)
            s.flush()
            for m in members:
                self._link(s, p, m, score=float(centroid @ unit(from_bytes(m.subject_vector))))  # type: ignore[arg-type]
            self.alerts.add(
                s,
                "problem",
                "warning",
                f"{problem_public_id(p.id)}: {len(members)} similar {t.label} tickets: {p.title[:150]}",
                problem_id=p.id,
                team=self.ctx.settings.response_team,
                tickets=[m.public_id for m in members],
            )
            self._maybe_incident(s, p)
            s.commit()
            return ProblemLink(p.id, problem_public_id(p.id), known=False, created=True)

    def _link(self, s: Session, p: Problem, t: Ticket, *, score: float, update_vector: bool = False) -> None:
        t.problem_id = p.id
        p.last_seen_at = self.ctx.now()
        pv, tv = from_bytes(p.vector), from_bytes(t.subject_vector)
        if update_vector and pv is not None and tv is not None:  # running mean of the linked subjects
            n = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.problem_id == p.id)) or 1
            p.vector = unit(pv * max(1, n - 1) + tv).tobytes()
        self.ctx.event(s, t.id, "bot", "problem_linked", problem=problem_public_id(p.id), score=round(score, 3))

    def _maybe_incident(self, s: Session, p: Problem) -> None:
        cfg = self.ctx.settings.problems
        if p.incident_alerted:
            return
        s.flush()
        since = as_utc(self.ctx.now()) - timedelta(minutes=cfg.incident_minutes)
        n = (
            s.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.problem_id == p.id, Ticket.created_at >= since)
            )
            or 0
        )
        if n >= cfg.incident_tickets:
            p.incident_alerted = True
            self.alerts.add(
                s,
                "incident",
                "critical",
                f"incident: {n} '{p.label}' tickets like {problem_public_id(p.id)} in "
                f"{cfg.incident_minutes:g} minutes: {p.title[:150]}",
                problem_id=p.id,
                team=self.ctx.settings.response_team,
                tickets=n,
            )

    def _find(self, s: Session, ref: str | int) -> Problem:
        text = str(ref).strip().upper()
        digits = text.removeprefix("PRB-").lstrip("0") or "0"
        p = s.get(Problem, int(digits)) if digits.isdigit() else None
        if p is None:
            raise ProblemNotFound(f"no problem {ref!r}")
        return p

    def _view(self, s: Session, p: Problem) -> ProblemView:
        rows = s.execute(
            select(Ticket.public_id, Ticket.status).where(Ticket.problem_id == p.id).order_by(Ticket.id)
        ).all()
        return ProblemView(
            id=p.id,
            public_id=problem_public_id(p.id),
            title=p.title,
            label=p.label,
            status=p.status,
            tickets=[r[0] or "" for r in rows],
            open_tickets=sum(r[1] in OPEN_STATES for r in rows),
            incident=p.incident_alerted,
            resolution=p.resolution,
            created_at=p.created_at,
            last_seen_at=p.last_seen_at,
            resolved_at=p.resolved_at,
        )

    def list(self, *, status: str | None = "open", limit: int = 200) -> builtins.list[ProblemView]:
        """Problems, newest first: of one status ("open", "resolved"), or all with None."""
        with self.ctx.sessions() as s:
            stmt = select(Problem).order_by(Problem.id.desc()).limit(limit)
            if status:
                stmt = stmt.where(Problem.status == status)
            return [self._view(s, p) for p in s.scalars(stmt)]

    def get(self, ref: str | int) -> ProblemView:
        """Problem ``ref`` (``PRB-0007`` or 7); ProblemNotFound otherwise."""
        with self.ctx.sessions() as s:
            return self._view(s, self._find(s, ref))

    def settle(self, ticket: TicketView) -> ProblemView | None:
        """After ``ticket`` was resolved on its own: its open problem is resolved with it when no linked ticket
        is open any more (the ticket's resolution is the problem's; nobody is told the problem is being worked
        on after that). Returns the problem so resolved, None otherwise."""
        if ticket.problem_id is None:
            return None
        with self.ctx.sessions() as s:
            p = s.get(Problem, ticket.problem_id)
            if p is None or p.status != "open":
                return None
            still = s.scalar(select(func.count()).select_from(Ticket)
                             .where(Ticket.problem_id == p.id, Ticket.status.in_(OPEN_STATES))) or 0
            if still:
                return None
            p.status, p.resolution, p.resolved_at = "resolved", ticket.resolution or "", self.ctx.now()
            self.ctx.event(s, ticket.id, "bot", "problem_resolved", problem=problem_public_id(p.id))
            s.commit()
            return self._view(s, p)

    def resolve(
        self, ref: str | int, agent: str, resolution: str, *, notice: Callable[[TicketView], str]
    ) -> builtins.list[TicketView]:
        """Resolve the problem and every open linked ticket; each customer gets ``notice(ticket)``.
        Returns the tickets resolved; HandoffError without a note or for a problem already resolved."""
        if not resolution.strip():
            raise HandoffError("resolving a problem needs a resolution note")
        with self.ctx.sessions() as s:
            p = self._find(s, ref)
            if p.status != "open":
                raise HandoffError(f"problem {problem_public_id(p.id)} is {p.status}")
            p.status, p.resolution, p.resolved_at = "resolved", resolution.strip(), self.ctx.now()
            ids = list(
                s.scalars(
                    select(Ticket.id)
                    .where(Ticket.problem_id == p.id, Ticket.status.in_(OPEN_STATES))
                    .order_by(Ticket.id)
                )
            )
            s.commit()
        done = []
        for tid in ids:
            view = self.tickets.get(tid)
            done.append(self.tickets.resolve(tid, agent, resolution, notice=notice(view)))
        return done
