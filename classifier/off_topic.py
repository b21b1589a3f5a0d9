"""Messages about anything but the business: the weather, jokes, trivia, recipes ("what's the weather in
Seoul", "tell me a joke", "농담 하나 해줘"). Read by their nearness to a list of such messages
(``classifier/data/off_topic.csv``, English and Korean), and only where no case answers and no example of
another kind (a fault, a greeting, the operator's own ``out_of_scope`` examples) is as near: a knowledge base
with a weather case answers the weather from it. The desk replies that it answers questions about the
products and services, with the way to a person; no ticket opens unless the customer then asks for one. A
knowledge base that answers the nearest such message itself (a weather case) covers the topic: no off-topic
reading there."""

from __future__ import annotations

import csv
import threading
from importlib import resources
from pathlib import Path

import numpy as np

from kb.embedder import Embedder

OFF_TOPIC = "off_topic"  # the Decision label (and reply template label_off_topic) of such a message
# (cosine similarity to the nearest off-topic message, by how much it must beat the nearest knowledge-base
# phrasing and the nearest training example): near one, a little nearer; farther, clearly nearer ("who wrote
# Hamlet?" is 0.45 from "who wrote this book" and 0.16 from any case; "do you have a store in Seoul" is 0.60 from
# an off-topic message and 0.50 from a case: no off-topic reading)
TIERS = ((0.6, 0.05), (0.4, 0.15))


def shipped() -> Path:
    """The off-topic messages shipped with Aftercare (CSV with a ``text`` column)."""
    return Path(str(resources.files("classifier") / "data" / "off_topic.csv"))


class OffTopic:
    """The off-topic messages of ``path`` (CSV, column ``text``), encoded once per encoder on first use."""

    def __init__(self, path: Path | None = None) -> None:
        with open(path or shipped(), encoding="utf-8", newline="") as fh:
            self.texts = [row["text"].strip() for row in csv.DictReader(fh) if row.get("text", "").strip()]
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def nearest(self, encoder: Embedder, vector: np.ndarray) -> tuple[float, str, np.ndarray | None]:
        """The off-topic message nearest ``vector`` (``encoder``'s, unit length, shape (dimension,)) as ``encoder``
        reads it: (cosine similarity, its text, its vector); (0.0, "", None) when there are none."""
        if not self.texts:
            return 0.0, "", None
        with self._lock:
            vecs = self._vectors.get(encoder.name)
            if vecs is None:
                vecs = self._vectors[encoder.name] = np.asarray(encoder.encode(self.texts), dtype=np.float32)
        sims = vecs @ vector.astype(np.float32)
        i = int(np.argmax(sims))
        return float(sims[i]), self.texts[i], vecs[i]

    def similarity(self, encoder: Embedder, vector: np.ndarray) -> float:
        """The cosine similarity of ``vector`` (``encoder``'s) to the nearest off-topic message (:meth:`nearest`)."""
        return self.nearest(encoder, vector)[0]

    def reads(self, encoder: Embedder, vector: np.ndarray, *, nearest_case: float, nearest_example: float) -> bool:
        """Whether a message of ``vector`` (``encoder``'s) is off-topic: near an off-topic message and nearer to
        it than to the nearest knowledge-base phrasing (``nearest_case``) and the nearest training example
        (``nearest_example``), both cosine similarities, by one of the ``TIERS``."""
        near = self.similarity(encoder, vector)
        other = max(nearest_case, nearest_example)  # the tiers, nearest first
        return any(near >= floor and near >= other + margin for floor, margin in TIERS)
