"""Two or more encoders read as one: each part's unit vector is concatenated and the whole scaled back
to unit length, so the cosine of two texts is the mean of the parts' cosines (the dual-encoder idea of
Casanueva et al. 2020, "Efficient Intent Detection with Dual Sentence Encoders", where USE and
ConveRT vectors are concatenated). Named ``a+b`` in ``embedding.model``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """What a part needs: the shape of :class:`kb.embedder.Embedder` (not imported: kb.embedder builds
    this class)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...


class CombinedEmbedder:
    """The :class:`kb.embedder.Embedder` whose vector is ``[e1(t), e2(t), ...] / sqrt(n)``: dimension
    the sum of the parts', name the parts' names joined by ``+``. It reads a language when any part
    does (``languages`` empty when one part reads all)."""

    def __init__(self, parts: Sequence[Embedder]) -> None:
        if len(parts) < 2:
            raise ValueError("a combined encoder needs two encoders or more")
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)
        self.dim = sum(p.dim for p in self.parts)
        langs = [getattr(p, "languages", ("en",)) for p in self.parts]
        self.languages: tuple[str, ...] = () if any(not x for x in langs) else \
            tuple(sorted({c for x in langs for c in x}))

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.hstack([p.encode(texts, progress=progress) for p in self.parts])
        return np.ascontiguousarray(vecs / np.sqrt(len(self.parts)), dtype=np.float32)
