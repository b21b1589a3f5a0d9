"""Micro-batching in front of an encoder: messages arriving together share one encoder call.

No timer and no waiting for company: the first caller to find the encoder idle encodes at once
(a lone message is delayed by nothing but a lock). Callers arriving while the encoder is busy queue
up; when it frees, one of them takes every queued text (up to ``max_batch``) into a single call and
hands each caller its rows. Under load the batch grows by itself with the queue, which is where a
transformer on CPU is several times cheaper per text than one call per message.

Thread-safe; the web API, Telegram and Slack handlers run the pipeline in worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kb.embedder import Embedder


@dataclass
class _Request:
    texts: list[str]
    done: bool = False
    result: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEmbedder:
    """An :class:`~kb.embedder.Embedder` that coalesces concurrent ``encode`` calls into one call of
    ``inner``. ``on_batch(texts, seconds)`` is told the size and duration of every call made."""

    def __init__(self, inner: Embedder, *, max_batch: int = 64,
                 on_batch: Callable[[int, float], None] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_batch = max(1, max_batch)
        self.on_batch = on_batch
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._busy = False

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (shape ``(len(texts), dim)``)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        mine = _Request(list(texts))
        with self._cond:
            self._queue.append(mine)
            while not mine.done:
                if self._busy:
                    self._cond.wait()
                    continue
                batch = self._take()
                self._busy = True
                self._cond.release()
                try:
                    self._run(batch, progress=progress)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.result is not None
        return mine.result

    def _take(self) -> list[_Request]:
        """The queued requests for one call: the oldest always, then more while under ``max_batch`` texts."""
        batch = [self._queue.pop(0)]
        size = len(batch[0].texts)
        while self._queue and size + len(self._queue[0].texts) <= self.max_batch:
            req = self._queue.pop(0)
            size += len(req.texts)
            batch.append(req)
        return batch

    def _run(self, batch: list[_Request], *, progress: bool) -> None:
        texts = [t for req in batch for t in req.texts]
        t0 = time.perf_counter()
        try:
            vectors = self.inner.encode(texts, progress=progress)
        except BaseException as e:  # every caller of the batch gets the error
            for req in batch:
                req.error, req.done = e, True
            return
        if self.on_batch is not None:
            self.on_batch(len(texts), time.perf_counter() - t0)
        start = 0
        for req in batch:
            req.result = vectors[start:start + len(req.texts)]
            start += len(req.texts)
            req.done = True
