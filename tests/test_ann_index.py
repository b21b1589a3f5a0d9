"""A large knowledge base: approximate (IVF) index above retrieval.ann_min_phrasings, saved and loaded,
rebuilt in the background when the KB changes."""

from __future__ import annotations

import json
import time

from bot.messages import IncomingMessage


def ask(ac, customer: str, text: str):  # type: ignore[no-untyped-def]
    return ac.pipeline.handle(IncomingMessage(channel="web", customer=customer, text=text))


def test_above_the_threshold_the_index_is_ivf_loaded_at_start_and_rebuilt_in_the_background(make_app, caplog) -> None:
    ac = make_app(retrieval={"ann_min_phrasings": 100, "ann_nprobe": 64})
    ac.warm()
    idx = ac.kb.index()
    assert idx.kind == "ivf" and len(idx) > 100
    meta = json.loads((ac.data_dir / "index" / "meta.json").read_text())
    assert meta["kind"] == "ivf" and meta["kb_revision"] == idx.kb_revision
    out = ask(ac, "a1", "how do I reset my password?")
    assert out.action == "answer" and out.case_id == "reset-password"

    # a second worker on the same data dir loads the saved index instead of building one
    saved = (ac.data_dir / "index" / "phrasings.faiss").stat().st_mtime_ns
    caplog.clear()
    other = make_app(data_dir=ac.data_dir, retrieval={"ann_min_phrasings": 100, "ann_nprobe": 64})
    assert other.kb.index().kind == "ivf"
    assert "rebuilding" not in caplog.text
    assert (ac.data_dir / "index" / "phrasings.faiss").stat().st_mtime_ns == saved

    # a published case: the current index keeps answering while the new one is built, then the case is answered
    ac.kb.add_case("ann-new-case", ["how do I pair the doorbell chime with the base station?"],
                   "Hold the chime's button until it blinks blue.")
    assert ask(ac, "a2", "how do I reset my password?").action == "answer"
    deadline = time.monotonic() + 120
    while ac.kb.index().kb_revision != ac.kb.revision():
        assert time.monotonic() < deadline, "the background build did not finish"
        time.sleep(0.1)
    out = ask(ac, "a3", "how do I pair the doorbell chime with the base station?")
    assert out.case_id == "ann-new-case", out
    assert json.loads((ac.data_dir / "index" / "meta.json").read_text())["kb_revision"] == ac.kb.revision()
