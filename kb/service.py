"""The knowledge base: solved cases in the database (:class:`kb.cases.CaseStore`), their vectors in a
FAISS index kept fresh, and the search over it.

Every write to a case bumps the KB revision. Any worker whose index is behind that revision rebuilds
it from the stored vectors before its next search, so an approved case is answered from at once, in
every worker, without a restart.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kb.cases import CaseStore, revision
from kb.changes import ImportReport
from kb.embedder import Embedder
from kb.errors import IndexMismatch
from kb.index import AnnSettings, PhrasingIndex
from kb.models import Case, Phrasing
from kb.views import CaseView, Hit

log = logging.getLogger(__name__)

__all__ = ["CaseView", "Hit", "ImportReport", "KnowledgeBase"]


_TEXT_CACHE = 200_000  # phrasing texts kept in memory for search hits (a million-phrasing index keeps a part)


class KnowledgeBase:
    """Cases and their index, for one worker. Reads and writes of cases are the :attr:`store`'s
    (bound here under the names callers use: ``get``, ``list``, ``add_case``, ...); this class keeps the
    index at the KB revision and searches it."""

    def __init__(self, sessions: sessionmaker[Session], embedder: Embedder, index_dir: Path, *,
                 ann: AnnSettings | None = None, store_vectors: bool = True) -> None:
        """``store_vectors`` False: a second index over the same cases with another encoder (the
        multilingual one of a language-routed pair): its vectors are kept in its own index only (reused
        by phrasing id on a rebuild, new phrasings encoded), never written to the database, whose
        stored vectors are the main encoder's. Such a knowledge base is for reading (search), not writes."""
        self._sessions = sessions
        self.store_vectors = store_vectors
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
        self.store = CaseStore(sessions, embedder)
        c = self.store
        self.get, self.list, self.count, self.export_rows = c.get, c.list, c.count, c.export_rows
        self.import_rows, self.add_case, self.update_case = c.import_rows, c.add_case, c.update_case
        self.add_phrasing, self.next_case_id = c.add_phrasing, c.next_case_id

    # -- revision and index -------------------------------------------------------------------

    def revision(self) -> int:
        """The KB revision (moved by every write to a case)."""
        return revision(self._sessions)

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
            fresh: dict[int, np.ndarray] = {}
            if not self.store_vectors:
                return self._rebuild_mirror(rev, rows)
            stale = [r for r in rows if r.embedding is None or r.model != self.embedder.name]
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
        return self._finish(rev, rows, mat)

    def _rebuild_mirror(self, rev: int, rows: Sequence[Any]) -> PhrasingIndex:
        """The rebuild of an index that does not store its vectors: those of the current index reused by
        phrasing id, the others encoded."""
        known: dict[int, np.ndarray] = {}
        if self._index is not None and len(self._index):
            ids, vecs = self._index.vectors()
            known = {int(i): v for i, v in zip(ids, vecs, strict=True)}
        todo = [r for r in rows if r.id not in known]
        if todo:
            log.info("embedding %d phrasings for model %s", len(todo), self.embedder.name)
            for r, v in zip(todo, self.embedder.encode([r.text for r in todo]), strict=True):
                known[r.id] = v
        mat = np.vstack([known[r.id] for r in rows]) if rows else np.zeros((0, self.embedder.dim), dtype=np.float32)
        return self._finish(rev, rows, mat)

    def _finish(self, rev: int, rows: Sequence[Any], mat: np.ndarray) -> PhrasingIndex:
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

    def phrasing_texts(self) -> builtins.list[str]:
        """The text of every phrasing of the published cases (the words customers are answered on)."""
        with self._sessions() as s:
            return [t for (t,) in s.execute(select(Phrasing.text).join(Case).where(Case.state == "published"))]

    def search(self, text: str, k: int = 5) -> builtins.list[Hit]:
        """Best-scoring distinct cases for ``text`` (encoded with the KB's embedder)."""
        return self.search_vector(self.embedder.encode([text])[0], k)

    # -- the case being answered ----------------------------------------------------------------

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
