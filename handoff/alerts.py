"""Alerts: what the agents' surfaces (Slack channel, console) should show, written by the other parts
of the desk (SLA warnings and breaches, critical tickets, incidents, problems, low ratings, unassigned
tickets) and polled by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.context import DeskContext
from handoff.desk_models import Alert
from handoff.models import Ticket
from handoff.views import AlertView
from kb.scrub import scrub


class AlertLog:
    """Writes alerts in the caller's transaction and reads them back as :class:`AlertView`."""

    def __init__(self, ctx: DeskContext) -> None:
        self.ctx = ctx

    def add(
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
    ) -> None:
        """Add an alert in ``s`` (stored when the caller commits). ``kind`` is one of
        :data:`handoff.desk_models.ALERT_KINDS`, ``severity`` one of ``SEVERITIES``; ``team`` defaults
        to the ticket's; ``data`` is JSON-able detail for the surfaces. ``text`` is stored scrubbed of
        secrets and personal data (:func:`kb.scrub.scrub`): alerts are pushed to other services."""
        s.add(
            Alert(
                kind=kind,
                severity=severity,
                ticket_id=ticket.id if ticket else None,
                problem_id=problem_id,
                team=team or (ticket.team if ticket else ""),
                text=scrub(text),  # as the Unanswered page shows it: agents' surfaces, Slack, pagers
                data=data,
                created_at=self.ctx.now(),
            )
        )

    def after(self, after_id: int = 0, *, limit: int = 200) -> list[AlertView]:
        """Alerts with id > ``after_id``, oldest first: surfaces poll with the last id they showed."""
        return self._views(Alert.id > after_id, Alert.id.asc(), limit)

    def recent(self, limit: int = 20) -> list[AlertView]:
        """The newest ``limit`` alerts, newest first (the console shows them above the queue)."""
        return self._views(None, Alert.id.desc(), limit)

    def get(self, alert_id: int) -> AlertView | None:
        """Alert ``alert_id``, or None when there is none."""
        found = self._views(Alert.id == alert_id, Alert.id.asc(), 1)
        return found[0] if found else None

    def _views(self, where: Any, order: Any, limit: int) -> list[AlertView]:
        with self.ctx.sessions() as s:
            stmt = select(Alert, Ticket.public_id).outerjoin(Ticket, Ticket.id == Alert.ticket_id)
            if where is not None:
                stmt = stmt.where(where)
            rows = s.execute(stmt.order_by(order).limit(limit)).all()
            return [
                AlertView(
                    id=a.id,
                    kind=a.kind,
                    severity=a.severity,
                    ticket=pid,
                    problem_id=a.problem_id,
                    team=a.team,
                    text=a.text,
                    created_at=a.created_at,
                    data=dict(a.data or {}),
                )
                for a, pid in rows
            ]
