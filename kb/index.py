"""FAISS index over phrasing embeddings, saved with its own config.

The saved ``meta.json`` carries the model name, the dimension, the KB revision it reflects and a
format version; :meth:`PhrasingIndex.load` refuses a file built with another model or dimension.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from kb.errors import IndexMismatch, KBError

FORMAT = 1
# One query at a time is the serving load: FAISS's OpenMP threads buy nothing on a flat search of a few thousand
# phrasings and spin-wait against the encoder and other workers for the cores (a single search measured 1.2 ms
# with two threads and 0.2 ms with one on a busy 2-core machine; eval p50 fell accordingly).
faiss.omp_set_num_threads(1)


@dataclass(frozen=True)
class IndexMeta:
    model: str
    dim: int
    kb_revision: int
    count: int
    format: int = FORMAT
    kind: str = "flat"  # flat (exact) or ivf (approximate, for large knowledge bases)


@dataclass(frozen=True)
class AnnSettings:
    """When and how the index is approximate. At ``min_phrasings`` phrasings or more it is an inverted file
    (faiss ``IndexIVFFlat``, inner product) with ``nlist`` lists (0: 4 x sqrt(n)), trained on up to
    ``train_sample`` vectors, searched over ``nprobe`` lists. Under it, an exact flat index."""

    min_phrasings: int = 200_000
    nprobe: int = 32
    nlist: int = 0
    train_sample: int = 100_000


class PhrasingIndex:
    """Inner-product search over unit vectors; ids are phrasing ids, mapped to case ids."""

    def __init__(self, model: str, dim: int) -> None:
        self.model = model
        self.dim = dim
        self.kb_revision = -1
        self.kind = "flat"
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._case_of: dict[int, str] = {}
        self.texts: dict[int, str] = {}  # phrasing texts when the builder had them at hand (not saved)

    @classmethod
    def build(cls, model: str, dim: int, ids: list[int], case_ids: list[str], vectors: np.ndarray, *,
              ann: AnnSettings | None = None) -> PhrasingIndex:
        """An index of ``vectors`` (unit rows, shape (len(ids), dim)): exact under ``ann.min_phrasings``
        rows, an IVF index at or above it (k-means on a sample; minutes for a million rows on 2 cores)."""
        ann = ann or AnnSettings()
        idx = cls(model, dim)
        n = len(ids)
        if n >= max(ann.min_phrasings, 1):
            nlist = ann.nlist or int(4 * np.sqrt(n))
            nlist = max(1, min(nlist, n // 39 or 1))  # faiss wants >= 39 training points per list
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            data = np.ascontiguousarray(vectors, dtype=np.float32)
            sample = data if n <= ann.train_sample else \
                data[np.random.default_rng(0).choice(n, ann.train_sample, replace=False)]
            ivf.train(sample)
            ivf.nprobe = ann.nprobe
            idx._index = faiss.IndexIDMap2(ivf)
            idx.kind = "ivf"
        idx.add(ids, case_ids, vectors)
        return idx

    def set_nprobe(self, nprobe: int) -> None:
        """Lists an IVF index searches (more: better recall, slower); nothing for a flat index."""
        if self.kind == "ivf":
            faiss.extract_index_ivf(self._index).nprobe = max(1, nprobe)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def case_of(self) -> dict[int, str]:
        return self._case_of

    def add(self, ids: list[int], case_ids: list[str], vectors: np.ndarray) -> None:
        if not ids:
            return
        if vectors.shape != (len(ids), self.dim):
            raise KBError(f"expected vectors of shape ({len(ids)}, {self.dim}), got {vectors.shape}")
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
        for i, c in zip(ids, case_ids, strict=True):
            self._case_of[i] = c

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
        for i in ids:
            self._case_of.pop(i, None)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n, k); missing neighbours have id -1."""
        k = max(1, min(k, len(self))) if len(self) else 1
        if len(self) == 0:
            n = vectors.shape[0]
            return np.zeros((n, 1), dtype=np.float32), -np.ones((n, 1), dtype=np.int64)
        scores, ids = self._index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return scores, ids

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything in the index, in insertion order."""
        n = len(self)
        if n == 0:
            return np.zeros((0,), dtype=np.int64), np.zeros((0, self.dim), dtype=np.float32)
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        inner = faiss.downcast_index(self._index.index)
        if self.kind == "ivf":
            inner.make_direct_map()  # type: ignore[attr-defined]  # rows in insertion order, as the id map
        return ids, inner.reconstruct_n(0, n)

    def meta(self) -> IndexMeta:
        return IndexMeta(model=self.model, dim=self.dim, kb_revision=self.kb_revision, count=len(self),
                         kind=self.kind)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tmp_index = directory / "phrasings.faiss.tmp"
        faiss.write_index(self._index, str(tmp_index))
        tmp_map = directory / "cases.json.tmp"
        tmp_map.write_text(json.dumps({str(k): v for k, v in self._case_of.items()}), encoding="utf-8")
        tmp_meta = directory / "meta.json.tmp"
        tmp_meta.write_text(json.dumps(asdict(self.meta()), indent=2), encoding="utf-8")
        # meta last: a reader that sees the new meta sees the new index
        os.replace(tmp_index, directory / "phrasings.faiss")
        os.replace(tmp_map, directory / "cases.json")
        os.replace(tmp_meta, directory / "meta.json")

    @classmethod
    def load(cls, directory: Path, *, model: str, dim: int, nprobe: int = AnnSettings.nprobe) -> PhrasingIndex:
        meta_path = directory / "meta.json"
        if not meta_path.exists():
            raise IndexMismatch(f"no saved index in {directory}")
        try:
            meta = IndexMeta(**json.loads(meta_path.read_text(encoding="utf-8")))
        except (TypeError, ValueError) as e:
            raise IndexMismatch(f"unreadable index metadata in {meta_path}: {e}") from e
        if meta.format != FORMAT:
            raise IndexMismatch(f"index format {meta.format}, expected {FORMAT}")
        if meta.model != model or meta.dim != dim:
            raise IndexMismatch(
                f"index was built with model {meta.model!r} (dim {meta.dim}), "
                f"the configured model is {model!r} (dim {dim})"
            )
        try:
            raw = faiss.read_index(str(directory / "phrasings.faiss"))
            mapping = json.loads((directory / "cases.json").read_text(encoding="utf-8"))
        except (RuntimeError, OSError, ValueError) as e:
            raise IndexMismatch(f"cannot read the saved index: {e}") from e
        if raw.d != dim or raw.ntotal != meta.count or len(mapping) != meta.count:
            raise IndexMismatch("saved index does not match its metadata")
        idx = cls(model, dim)
        idx._index = raw  # type: ignore[assignment]
        idx._case_of = {int(k): v for k, v in mapping.items()}
        idx.kb_revision = meta.kb_revision
        idx.kind = meta.kind
        idx.set_nprobe(nprobe)
        return idx
