"""What an import changes: the report of one import and each existing case it changes. Plain data,
shared by the service that imports and the error that refuses an unasked-for update."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseChange:
    """An existing case that an import file would change: its answer, tags or product (``fields``)."""

    case_id: str
    fields: tuple[str, ...]
    old_answer: str
    new_answer: str
    # the answer changed and the file gives no new answer in these languages: their answers are outdated
    # (kept aside, never served: their customers get the new answer until these are written again)
    outdated: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do): cases created (``new_cases``), existing
    cases changed (``changes``, each with the old and the new answer), phrasings added."""

    created: int
    updated: int
    phrasings_added: int
    new_cases: tuple[str, ...] = ()
    changes: tuple[CaseChange, ...] = ()
    dry_run: bool = False
