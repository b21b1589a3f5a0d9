"""Fine-tuning the sentence encoder on the knowledge base's own phrasings.

Every case is a class (its phrasings are its texts), and so is every non-answer label of the
classifier's training examples (fault, human...). The encoder is trained end to end with a
cosine-softmax head, one learnt prototype per class initialised at the class's centroid
(cross-entropy on ``scale * cos(text, prototype)``): texts of a case are drawn together and away
from every other case and from faults, which is what the router's neighbour vote needs. The head is
thrown away; only the encoder is kept.

A slice of the phrasings and examples is held out of training. The old and the new encoder are both
scored on it by the router's nearest-neighbour vote, and the new one is adopted only when it scores
better. The same held-out votes calibrate the vote threshold for the tuned encoder (its own
phrasings' leave-one-out votes are over-confident after training on them), saved with the model
and used by the router as the floor of its threshold.

Models live under ``<data_dir>/models/<timestamp>/``; ``<data_dir>/models/current`` holds the
adopted model's path. Runs offline on CPU.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifier.errors import ClassifierError
from classifier.vote import CASE, LABEL, Calibration, _vote, choose_threshold

log = logging.getLogger(__name__)

CURRENT = "current"
META = "aftercare-tune.json"


class TuneError(ClassifierError):
    pass


@dataclass(frozen=True)
class TuneSettings:
    epochs: int = 2
    max_texts: int = 20000
    batch_size: int = 32
    max_seq_length: int = 64
    learning_rate: float = 5e-5
    head_learning_rate: float = 2.5e-3
    scale: float = 20.0
    holdout: float = 0.2
    seed: int = 0
    top_k: int = 10
    temperature: float = 0.05
    target_precision: float = 0.98
    max_vote_threshold: float = 0.9


@dataclass(frozen=True)
class TuneResult:
    path: Path
    adopted: bool
    old_accuracy: float
    new_accuracy: float
    texts: int
    held_out: int
    seconds: float
    calibration: Calibration | None = None


def _adopted_meta(data_dir: Path, *, base: str) -> tuple[str, dict[str, object]] | None:
    """The adopted tuned model's path and its tune record, when it was tuned from ``base``."""
    pointer = data_dir / "models" / CURRENT
    if not pointer.exists():
        return None
    path = Path(pointer.read_text(encoding="utf-8").strip())
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("the adopted model %s is missing or unreadable; using %s", path, base)
        return None
    if meta.get("base") != base:
        log.warning("the adopted model %s was tuned from %r, not the configured %r; using the configured model",
                    path, meta.get("base"), base)
        return None
    return str(path), meta


def adopted_model(data_dir: Path, *, base: str) -> str | None:
    """The path of the tuned model adopted for ``data_dir``, when it was tuned from ``base``."""
    found = _adopted_meta(data_dir, base=base)
    return found[0] if found else None


def adopted_threshold(data_dir: Path, *, base: str, serving: str) -> float:
    """The vote threshold calibrated on the adopted tuned model's held-out slice, when that model is the
    one ``serving`` (0 otherwise: no tuned model, or another encoder was injected)."""
    found = _adopted_meta(data_dir, base=base)
    if found is None or found[0] != serving:
        return 0.0
    value = found[1].get("vote_threshold")
    return float(value) if isinstance(value, int | float) else 0.0


def _split(groups: dict[str, list[str]], frac: float, rng: random.Random) -> tuple[dict[str, list[str]],
                                                                                  list[tuple[str, str]]]:
    """Keep most of each group for training; hold out ``frac`` of the groups with two texts or more."""
    keep: dict[str, list[str]] = {}
    held: list[tuple[str, str]] = []
    for g, texts in groups.items():
        texts = list(dict.fromkeys(texts))
        rng.shuffle(texts)
        n_out = min(len(texts) - 1, int(round(len(texts) * frac))) if len(texts) > 1 else 0
        if len(texts) > 1 and n_out == 0 and frac > 0:
            n_out = 1 if len(texts) > 2 else 0
        held += [(g, t) for t in texts[:n_out]]
        keep[g] = texts[n_out:]
    return keep, held


def training_texts(groups: dict[str, list[str]], max_texts: int, rng: random.Random) -> list[tuple[int, str]]:
    """(class index, text) for every kept text, classes numbered in ``groups`` order; past ``max_texts``
    the biggest groups are cut first, so that small cases keep all their phrasings."""
    sizes = {g: len(t) for g, t in groups.items()}
    while sum(sizes.values()) > max_texts:
        big = max(sizes, key=lambda g: sizes[g])
        sizes[big] = max(1, sizes[big] - max(1, (sum(sizes.values()) - max_texts) // len(sizes)))
    out: list[tuple[int, str]] = []
    for i, (g, texts) in enumerate(groups.items()):
        picked = list(texts)
        rng.shuffle(picked)
        out += [(i, t) for t in picked[: sizes[g]]]
    rng.shuffle(out)
    return out


def held_out_votes(encode: Callable[[Sequence[str]], np.ndarray], keep: dict[str, list[str]],
                   held: list[tuple[str, str]], *, top_k: int,
                   temperature: float) -> tuple[float, list[tuple[float, bool]]]:
    """The router's nearest-neighbour vote for each held-out text over the kept texts: the share whose
    vote picks their own group, and (vote share, right case) for every vote a case won."""
    if not held:
        return float("nan"), []
    ref_keys = [g for g, texts in keep.items() for _ in texts]
    ref = encode([t for texts in keep.values() for t in texts])
    q = encode([t for _, t in held])
    sims = q @ ref.T
    k = min(top_k, sims.shape[1])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    right = 0
    points: list[tuple[float, bool]] = []
    for i, (g, _) in enumerate(held):
        v = _vote([(float(sims[i, j]), ref_keys[j]) for j in top[i]], top_k, temperature)
        right += int(v is not None and v.winner == g)
        if v is not None and v.winner.startswith(CASE):
            points.append((v.share, v.winner == g))
    return right / len(held), points


def tune(base: str, load: Callable[[], object], old_encode: Callable[[Sequence[str]], np.ndarray],
         phrasings: Sequence[tuple[str, str]], examples: Sequence[tuple[str, str]], models_dir: Path, *,
         settings: TuneSettings | None = None, progress: bool = False, force: bool = False,
         now: datetime | None = None) -> TuneResult:
    """Fine-tune a fresh copy of the encoder (``load()`` returns a SentenceTransformer) on
    ``phrasings`` (case id, text) and ``examples`` (non-answer label, text); save it under
    ``models_dir/<timestamp>``; adopt it when it beats ``old_encode`` on the held-out slice
    (or ``force``)."""
    import torch
    import torch.nn.functional as nnf
    from tqdm import tqdm

    s = settings or TuneSettings()
    t0 = time.perf_counter()
    rng = random.Random(s.seed)
    groups: dict[str, list[str]] = defaultdict(list)
    for cid, text in phrasings:
        groups[CASE + cid].append(text)
    for lab, text in examples:
        groups[LABEL + lab].append(text)
    keep, held = _split(dict(groups), s.holdout, rng)
    keep = {g: t for g, t in keep.items() if t}
    if sum(1 for g in keep if g.startswith(CASE)) < 2 and len(keep) < 2:
        raise TuneError("nothing to tune on: at least two cases (or a case and a label) are needed")
    if not any(len(t) >= 2 for t in keep.values()):
        raise TuneError("nothing to tune on: no case or label has two phrasings")
    data = training_texts(keep, s.max_texts, rng)
    torch.manual_seed(s.seed)
    model = load()
    model.max_seq_length = s.max_seq_length  # type: ignore[attr-defined]
    prep = getattr(model, "preprocess", None) or model.tokenize  # type: ignore[attr-defined]

    def embed_batch(texts: list[str]) -> torch.Tensor:
        return nnf.normalize(model(prep(texts))["sentence_embedding"], dim=1)  # type: ignore[operator]

    # prototypes start at the class centroids of the untuned encoder, so the first steps are not spent
    # finding where each class lives
    model.eval()  # type: ignore[attr-defined]
    with torch.no_grad():
        names = list(keep)
        vecs = torch.cat([embed_batch([t for _, t in data[i: i + 128]]) for i in range(0, len(data), 128)])
        labels = torch.tensor([c for c, _ in data])
        centroids = torch.zeros(len(names), vecs.shape[1]).index_add_(0, labels, vecs)
    protos = torch.nn.Parameter(nnf.normalize(centroids, dim=1))
    steps_per_epoch = max(1, len(data) // s.batch_size)
    total = s.epochs * steps_per_epoch
    opt = torch.optim.AdamW([{"params": list(model.parameters()), "lr": s.learning_rate},  # type: ignore[attr-defined]
                             {"params": [protos], "lr": s.head_learning_rate}])
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / warm) * max(0.0, (total - i) / max(1, total - warm)))
    log.info("tuning on %d texts of %d classes in %d batches; %d texts held out", len(data), len(names), total,
             len(held))
    model.train()  # type: ignore[attr-defined]
    bar = tqdm(total=total, desc="tuning", unit="batch", disable=not progress)
    for _ in range(s.epochs):
        order = list(range(len(data)))
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            part = [data[i] for i in order[b * s.batch_size: (b + 1) * s.batch_size]]
            logits = s.scale * embed_batch([t for _, t in part]) @ nnf.normalize(protos, dim=1).T
            value = nnf.cross_entropy(logits, torch.tensor([c for c, _ in part]))
            value.backward()
            opt.step()
            sched.step()
            opt.zero_grad()
            bar.update(1)
            bar.set_postfix(loss=f"{value.item():.3f}")
    bar.close()
    model.eval()  # type: ignore[attr-defined]

    def new_encode(texts: Sequence[str]) -> np.ndarray:
        v = model.encode(list(texts), batch_size=64, normalize_embeddings=True,  # type: ignore[attr-defined]
                         convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(v, dtype=np.float32)

    log.info("scoring the current and the tuned encoder on the held-out texts")
    old_acc, _ = held_out_votes(old_encode, keep, held, top_k=s.top_k, temperature=s.temperature)
    new_acc, points = held_out_votes(new_encode, keep, held, top_k=s.top_k, temperature=s.temperature)
    cal = choose_threshold(np.array([p[0] for p in points]), np.array([p[1] for p in points], dtype=bool),
                           target=s.target_precision, ceiling=s.max_vote_threshold) if points else None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    path = models_dir / stamp
    n = 1
    while path.exists():
        n += 1
        path = models_dir / f"{stamp}-{n}"
    model.save(str(path))  # type: ignore[attr-defined]
    better = bool(new_acc > old_acc) if not (np.isnan(old_acc) or np.isnan(new_acc)) else False
    adopted = force or better
    seconds = time.perf_counter() - t0
    (path / META).write_text(json.dumps({
        "base": base, "texts": len(data), "classes": len(names), "steps": total, "held_out": len(held),
        "old_accuracy": old_acc, "new_accuracy": new_acc, "adopted": adopted, "seconds": round(seconds, 1),
        "vote_threshold": cal.threshold if cal else None,
        "held_out_precision": cal.precision if cal else None, "held_out_coverage": cal.coverage if cal else None,
        "settings": s.__dict__,
    }, indent=2), encoding="utf-8")
    if adopted:
        tmp = models_dir / (CURRENT + ".tmp")
        tmp.write_text(str(path.resolve()) + "\n", encoding="utf-8")
        tmp.replace(models_dir / CURRENT)
    return TuneResult(path=path, adopted=adopted, old_accuracy=old_acc, new_accuracy=new_acc, texts=len(data),
                      held_out=len(held), seconds=seconds, calibration=cal)
