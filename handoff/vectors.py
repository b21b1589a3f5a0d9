"""Subject vectors as the desk stores them: float32, unit length, as bytes (tickets' subjects and
problems' centroids); cosine similarity is then a dot product."""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` (any shape, flattened) as float32 scaled to unit length (a zero vector stays zero)."""
    v = np.asarray(v, dtype=np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def unit_bytes(v: np.ndarray) -> bytes:
    """:func:`unit` of ``v`` as bytes: how a vector is stored."""
    return unit(v).tobytes()


def from_bytes(data: bytes | None) -> np.ndarray | None:
    """A stored vector back as float32, shape (dim,); None when nothing is stored."""
    if not data:
        return None
    return np.frombuffer(data, dtype=np.float32)
