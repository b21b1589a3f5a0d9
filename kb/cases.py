"""Solved cases in the database: reading them, importing a file of them (all or nothing), editors'
writes, and the KB revision every write moves (each worker's index follows it, :mod:`kb.service`).

Every write stores the embeddings of the phrasings it adds, only those: an edit re-embeds the changed
case alone.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from kb.changes import CaseChange, ImportReport
from kb.embedder import Embedder
from kb.errors import CaseNotFound, ImportWouldChange, KBError
from kb.importer import CASE_ID, CaseRow
from kb.models import CASE_SOURCES, CASE_STATES, Case, KBState, Phrasing, utcnow
from kb.views import OUTDATED, CaseView, case_view


def revision(sessions: sessionmaker[Session]) -> int:
    """The KB revision: moved by every write to a case (0 before the first). Inside a unit of work (one
    customer message, ``bot.db.UnitSessions.unit``) it is read once and kept for the unit: the message is
    routed, searched and answered against one revision, for one statement."""
    with sessions() as s:
        unit = bool(getattr(s, "lent", False))
        if unit and "kb_revision" in s.info:
            return int(s.info["kb_revision"])
        rev = int(s.scalar(select(KBState.revision).where(KBState.id == 1)) or 0)
        if unit:
            s.info["kb_revision"] = rev
        return rev


def bump_revision(s: Session) -> None:
    """Move the KB revision by one, in the caller's transaction."""
    s.info.pop("kb_revision", None)  # read again after this write
    if s.get(KBState, 1) is None:
        s.add(KBState(id=1, revision=1))
        s.flush()
    else:
        s.execute(update(KBState).where(KBState.id == 1).values(revision=KBState.revision + 1))


def _clean_translations(translations: dict[str, str]) -> dict[str, str]:
    """Language codes checked (two-letter ISO 639-1, KBError otherwise) and lower-cased; empty texts dropped."""
    out: dict[str, str] = {}
    for code, text in translations.items():
        code = code.strip().lower()
        if not (len(code) == 2 and code.isascii() and code.isalpha()):
            raise KBError(f"answer language {code!r}: expected a two-letter ISO 639-1 code such as ko")
        if text.strip():
            out[code] = text.strip()
    return out


def _with_outdated(old: dict[str, Any], new: dict[str, str], outdated: Iterable[str]) -> dict[str, Any]:
    """``Case.translations`` from ``old`` (as stored) with the answers of ``new`` set (each no longer outdated)
    and the languages ``outdated`` moved aside under :data:`kb.views.OUTDATED` (never served)."""
    aside = dict(old.pop(OUTDATED, None) or {})
    for code in outdated:
        if old.get(code):
            aside[code] = old.pop(code)
    merged: dict[str, Any] = {**old, **new}
    aside = {k: v for k, v in aside.items() if k not in new}
    return {**merged, OUTDATED: aside} if aside else merged


def _clean_questions(questions: Iterable[str]) -> builtins.list[str]:
    """Phrasings stripped, empty and repeated ones dropped, in order."""
    out: builtins.list[str] = []
    for q in questions:
        q = q.strip()
        if q and q not in out:
            out.append(q)
    return out


class CaseStore:
    """Reads and writes cases; the phrasings it adds are embedded with ``embedder`` at once."""

    def __init__(self, sessions: sessionmaker[Session], embedder: Embedder) -> None:
        self._sessions = sessions
        self.embedder = embedder

    def get(self, case_id: str) -> CaseView:
        """Case ``case_id`` as it is stored now (CaseNotFound otherwise)."""
        with self._sessions() as s:
            c = s.get(Case, case_id, options=[selectinload(Case.phrasings)])
            if c is None:
                raise CaseNotFound(case_id)
            return case_view(c)

    def list(self, *, state: str | None = None, query: str | None = None, limit: int = 1000,
             source_ref: str | None = None) -> builtins.list[CaseView]:
        """Cases by id; ``source_ref``: only those proposed from that ticket."""
        with self._sessions() as s:
            stmt = select(Case).options(selectinload(Case.phrasings)).order_by(Case.id).limit(limit)
            if state:
                stmt = stmt.where(Case.state == state)
            if source_ref is not None:
                stmt = stmt.where(Case.source_ref == source_ref)
            if query:
                like = f"%{query.lower()}%"
                stmt = stmt.where(
                    func.lower(Case.id).like(like) | func.lower(Case.answer).like(like)
                    | Case.id.in_(select(Phrasing.case_id).where(func.lower(Phrasing.text).like(like)))
                )
            return [case_view(c) for c in s.scalars(stmt)]

    def phrasing_rows(self) -> builtins.list[tuple[int, str, str]]:
        """``(phrasing id, case_id, text)`` of every phrasing of the published cases, by phrasing id."""
        with self._sessions() as s:
            rows = s.execute(select(Phrasing.id, Phrasing.case_id, Phrasing.text).join(Case)
                             .where(Case.state == "published").order_by(Phrasing.id)).all()
        return [(int(r.id), str(r.case_id), str(r.text)) for r in rows]

    def count(self, *, state: str | None = "published") -> int:
        """How many cases are in ``state`` (every case with None)."""
        with self._sessions() as s:
            stmt = select(func.count()).select_from(Case)
            if state:
                stmt = stmt.where(Case.state == state)
            return int(s.scalar(stmt) or 0)

    def export_rows(self, *, state: str | None = "published") -> builtins.list[CaseRow]:
        """The cases in ``state`` as rows of an import file (the same columns :mod:`kb.importer` reads)."""
        return [CaseRow(case_id=c.id, answer=c.answer, questions=c.questions, tags=c.tags, product=c.product,
                        translations=dict(c.translations)) for c in self.list(state=state, limit=10**9)]

    # -- writes ---------------------------------------------------------------------------------

    def _embed_into(self, case: Case, questions: builtins.list[str], *, progress: bool = False) -> int:
        """Make the case's phrasings exactly ``questions``; embed only the new ones."""
        have = {p.text: p for p in case.phrasings}
        new = [q for q in questions if q not in have]
        for p in list(case.phrasings):
            if p.text not in questions:
                case.phrasings.remove(p)
        if new:
            vecs = self.embedder.encode(new, progress=progress)
            for q, v in zip(new, vecs, strict=True):
                case.phrasings.append(Phrasing(text=q, embedding=v.tobytes(), model=self.embedder.name))
        return len(new)

    def import_rows(
        self, rows: builtins.list[CaseRow], *, source: str = "import", progress: bool = False,
        update: bool = False, dry_run: bool = False,
    ) -> ImportReport:
        """Create or update every case of ``rows`` in one transaction: all or nothing.

        New cases are created and new phrasings added. An existing case whose answer, tags or product
        the file changes is changed only with ``update``; without it :class:`ImportWouldChange` is
        raised, carrying the report, and nothing is written. ``dry_run`` writes nothing and reports
        what would happen."""
        created = updated = added = 0
        new_cases: builtins.list[str] = []
        changes: builtins.list[CaseChange] = []
        with self._sessions() as s:
            cases = {c.id: c for c in s.scalars(
                select(Case).options(selectinload(Case.phrasings)).where(Case.id.in_([r.case_id for r in rows]))
            )}
            for r in rows:
                c = cases.get(r.case_id)
                if c is None:
                    new_cases.append(r.case_id)
                    continue
                fields = tuple(name for name, differs in (
                    ("answer", r.answer != c.answer), ("tags", bool(r.tags) and r.tags != list(c.tags or [])),
                    ("product", bool(r.product) and r.product != c.product),
                    ("translations", any((c.translations or {}).get(k) != v for k, v in r.translations.items())),
                ) if differs)
                if fields:
                    outdated = tuple(sorted(code for code, text in (c.translations or {}).items()
                                            if "answer" in fields and text and code != OUTDATED
                                            and code not in r.translations))
                    changes.append(CaseChange(case_id=c.id, fields=fields, old_answer=c.answer, new_answer=r.answer,
                                              outdated=outdated))
            known = {(c.id, p.text) for c in cases.values() for p in c.phrasings}
            todo = [q for r in rows for q in r.questions if (r.case_id, q) not in known]
            plan = ImportReport(created=len(new_cases), updated=len(changes), phrasings_added=len(set(todo)),
                                new_cases=tuple(new_cases), changes=tuple(changes), dry_run=True)
            if dry_run:
                return plan
            if changes and not update:
                raise ImportWouldChange(plan)
            vecs = self.embedder.encode(todo, progress=progress) if todo else None
            vec_of = {q: vecs[i] for i, q in enumerate(todo)} if vecs is not None else {}
            changed = {ch.case_id for ch in changes}
            now = utcnow()
            for r in rows:
                c = cases.get(r.case_id)
                if c is None:
                    c = Case(id=r.case_id, answer=r.answer, tags=r.tags, product=r.product, state="published",
                             source=source, created_at=now, updated_at=now, revision=1,
                             translations=dict(r.translations))
                    s.add(c)
                    created += 1
                elif c.id in changed:
                    c.answer, c.tags, c.product = r.answer, r.tags or c.tags, r.product or c.product
                    # answer_ko in the file: set; a language it does not name, when the answer changed, is
                    # outdated: kept aside, never served (its customers get the new answer) until written again
                    c.translations = _with_outdated(dict(c.translations or {}), r.translations,
                                                    next(ch.outdated for ch in changes if ch.case_id == c.id))
                    c.updated_at, c.revision = now, c.revision + 1
                    updated += 1
                have = {p.text for p in c.phrasings}
                for q in r.questions:
                    if q not in have:
                        c.phrasings.append(Phrasing(text=q, embedding=vec_of[q].tobytes(), model=self.embedder.name))
                        have.add(q)
                        added += 1
            bump_revision(s)
            s.commit()
        return ImportReport(created=created, updated=updated, phrasings_added=added, new_cases=tuple(new_cases),
                            changes=tuple(changes))

    def add_case(
        self, case_id: str, questions: builtins.list[str], answer: str, *, tags: builtins.list[str] | None = None,
        product: str = "", state: str = "published", source: str = "editor", source_ref: str | None = None,
        translations: dict[str, str] | None = None,
    ) -> CaseView:
        """Create a case; ``translations`` maps a language code to the answer in that language. Raises
        KBError for a bad id, state or source, an empty answer, an id taken, or no phrasing (a draft may
        have none: its editor writes them before it is published)."""
        trans = _clean_translations(translations or {})
        questions = _clean_questions(questions)
        if not CASE_ID.match(case_id):
            raise KBError(f"case id {case_id!r} must be letters, digits, '-', '_', '.', ':' (at most 120)")
        if not questions and state != "draft":  # a draft may wait for its editor to write them
            raise KBError("a case needs at least one customer phrasing")
        if not answer.strip():
            raise KBError("a case needs an answer")
        if state not in CASE_STATES or source not in CASE_SOURCES:
            raise KBError(f"bad state {state!r} or source {source!r}")
        with self._sessions() as s:
            if s.get(Case, case_id) is not None:
                raise KBError(f"a case with id {case_id!r} exists already")
            now = utcnow()
            c = Case(id=case_id, answer=answer.strip(), tags=tags or [], product=product, state=state,
                     source=source, source_ref=source_ref, created_at=now, updated_at=now, revision=1,
                     translations=trans)
            s.add(c)
            self._embed_into(c, questions)
            bump_revision(s)
            s.commit()
        return self.get(case_id)

    def update_case(
        self, case_id: str, *, questions: builtins.list[str] | None = None, answer: str | None = None,
        tags: builtins.list[str] | None = None, product: str | None = None, state: str | None = None,
        translations: dict[str, str] | None = None,
    ) -> CaseView:
        """Change what is given; ``translations`` replaces the answers in other languages (an empty
        text removes that language)."""
        trans = _clean_translations(translations) if translations is not None else None
        with self._sessions() as s:
            c = s.get(Case, case_id, options=[selectinload(Case.phrasings)])
            if c is None:
                raise CaseNotFound(case_id)
            if questions is not None:
                qs = _clean_questions(questions)
                if not qs:
                    raise KBError("a case needs at least one customer phrasing")
                self._embed_into(c, qs)
            if answer is not None:
                if not answer.strip():
                    raise KBError("a case needs an answer")
                c.answer = answer.strip()
            if tags is not None:
                c.tags = tags
            if trans is not None:  # an outdated answer stays aside until its language is written again
                c.translations = _with_outdated({OUTDATED: (c.translations or {}).get(OUTDATED, {})}, trans, ())
            if product is not None:
                c.product = product
            if state is not None:
                if state not in CASE_STATES:
                    raise KBError(f"state must be one of {', '.join(CASE_STATES)}")
                c.state = state
            if c.state == "published" and not c.phrasings:  # a draft proposed without one: written first
                raise KBError(f"not published: case {case_id} has no customer phrasing; write one first")
            c.updated_at, c.revision = utcnow(), c.revision + 1
            bump_revision(s)
            s.commit()
        return self.get(case_id)

    def add_phrasing(self, case_id: str, text: str) -> bool:
        """Add one customer phrasing to a case (embedded now); False when the case has it already.
        Only inserts, so two editors adding phrasings at once both keep theirs."""
        text = text.strip()
        if not text:
            raise KBError("a phrasing needs some text")
        vec = self.embedder.encode([text])[0]
        with self._sessions() as s:
            c = s.get(Case, case_id)
            if c is None:
                raise CaseNotFound(case_id)
            if s.scalar(select(Phrasing.id).where(Phrasing.case_id == case_id, Phrasing.text == text)) is not None:
                return False
            s.add(Phrasing(case_id=case_id, text=text, embedding=vec.tobytes(), model=self.embedder.name))
            s.execute(update(Case).where(Case.id == case_id)
                      .values(updated_at=utcnow(), revision=Case.revision + 1))
            bump_revision(s)
            s.commit()
        return True

    def next_case_id(self, stem: str) -> str:
        """A free case id starting with ``stem`` (for drafts proposed from tickets)."""
        with self._sessions() as s:
            n = 1
            while s.get(Case, f"{stem}" if n == 1 else f"{stem}-{n}") is not None:
                n += 1
            return stem if n == 1 else f"{stem}-{n}"
