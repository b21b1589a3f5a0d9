"""Problems: fault tickets similar in meaning (subject embeddings) within a time window are grouped;
N of them in T minutes raise an incident alert; resolving the problem resolves every linked ticket
and leaves each customer a notice in their conversation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handoff.clock import as_utc
from handoff.desk_models import Problem
from handoff.errors import HandoffError
from handoff.models import OPEN_STATES, Ticket
from handoff.races import on_fresh_state
from handoff.views import ProblemLink, ProblemView, TicketView

if TYPE_CHECKING:
    from handoff.clock import Clock
    from handoff.desk_models import Alert  # noqa: F401
    from handoff.settings import DeskSettings


class ProblemNotFound(HandoffError):
    pass


def problem_public_id(n: int) -> str:
    return f"PRB-{n:04d}"


def _vec(data: bytes | None) -> np.ndarray | None:
    if not data:
        return None
    return np.frombuffer(data, dtype=np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


class ProblemOps:
    if TYPE_CHECKING:
        _sessions: sessionmaker[Session]
        @property
        def now(self) -> Clock: ...
        desk: DeskSettings

        def _find(self, s: Session, ref: str | int) -> Ticket: ...
        def _event(self, s: Session, ticket_id: int, actor: str, kind: str, **data: Any) -> None: ...
        def _alert(
            self,
            s: Session,
            kind: str,
            severity: str,
            text: str,
            *,
            ticket: Ticket | None = None,
            problem_id: int | None = None,
            team: str = "",
            **data: Any,
        ) -> None: ...
        def get(self, ref: str | int) -> TicketView: ...
        def resolve(self, ref: str | int, agent: str, resolution: str, *, notice: str) -> TicketView: ...

    @on_fresh_state
    def link_problem(self, ref: str | int, vector: np.ndarray) -> ProblemLink | None:
        """Store the ticket's subject vector and group it with similar recent faults, if any."""
        cfg = self.desk.problems
        v = _unit(vector)
        with self._sessions() as s:
            t = self._find(s, ref)
            t.subject_vector = v.tobytes()
            if t.label not in cfg.labels or cfg.incident_tickets <= 0:
                s.commit()
                return None
            now = self.now()
            since = as_utc(now) - timedelta(minutes=cfg.window_minutes)
            best: tuple[float, Problem] | None = None
            for p in s.scalars(
                select(Problem).where(Problem.status == "open", Problem.last_seen_at >= since)
            ):
                pv = _vec(p.vector)
                if pv is None or pv.shape != v.shape:
                    continue
                score = float(pv @ v)
                if score >= cfg.similarity and (best is None or score > best[0]):
                    best = (score, p)
            if best is not None:
                p = best[1]
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
                    Ticket.label.in_(cfg.labels),
                    Ticket.subject_vector.is_not(None),
                )
            ):
                ov = _vec(o.subject_vector)
                if ov is not None and ov.shape == v.shape and float(ov @ v) >= cfg.similarity:
                    group.append(o)
            if not group:
                s.commit()
                return None
            members = sorted([*group, t], key=lambda x: x.id)
            vectors = [mv for mv in (_vec(m.subject_vector) for m in members) if mv is not None]
            centroid = _unit(np.mean(np.stack(vectors), axis=0))
            p = Problem(
                title=members[0].subject[:300],
                label=t.label,
                status="open",
                vector=centroid.tobytes(),
                created_at=now,
                last_seen_at=now,
            )
            s.add(p)
            s.flush()
            for m in members:
                self._link(s, p, m, score=float(centroid @ _unit(_vec(m.subject_vector))))  # type: ignore[arg-type]
            self._alert(
                s,
                "problem",
                "warning",
                f"{problem_public_id(p.id)}: {len(members)} similar {t.label} tickets: {p.title[:150]}",
                problem_id=p.id,
                team=self.desk.response_team,
                tickets=[m.public_id for m in members],
            )
            self._maybe_incident(s, p)
            s.commit()
            return ProblemLink(p.id, problem_public_id(p.id), known=False, created=True)

    def _link(self, s: Session, p: Problem, t: Ticket, *, score: float, update_vector: bool = False) -> None:
        t.problem_id = p.id
        p.last_seen_at = self.now()
        pv, tv = _vec(p.vector), _vec(t.subject_vector)
        if update_vector and pv is not None and tv is not None:  # running mean of the linked subjects
            n = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.problem_id == p.id)) or 1
            p.vector = _unit(pv * max(1, n - 1) + tv).tobytes()
        self._event(s, t.id, "bot", "problem_linked", problem=problem_public_id(p.id), score=round(score, 3))

    def _maybe_incident(self, s: Session, p: Problem) -> None:
        cfg = self.desk.problems
        if p.incident_alerted:
            return
        s.flush()
        since = as_utc(self.now()) - timedelta(minutes=cfg.incident_minutes)
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
            self._alert(
                s,
                "incident",
                "critical",
                f"incident: {n} '{p.label}' tickets like {problem_public_id(p.id)} in "
                f"{cfg.incident_minutes:g} minutes: {p.title[:150]}",
                problem_id=p.id,
                team=self.desk.response_team,
                tickets=n,
            )

    def _problem(self, s: Session, ref: str | int) -> Problem:
        text = str(ref).strip().upper()
        digits = text.removeprefix("PRB-").lstrip("0") or "0"
        p = s.get(Problem, int(digits)) if digits.isdigit() else None
        if p is None:
            raise ProblemNotFound(f"no problem {ref!r}")
        return p

    def _problem_view(self, s: Session, p: Problem) -> ProblemView:
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

    def problems(self, *, status: str | None = "open", limit: int = 200) -> list[ProblemView]:
        with self._sessions() as s:
            stmt = select(Problem).order_by(Problem.id.desc()).limit(limit)
            if status:
                stmt = stmt.where(Problem.status == status)
            return [self._problem_view(s, p) for p in s.scalars(stmt)]

    def problem(self, ref: str | int) -> ProblemView:
        with self._sessions() as s:
            return self._problem_view(s, self._problem(s, ref))

    def resolve_problem(
        self, ref: str | int, agent: str, resolution: str, *, notice: Callable[[TicketView], str]
    ) -> list[TicketView]:
        """Resolve the problem and every open linked ticket; each customer gets ``notice(ticket)``."""
        if not resolution.strip():
            raise HandoffError("resolving a problem needs a resolution note")
        with self._sessions() as s:
            p = self._problem(s, ref)
            if p.status != "open":
                raise HandoffError(f"problem {problem_public_id(p.id)} is {p.status}")
            p.status, p.resolution, p.resolved_at = "resolved", resolution.strip(), self.now()
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
            view = self.get(tid)
            done.append(self.resolve(tid, agent, resolution, notice=notice(view)))
        return done
