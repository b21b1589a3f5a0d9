"""What the desk needs to know from the configuration, as plain typed data (built by the app)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handoff.sla import SlaBook


@dataclass(frozen=True)
class Queue:
    """Tickets whose label and product match go to ``team`` (an empty list matches anything)."""

    name: str
    team: str
    labels: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    def matches(self, label: str, product: str) -> bool:
        return (not self.labels or label in self.labels) and (not self.products or product in self.products)

    @classmethod
    def parse_all(cls, raw: Iterable[Mapping[str, Any]]) -> list[Queue]:
        out = []
        for q in raw:
            name = str(q.get("name", "")).strip()
            out.append(
                cls(
                    name=name,
                    team=str(q.get("team", name)).strip() or name,
                    labels=tuple(str(x) for x in q.get("labels", []) or []),
                    products=tuple(str(x) for x in q.get("products", []) or []),
                )
            )
        return out


@dataclass(frozen=True)
class ProblemSettings:
    """Grouping of similar fault tickets into problems."""

    labels: tuple[str, ...] = ("fault",)
    similarity: float = 0.75
    similarity_by_model: tuple[tuple[str, float], ...] = ()  # (encoder name, cosine) where it differs
    window_minutes: float = 240.0
    incident_tickets: int = 3
    incident_minutes: float = 30.0

    def similarity_for(self, model: str | None) -> float:
        """The cosine two subjects embedded by encoder ``model`` need to be one problem (``similarity``
        unless ``similarity_by_model`` names that encoder)."""
        return dict(self.similarity_by_model).get(model or "", self.similarity)


@dataclass(frozen=True)
class DeskSettings:
    reopen_window_hours: float = 72.0
    auto_close_hours: float = 168.0
    low_rating_alert: int = 2  # a rating at or under this raises an alert (0: never)
    sla: SlaBook = field(default_factory=SlaBook)
    raise_priority_on_breach: bool = True
    queues: list[Queue] = field(default_factory=list)
    default_team: str = "support"
    auto_assign: bool = False
    unassigned_alert_minutes: float = 30.0  # an unassigned ticket this old raises an alert (0: never)
    response_team: str = "response"
    critical_priorities: tuple[str, ...] = ("urgent",)
    critical_impacts: tuple[str, ...] = ("wide",)
    problems: ProblemSettings = field(default_factory=ProblemSettings)
    on_call: bool = False  # someone takes critical tickets out of business hours (the customer is told so)

    def critical(self, priority: str, impact: str) -> bool:
        """Whether a ticket of ``priority`` and ``impact`` is critical (``critical_priorities``/``critical_impacts``):
        it goes to the response team with an alert."""
        return priority in self.critical_priorities or impact in self.critical_impacts

    def route(self, label: str, product: str) -> str:
        for q in self.queues:
            if q.matches(label, product):
                return q.team
        return self.default_team
