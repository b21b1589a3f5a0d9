"""The knowledge base: solved cases in the database, their vectors in a FAISS index kept fresh.

Every write stores the embeddings of the phrasings it adds (only those: an edit re-embeds the
changed case alone) and bumps the KB revision. Any worker whose index is behind that revision
rebuilds it from the stored vectors before its next search, so an approved case is answered
from at once, in every worker, without a restart.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from kb.changes import CaseChange, ImportReport
from kb.embedder import Embedder
from kb.errors import CaseNotFound, ImportWouldChange, IndexMismatch, KBError
from kb.importer import CASE_ID, CaseRow
from kb.index import AnnSettings, PhrasingIndex
from kb.models import CASE_SOURCES, CASE_STATES, Case, KBState, Phrasing, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A solved case near a message: its best phrasing's cosine similarity."""

    case_id: str
    score: float
    phrasing: str = ""


@dataclass(frozen=True)
class CaseView:
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


def _view(c: Case) -> CaseView:
    return CaseView(
        id=c.id, answer=c.answer, questions=c.questions, tags=list(c.tags or []), product=c.product,
        state=c.state, source=c.source, source_ref=c.source_ref, revision=c.revision,
        created_at=c.created_at, updated_at=c.updated_at, translations=dict(c.translations or {}),
    )


def _clean_translations(translations: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, text in translations.items():
        code = code.strip().lower()
        if not (len(code) == 2 and code.isascii() and code.isalpha()):
            raise KBError(f"answer language {code!r}: expected a two-letter ISO 639-1 code such as ko")
        if text.strip():
            out[code] = text.strip()
    return out


def _clean_questions(questions: Iterable[str]) -> builtins.list[str]:
    out: builtins.list[str] = []
    for q in questions:
        q = q.strip()
        if q and q not in out:
            out.append(q)
    return out


_TEXT_CACHE = 200_000  # phrasing texts kept in memory for search hits (a million-phrasing index keeps a part)


class KnowledgeBase:
    def __init__(self, sessions: sessionmaker[Session], embedder: Embedder, index_dir: Path, *,
                 ann: AnnSettings | None = None) -> None:
        self._sessions = sessions
        self.embedder = embedder
        self._index_dir = index_dir
        self._index: PhrasingIndex | None = None
        self._lock = threading.RLock()
        # read-through caches of the index's revision: phrasing texts of search hits, cases being answered
        self._texts: dict[int, str] = {}
        self._cases: dict[str, CaseView] = {}
        self._cached_rev = -1
        self._cases_rev = -1
        self.ann = ann or AnnSettings()
        self._building: threading.Thread | None = None

    # -- revision and index -------------------------------------------------------------------

    def revision(self) -> int:
        with self._sessions() as s:
            return int(s.scalar(select(KBState.revision).where(KBState.id == 1)) or 0)

    @staticmethod
    def _bump(s: Session) -> None:
        if s.get(KBState, 1) is None:
            s.add(KBState(id=1, revision=1))
            s.flush()
        else:
            s.execute(update(KBState).where(KBState.id == 1).values(revision=KBState.revision + 1))

    def index(self) -> PhrasingIndex:
        """The index, brought up to the current KB revision first.

        An index of ``ann.min_phrasings`` phrasings or more (approximate, IVF) is rebuilt in a background
        thread when the revision moves: searches go on against the current one until the new one is
        swapped in (and saved). A smaller one is rebuilt at once."""
        rev = self.revision()
        with self._lock:
            if self._index is None:
                try:
                    self._index = PhrasingIndex.load(self._index_dir, model=self.embedder.name,
                                                     dim=self.embedder.dim, nprobe=self.ann.nprobe)
                except IndexMismatch as e:
                    log.info("index not loaded (%s); rebuilding", e)
                else:
                    if (len(self._index) >= self.ann.min_phrasings) != (self._index.kind == "ivf"):
                        log.info("saved %s index of %d phrasings; rebuilding for ann_min_phrasings %d",
                                 self._index.kind, len(self._index), self.ann.min_phrasings)
                        self._index = None
            if self._index is None:
                self._index = self._rebuild(rev)
            elif self._index.kb_revision != rev:
                if len(self._index) >= self.ann.min_phrasings:
                    self._rebuild_in_background(rev)
                else:
                    self._index = self._rebuild(rev)
            if self._cached_rev != self._index.kb_revision:
                self._texts = dict(self._index.texts)
                self._cached_rev = self._index.kb_revision
            if self._cases_rev != rev:
                self._cases, self._cases_rev = {}, rev
            return self._index

    def _rebuild_in_background(self, rev: int) -> None:
        if self._building is not None and self._building.is_alive():
            return  # the running build picks the newest revision up when it is done

        def build() -> None:
            target = rev
            while True:
                try:
                    idx = self._rebuild(target)
                except Exception:  # noqa: BLE001 - the current index keeps serving
                    log.exception("background index build failed; serving revision %s",
                                  self._index.kb_revision if self._index else None)
                    return
                with self._lock:
                    self._index = idx
                latest = self.revision()
                if latest == target:
                    return
                target = latest

        log.info("KB revision %d: building the index in the background", rev)
        self._building = threading.Thread(target=build, name="index-build", daemon=True)
        self._building.start()

    def _rebuild(self, rev: int) -> PhrasingIndex:
        with self._sessions() as s:
            rows = s.execute(
                select(Phrasing.id, Phrasing.case_id, Phrasing.embedding, Phrasing.model, Phrasing.text)
                .join(Case).where(Case.state == "published").order_by(Phrasing.id)
            ).all()
            stale = [r for r in rows if r.embedding is None or r.model != self.embedder.name]
            fresh: dict[int, np.ndarray] = {}
            if stale:
                log.info("embedding %d phrasings for model %s", len(stale), self.embedder.name)
                vecs = self.embedder.encode([r.text for r in stale])
                for r, v in zip(stale, vecs, strict=True):
                    fresh[r.id] = v
                    s.execute(update(Phrasing).where(Phrasing.id == r.id)
                              .values(embedding=v.tobytes(), model=self.embedder.name))
                s.commit()
        mat = np.zeros((0, self.embedder.dim), dtype=np.float32)
        if rows:
            mat = np.vstack([
                fresh[r.id] if r.id in fresh else np.frombuffer(r.embedding, dtype=np.float32)
                for r in rows
            ])
        idx = PhrasingIndex.build(self.embedder.name, self.embedder.dim, [r.id for r in rows],
                                  [r.case_id for r in rows], mat, ann=self.ann)
        if len(rows) <= _TEXT_CACHE:
            idx.texts = {r.id: r.text for r in rows}
        idx.kb_revision = rev
        try:
            idx.save(self._index_dir)
        except OSError as e:  # a read-only data dir still serves from memory
            log.warning("cannot save the index: %s", e)
        return idx

    # -- search ---------------------------------------------------------------------------------

    def search_vector(self, vector: np.ndarray, k: int = 5) -> builtins.list[Hit]:
        """Best-scoring distinct cases for one unit vector."""
        idx = self.index()
        scores, ids = idx.search(vector.reshape(1, -1), k * 4)
        return self.hits_from(idx, scores[0], ids[0], k)

    def hits_from(self, idx: PhrasingIndex, scores: np.ndarray, ids: np.ndarray, k: int) -> builtins.list[Hit]:
        """The best ``k`` distinct cases among one query's phrasing neighbours (a search already made)."""
        best: dict[str, tuple[float, int]] = {}
        for sc, pid in zip(scores, ids, strict=True):
            if pid < 0:
                continue
            cid = idx.case_of[int(pid)]
            if cid not in best:
                best[cid] = (float(sc), int(pid))
        top = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        if not top:
            return []
        texts = self._texts if self._cached_rev == idx.kb_revision else {}
        missing = [p for _, (_, p) in top if p not in texts]
        if missing:
            with self._sessions() as s:
                found = dict(s.execute(select(Phrasing.id, Phrasing.text)
                                       .where(Phrasing.id.in_(missing))).tuples().all())
            texts = {**texts, **found}
            if self._cached_rev == idx.kb_revision and len(self._texts) < _TEXT_CACHE:
                self._texts.update(found)
        return [Hit(case_id=c, score=sc, phrasing=texts.get(p, "")) for c, (sc, p) in top]

    def search(self, text: str, k: int = 5) -> builtins.list[Hit]:
        return self.search_vector(self.embedder.encode([text])[0], k)

    # -- reads ----------------------------------------------------------------------------------

    def answering(self, case_id: str) -> CaseView:
        """The case a decision just picked, from a cache valid for the index's KB revision (every change
        to a case moves the revision; the decision read it a moment ago). Editors' pages use :meth:`get`."""
        rev = self._cases_rev
        view = self._cases.get(case_id)
        if view is None:
            view = self.get(case_id)
            with self._lock:
                if self._cases_rev == rev and rev >= 0:
                    self._cases[case_id] = view
        return view

    def get(self, case_id: str) -> CaseView:
        with self._sessions() as s:
            c = s.get(Case, case_id, options=[selectinload(Case.phrasings)])
            if c is None:
                raise CaseNotFound(case_id)
            return _view(c)

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
            return [_view(c) for c in s.scalars(stmt)]

    def count(self, *, state: str | None = "published") -> int:
        with self._sessions() as s:
            stmt = select(func.count()).select_from(Case)
            if state:
                stmt = stmt.where(Case.state == state)
            return int(s.scalar(stmt) or 0)

    def export_rows(self, *, state: str | None = "published") -> builtins.list[CaseRow]:
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
                    changes.append(CaseChange(case_id=c.id, fields=fields, old_answer=c.answer, new_answer=r.answer))
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
                    if r.translations:  # answer_ko in the file: set; languages it does not name: kept
                        c.translations = {**(c.translations or {}), **r.translations}
                    c.updated_at, c.revision = now, c.revision + 1
                    updated += 1
                have = {p.text for p in c.phrasings}
                for q in r.questions:
                    if q not in have:
                        c.phrasings.append(Phrasing(text=q, embedding=vec_of[q].tobytes(), model=self.embedder.name))
                        have.add(q)
                        added += 1
            self._bump(s)
            s.commit()
        return ImportReport(created=created, updated=updated, phrasings_added=added, new_cases=tuple(new_cases),
                            changes=tuple(changes))

    def add_case(
        self, case_id: str, questions: builtins.list[str], answer: str, *, tags: builtins.list[str] | None = None,
        product: str = "", state: str = "published", source: str = "editor", source_ref: str | None = None,
        translations: dict[str, str] | None = None,
    ) -> CaseView:
        """Create a case; ``translations`` maps a language code to the answer in that language."""
        trans = _clean_translations(translations or {})
        questions = _clean_questions(questions)
        if not CASE_ID.match(case_id):
            raise KBError(f"case id {case_id!r} must be letters, digits, '-', '_', '.', ':' (at most 120)")
        if not questions:
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
            self._bump(s)
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
            if trans is not None:
                c.translations = trans
            if product is not None:
                c.product = product
            if state is not None:
                if state not in CASE_STATES:
                    raise KBError(f"state must be one of {', '.join(CASE_STATES)}")
                c.state = state
            c.updated_at, c.revision = utcnow(), c.revision + 1
            self._bump(s)
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
            self._bump(s)
            s.commit()
        return True

    def next_case_id(self, stem: str) -> str:
        """A free case id starting with ``stem`` (for drafts proposed from tickets)."""
        with self._sessions() as s:
            n = 1
            while s.get(Case, f"{stem}" if n == 1 else f"{stem}-{n}") is not None:
                n += 1
            return stem if n == 1 else f"{stem}-{n}"
