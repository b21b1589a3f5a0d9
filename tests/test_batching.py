"""Micro-batching: messages arriving together share one encoder call; a lone message waits for nobody."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kb.batching import BatchingEmbedder
from kb.embedder import Embedder
from tests.webchat import web_client


class Gated:
    """The real encoder, its first call held until the test opens the gate (so that others queue)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.gate = threading.Event()
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        if len(self.calls) == 1:
            assert self.gate.wait(60)
        return self.inner.encode(texts)


def test_callers_arriving_while_the_encoder_is_busy_share_one_call(embedder: Embedder) -> None:
    gated = Gated(embedder)
    sizes: list[int] = []
    batcher = BatchingEmbedder(gated, max_batch=64, on_batch=lambda n, _s: sizes.append(n))
    texts = ["how do I reset my password?", "the app crashes", "where is my invoice", "thanks!",
             "camera offline", "change my e-mail address", "refund please", "my order never arrived"]
    with ThreadPoolExecutor(len(texts)) as pool:
        first = pool.submit(batcher.encode, [texts[0]])
        while not gated.calls:
            time.sleep(0.005)
        rest = [pool.submit(batcher.encode, [t]) for t in texts[1:]]
        while len(batcher._queue) < len(texts) - 1:
            time.sleep(0.005)
        gated.gate.set()
        got = [first.result(60)] + [f.result(60) for f in rest]
    assert gated.calls == [1, len(texts) - 1] and sizes == gated.calls
    want = embedder.encode(texts)
    for i, vec in enumerate(got):
        assert vec.shape == (1, embedder.dim)
        assert float(vec[0] @ want[i]) > 0.999  # each caller gets its own row back


def test_a_lone_message_is_encoded_at_once_and_errors_reach_their_caller(embedder: Embedder) -> None:
    sizes: list[int] = []
    batcher = BatchingEmbedder(embedder, on_batch=lambda n, _s: sizes.append(n))
    assert batcher.encode(["hello"]).shape == (1, embedder.dim) and sizes == [1]
    assert batcher.encode([]).shape == (0, embedder.dim) and sizes == [1]

    class Broken:
        name, dim = "broken", 3

        def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
            raise RuntimeError("encoder down")

    broken = BatchingEmbedder(Broken())
    try:
        broken.encode(["x"])
    except RuntimeError as e:
        assert "encoder down" in str(e)
    else:
        raise AssertionError("the error was swallowed")
    assert broken.encode([]).shape == (0, 3)


def test_concurrent_web_messages_are_each_answered_and_counted(make_app) -> None:
    """Sixteen customers at once through the web API: every one gets its own decision, and the encoder
    batch-size histogram adds up to one text per message."""
    ac = make_app()
    questions = ["how do I reset my password?", "the app crashes every time I upload a photo"] * 8
    with web_client(ac) as client, ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda i: client.post("/api/messages", json={
            "customer": f"b{i}", "text": questions[i]}).json(), range(16)))
        metrics = client.get("/metrics").text
    assert [r["action"] for r in replies] == ["answer", "escalate"] * 8
    assert all(r["case_id"] == "reset-password" for r in replies[::2])
    total = next(line for line in metrics.splitlines() if line.startswith("aftercare_encoder_batch_size_sum"))
    assert float(total.split()[-1]) == 16
