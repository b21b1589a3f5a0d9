"""The trained classifier: labelled example vectors plus a logistic head, saved without pickle.

Examples whose label's action is not ``answer`` (fault, human, greeting...) also vote, as
neighbours, against the knowledge base's phrasings in the router; the logistic head gives every
message a label and a probability for it, used for the ticket's label and the 'asks for a
person' override.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.errors import ClassifierError
from classifier.labels import LabelSpec

FORMAT = 1
MAX_EXAMPLE_CHARS = 5000


class ExamplesFileError(ClassifierError):
    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}, line {line}: {reason}" if line else f"{path}: {reason}")


class ModelMismatch(ClassifierError):
    """A saved model was trained with another embedder or for other labels."""


def read_examples(path: str | Path, labels: Sequence[LabelSpec]) -> tuple[list[str], list[str]]:
    """Rows of ``text,label``; every label must be declared in config. All or nothing."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ExamplesFileError(str(p), None, f"cannot read file: {e.strerror}") from e
    if b"\x00" in data:
        raise ExamplesFileError(str(p), None, "binary file (NUL bytes): expected a UTF-8 CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ExamplesFileError(str(p), data[: e.start].count(b"\n") + 1, "not valid UTF-8 text") from e
    known = {spec.name for spec in labels}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    texts: list[str] = []
    out_labels: list[str] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "text" not in header or "label" not in header:
            raise ExamplesFileError(str(p), 1, "header must name the columns text and label")
        ti, li = header.index("text"), header.index("label")
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise ExamplesFileError(str(p), line, f"expected {len(header)} fields, found {len(row)}")
            t, lab = row[ti].strip(), row[li].strip()
            if not t:
                raise ExamplesFileError(str(p), line, "text is empty")
            if len(t) > MAX_EXAMPLE_CHARS:
                raise ExamplesFileError(str(p), line, f"text is longer than {MAX_EXAMPLE_CHARS} characters")
            if lab not in known:
                raise ExamplesFileError(
                    str(p), line, f"label {lab!r} is not declared in classifier.labels ({', '.join(sorted(known))})"
                )
            texts.append(t)
            out_labels.append(lab)
    except csv.Error as e:
        raise ExamplesFileError(str(p), reader.line_num, f"malformed CSV: {e}") from e
    if not texts:
        raise ExamplesFileError(str(p), None, "no examples")
    return texts, out_labels


@dataclass
class TrainedModel:
    embedder: str
    dim: int
    classes: list[str]
    texts: list[str]
    labels: list[str]
    vectors: np.ndarray
    coef: np.ndarray | None
    intercept: np.ndarray | None
    trained_at: float

    @property
    def version(self) -> str:
        return f"{self.trained_at:.6f}"

    def proba(self, vector: np.ndarray) -> dict[str, float]:
        """Probability of each class for one vector."""
        if self.coef is None or self.intercept is None:
            return {self.classes[0]: 1.0}
        z = self.coef @ vector + self.intercept
        z = z - z.max()
        e = np.exp(z)
        p = e / e.sum()
        return {c: float(x) for c, x in zip(self.classes, p, strict=True)}

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / "model.npz.tmp"
        with open(tmp, "wb") as fh:
            np.savez(
                fh, vectors=self.vectors,
                coef=self.coef if self.coef is not None else np.zeros((0, self.dim), dtype=np.float32),
                intercept=self.intercept if self.intercept is not None else np.zeros((0,), dtype=np.float32),
            )
        meta = {"format": FORMAT, "embedder": self.embedder, "dim": self.dim, "classes": self.classes,
                "texts": self.texts, "labels": self.labels, "trained_at": self.trained_at}
        tmp_meta = directory / "model.json.tmp"
        tmp_meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, directory / "model.npz")
        os.replace(tmp_meta, directory / "model.json")

    @classmethod
    def load(cls, directory: Path, *, embedder: str, dim: int, known_labels: set[str]) -> TrainedModel:
        meta_path = directory / "model.json"
        if not meta_path.exists():
            raise ModelMismatch(f"no trained classifier in {directory}")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            arrays = np.load(directory / "model.npz", allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ModelMismatch(f"cannot read the saved classifier: {e}") from e
        if meta.get("format") != FORMAT or meta.get("embedder") != embedder or meta.get("dim") != dim:
            raise ModelMismatch(f"saved classifier was trained with {meta.get('embedder')!r}, "
                                f"the configured model is {embedder!r}")
        missing = set(meta["classes"]) - known_labels
        if missing:
            raise ModelMismatch(f"saved classifier knows labels no longer in config: {', '.join(sorted(missing))}")
        coef = arrays["coef"] if arrays["coef"].size else None
        intercept = arrays["intercept"] if arrays["intercept"].size else None
        return cls(embedder=embedder, dim=dim, classes=list(meta["classes"]), texts=list(meta["texts"]),
                   labels=list(meta["labels"]), vectors=arrays["vectors"].astype(np.float32), coef=coef,
                   intercept=intercept, trained_at=float(meta["trained_at"]))


def train(texts: list[str], labels: list[str], vectors: np.ndarray, *, embedder: str, c: float = 10.0) -> TrainedModel:
    """Fit the logistic head on unit vectors; with one label there is nothing to fit."""
    if len(texts) != len(labels) or vectors.shape[0] != len(texts):
        raise ClassifierError("texts, labels and vectors differ in length")
    classes = sorted(set(labels))
    coef = intercept = None
    if len(classes) > 1:
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=c, max_iter=3000)
        clf.fit(vectors, labels)
        classes = [str(x) for x in clf.classes_]
        if len(classes) == 2:  # sklearn keeps one row for two classes; make it a softmax pair
            w, b = clf.coef_[0], clf.intercept_[0]
            coef = np.vstack([-w / 2, w / 2]).astype(np.float32)
            intercept = np.array([-b / 2, b / 2], dtype=np.float32)
        else:
            coef = clf.coef_.astype(np.float32)
            intercept = clf.intercept_.astype(np.float32)
    return TrainedModel(embedder=embedder, dim=int(vectors.shape[1]), classes=classes, texts=list(texts),
                        labels=list(labels), vectors=np.ascontiguousarray(vectors, dtype=np.float32),
                        coef=coef, intercept=intercept, trained_at=time.time())
