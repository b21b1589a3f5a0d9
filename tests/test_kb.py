"""Knowledge base: per-case re-embedding, persisted index with its config, freshness across workers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kb.embedder import Embedder, HashEmbedder
from kb.errors import IndexMismatch, KBError
from kb.index import PhrasingIndex
from kb.service import KnowledgeBase


class CountingEmbedder:
    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


def test_editing_one_case_reembeds_that_case_only(make_app, embedder) -> None:
    ac = make_app()
    counting = CountingEmbedder(embedder)
    kb = KnowledgeBase(ac.sessions, counting, ac.data_dir / "index")  # the app's cases, a counting encoder
    before = kb.get("reset-password")
    kb.update_case("reset-password", questions=before.questions + ["lost my login password"])
    assert counting.texts == ["lost my login password"]
    kb.update_case("reset-password", answer="New answer text.")
    assert counting.texts == ["lost my login password"]
    assert ac.kb.search("lost my login password", 1)[0].case_id == "reset-password"


def test_index_saved_with_config_and_refused_on_mismatch(make_app) -> None:
    ac = make_app()
    idx = ac.kb.index()
    meta = json.loads((ac.data_dir / "index" / "meta.json").read_text())
    assert meta["model"] == "all-MiniLM-L6-v2" and meta["dim"] == 384
    assert meta["kb_revision"] == ac.kb.revision() and meta["count"] == len(idx)
    loaded = PhrasingIndex.load(ac.data_dir / "index", model="all-MiniLM-L6-v2", dim=384)
    assert len(loaded) == len(idx)
    with pytest.raises(IndexMismatch, match="other-model|configured model"):
        PhrasingIndex.load(ac.data_dir / "index", model="other-model", dim=384)


def test_other_worker_sees_new_case_without_restart(make_app, tmp_path: Path, embedder) -> None:
    from bot.app import Aftercare

    a = make_app()
    b = Aftercare(a.config, embedder=embedder)  # a second worker on the same database and data dir
    try:
        assert b.kb.search("does the camera record in 8K", 1)[0].case_id != "eight-k"
        a.kb.add_case("eight-k", ["does the camera record in 8K"], "No, it records up to 2K.")
        assert b.kb.search("does the camera record in 8K", 1)[0].case_id == "eight-k"
    finally:
        b.close()


def test_drafts_are_not_answered_until_published(make_app) -> None:
    ac = make_app()
    q = "can I pay with bitcoin for the subscription"
    ac.kb.add_case("crypto", [q], "We accept cards and PayPal only.", state="draft")
    assert ac.pipeline.decide(q).case_id != "crypto" or ac.pipeline.decide(q).action != "answer"
    ac.kb.update_case("crypto", state="published")
    d = ac.pipeline.decide(q)
    assert d.action == "answer" and d.case_id == "crypto"


def test_model_switch_rebuilds_the_index(make_app, tmp_path: Path) -> None:
    from bot.app import Aftercare

    ac = make_app()
    n = len(ac.kb.index())
    other = Aftercare(ac.config, embedder=HashEmbedder(64))
    try:
        assert len(other.kb.index()) == n  # re-embedded with the new model, not loaded from the old file
        meta = json.loads((ac.data_dir / "index" / "meta.json").read_text())
        assert meta["model"] == "hash-64"
    finally:
        other.close()


def test_add_case_validation(make_app) -> None:
    ac = make_app(demo=False)
    with pytest.raises(KBError, match="phrasing"):
        ac.kb.add_case("x", ["  "], "answer")
    with pytest.raises(KBError, match="answer"):
        ac.kb.add_case("x", ["q"], " ")
    ac.kb.add_case("x", ["q"], "a")
    with pytest.raises(KBError, match="exists"):
        ac.kb.add_case("x", ["q"], "a")


def test_phrasings_added_at_once_by_two_editors_are_both_kept(app) -> None:
    from concurrent.futures import ThreadPoolExecutor

    before = set(app.kb.get("free-trial").questions)
    new = ["is there a free trial of the Pro plan", "could I test Pro for free before buying it"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert all(pool.map(lambda t: app.kb.add_phrasing("free-trial", t), new))
    assert set(app.kb.get("free-trial").questions) == before | set(new)
    assert app.kb.add_phrasing("free-trial", new[0]) is False  # already there
    assert app.kb.search(new[1], 1)[0].case_id == "free-trial"
