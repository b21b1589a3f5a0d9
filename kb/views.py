"""What the knowledge base hands out: a search hit and a frozen view of a case. Plain data."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime

from kb.models import Case


@dataclass(frozen=True)
class Hit:
    """A solved case near a message: its best phrasing's cosine similarity."""

    case_id: str
    score: float
    phrasing: str = ""


@dataclass(frozen=True)
class CaseView:
    """One solved case: customer phrasings (``questions``), the answer (and ``translations``: ISO 639-1
    code -> the answer in that language), review ``state`` and where it came from."""

    id: str
    answer: str
    questions: builtins.list[str]
    tags: builtins.list[str]
    product: str
    state: str
    source: str
    source_ref: str | None
    revision: int
    created_at: datetime
    updated_at: datetime
    translations: dict[str, str] = field(default_factory=dict)  # language code -> the answer in it
    # language code -> its answer written for an older answer (an import changed the answer, not this one):
    # never served (the customer gets the answer, introduced in their language) until it is written again
    outdated: dict[str, str] = field(default_factory=dict)


# the key of ``Case.translations`` that keeps the outdated answers ({code: text}), beside the served ones
OUTDATED = "_outdated"


def case_view(c: Case) -> CaseView:
    """The case row (its phrasings loaded) as a :class:`CaseView`."""
    raw = dict(c.translations or {})
    outdated = raw.pop(OUTDATED, None)
    return CaseView(
        id=c.id, answer=c.answer, questions=c.questions, tags=list(c.tags or []), product=c.product,
        state=c.state, source=c.source, source_ref=c.source_ref, revision=c.revision,
        created_at=c.created_at, updated_at=c.updated_at, translations=raw,
        outdated=dict(outdated) if isinstance(outdated, dict) else {},
    )
