"""Labels and the action each one takes, declared in config (``classifier.labels``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from classifier.errors import ClassifierError

ACTIONS = ("answer", "escalate", "reply")
PRIORITIES = ("low", "normal", "high", "urgent")


class LabelsError(ClassifierError):
    """The label table in config is not usable."""


@dataclass(frozen=True)
class LabelSpec:
    name: str
    action: str
    priority: str = "normal"


def parse_labels(raw: list[dict[str, Any]]) -> list[LabelSpec]:
    out: list[LabelSpec] = []
    seen: set[str] = set()
    if not raw:
        raise LabelsError("at least one label is needed")
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise LabelsError(f"entry {i + 1} must be a mapping with name, action, priority")
        unknown = set(item) - {"name", "action", "priority"}
        if unknown:
            raise LabelsError(f"entry {i + 1}: unknown key(s) {', '.join(sorted(unknown))}")
        name = str(item.get("name", "")).strip()
        if not name:
            raise LabelsError(f"entry {i + 1}: name is missing")
        if name in seen:
            raise LabelsError(f"label {name!r} is declared twice")
        seen.add(name)
        action = item.get("action", "escalate")
        if action not in ACTIONS:
            raise LabelsError(f"label {name!r}: action {action!r} is not one of {', '.join(ACTIONS)}")
        priority = item.get("priority", "normal")
        if priority not in PRIORITIES:
            raise LabelsError(f"label {name!r}: priority {priority!r} is not one of {', '.join(PRIORITIES)}")
        out.append(LabelSpec(name=name, action=action, priority=priority))
    return out


def raise_priority(priority: str, steps: int = 1) -> str:
    i = min(PRIORITIES.index(priority) + steps, len(PRIORITIES) - 1)
    return PRIORITIES[i]
