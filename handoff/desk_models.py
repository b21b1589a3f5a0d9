"""Tables of the support desk around tickets: alerts for the agents' surfaces, agents, problems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handoff.models import Base, UTCDateTime, utcnow

ALERT_KINDS = ("sla_warning", "sla_breach", "critical", "incident", "problem", "low_rating", "unassigned")
SEVERITIES = ("info", "warning", "critical")


class Alert(Base):
    """Something the agents' surfaces (Slack channel, console) should show; polled by id."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True, default=None)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), index=True, default=None)
    team: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Agent(Base):
    """A person who takes tickets: available for round-robin assignment or not, member of teams."""

    __tablename__ = "agents"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Problem(Base):
    """A recurring fault: similar fault tickets grouped, resolved together (ISO/IEC 20000 problem)."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    vector_model: Mapped[str | None] = mapped_column(String(120), default=None)  # the encoder of ``vector``
    incident_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
