"""Fine-tuning the sentence encoder on the knowledge base's own phrasings, SetFit-style.

Pairs (anchor, positive) are two phrasings of the same case, or two training examples of the same
non-answer label (fault, human...); a batch never holds two pairs of the same group, so every other
pair in it is a true negative for MultipleNegativesRankingLoss. A slice of the phrasings and
examples is held out of training; the old and the new encoder are both scored on it by the
router's leave-out nearest-neighbour vote, and the new one is adopted only when it scores better.

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
from classifier.router import CASE, LABEL, _vote

log = logging.getLogger(__name__)

CURRENT = "current"
META = "aftercare-tune.json"


class TuneError(ClassifierError):
    pass


@dataclass(frozen=True)
class TuneSettings:
    epochs: int = 1
    max_pairs: int = 4000
    batch_size: int = 32
    max_seq_length: int = 64
    learning_rate: float = 2e-5
    holdout: float = 0.2
    seed: int = 0
    top_k: int = 10
    temperature: float = 0.05


@dataclass(frozen=True)
class TuneResult:
    path: Path
    adopted: bool
    old_accuracy: float
    new_accuracy: float
    pairs: int
    held_out: int
    seconds: float


def adopted_model(data_dir: Path, *, base: str) -> str | None:
    """The path of the tuned model adopted for ``data_dir``, when it was tuned from ``base``."""
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
    return str(path)


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


def make_pairs(groups: dict[str, list[str]], max_pairs: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(group, anchor, positive) pairs, balanced over groups, at most ``max_pairs``."""
    usable = {g: t for g, t in groups.items() if len(t) >= 2}
    if not usable:
        return []
    quota = max(1, max_pairs // len(usable))
    pairs: list[tuple[str, str, str]] = []
    for g, texts in usable.items():
        want = min(quota, len(texts) * (len(texts) - 1))
        anchors = list(texts)
        rng.shuffle(anchors)
        seen: set[tuple[str, str]] = set()
        i = 0
        while len(seen) < want and i < want * 4:
            a = anchors[i % len(anchors)]
            p = rng.choice(texts)
            i += 1
            if p != a and (a, p) not in seen:
                seen.add((a, p))
                pairs.append((g, a, p))
    rng.shuffle(pairs)
    return pairs[:max_pairs]


def batches(pairs: list[tuple[str, str, str]], size: int) -> list[list[tuple[str, str, str]]]:
    """Batches with at most one pair per group (no false in-batch negatives)."""
    out: list[list[tuple[str, str, str]]] = []
    pending = list(pairs)
    while pending:
        batch: list[tuple[str, str, str]] = []
        used: set[str] = set()
        rest: list[tuple[str, str, str]] = []
        for p in pending:
            if len(batch) < size and p[0] not in used:
                batch.append(p)
                used.add(p[0])
            else:
                rest.append(p)
        if len(batch) < 2:  # a lone pair has no negatives to learn from
            break
        out.append(batch)
        pending = rest
    return out


def leave_out_accuracy(encode: Callable[[Sequence[str]], np.ndarray], keep: dict[str, list[str]],
                       held: list[tuple[str, str]], *, top_k: int, temperature: float) -> float:
    """Share of held-out texts whose nearest-neighbour vote over the kept texts picks their own group."""
    if not held:
        return float("nan")
    ref_keys = [g for g, texts in keep.items() for _ in texts]
    ref = encode([t for texts in keep.values() for t in texts])
    q = encode([t for _, t in held])
    sims = q @ ref.T
    k = min(top_k, sims.shape[1])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    right = 0
    for i, (g, _) in enumerate(held):
        v = _vote([(float(sims[i, j]), ref_keys[j]) for j in top[i]], top_k, temperature)
        right += int(v is not None and v.winner == g)
    return right / len(held)


def tune(base: str, load: Callable[[], object], old_encode: Callable[[Sequence[str]], np.ndarray],
         phrasings: Sequence[tuple[str, str]], examples: Sequence[tuple[str, str]], models_dir: Path, *,
         settings: TuneSettings | None = None, progress: bool = False, force: bool = False,
         now: datetime | None = None) -> TuneResult:
    """Fine-tune a fresh copy of the encoder (``load()`` returns a SentenceTransformer) on
    ``phrasings`` (case id, text) and ``examples`` (non-answer label, text); save it under
    ``models_dir/<timestamp>``; adopt it when it beats ``old_encode`` on the held-out slice
    (or ``force``)."""
    import torch
    from tqdm import tqdm

    try:
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.losses import MultipleNegativesRankingLoss  # type: ignore[no-redef]

    s = settings or TuneSettings()
    t0 = time.perf_counter()
    rng = random.Random(s.seed)
    groups: dict[str, list[str]] = defaultdict(list)
    for cid, text in phrasings:
        groups[CASE + cid].append(text)
    for lab, text in examples:
        groups[LABEL + lab].append(text)
    keep, held = _split(dict(groups), s.holdout, rng)
    pairs = make_pairs(keep, s.max_pairs, rng)
    if not pairs:
        raise TuneError("nothing to tune on: no case or label has two phrasings")
    torch.manual_seed(s.seed)
    model = load()
    model.max_seq_length = s.max_seq_length  # type: ignore[attr-defined]
    loss = MultipleNegativesRankingLoss(model)  # type: ignore[arg-type]
    prep = getattr(model, "preprocess", None) or model.tokenize  # type: ignore[attr-defined]
    steps = [b for _ in range(s.epochs) for b in batches(pairs, s.batch_size)]
    if not steps:
        raise TuneError("nothing to tune on: too few distinct cases and labels for a batch")
    opt = torch.optim.AdamW(model.parameters(), lr=s.learning_rate)  # type: ignore[attr-defined]
    warm = max(1, len(steps) // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / warm) * max(0.0, (len(steps) - i) / max(1, len(steps) - warm)))
    log.info("tuning on %d pairs in %d batches; %d texts held out", len(pairs), len(steps), len(held))
    model.train()  # type: ignore[attr-defined]
    bar = tqdm(steps, desc="tuning", unit="batch", disable=not progress)
    for batch in bar:
        feats = [prep([a for _, a, _ in batch]), prep([p for _, _, p in batch])]
        value = loss(feats, torch.zeros(len(batch)))
        value.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
        bar.set_postfix(loss=f"{value.item():.3f}")
    model.eval()  # type: ignore[attr-defined]

    def new_encode(texts: Sequence[str]) -> np.ndarray:
        v = model.encode(list(texts), batch_size=64, normalize_embeddings=True,  # type: ignore[attr-defined]
                         convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(v, dtype=np.float32)

    log.info("scoring the current and the tuned encoder on the held-out texts")
    old_acc = leave_out_accuracy(old_encode, keep, held, top_k=s.top_k, temperature=s.temperature)
    new_acc = leave_out_accuracy(new_encode, keep, held, top_k=s.top_k, temperature=s.temperature)
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
        "base": base, "pairs": len(pairs), "steps": len(steps), "held_out": len(held), "old_accuracy": old_acc,
        "new_accuracy": new_acc, "adopted": adopted, "seconds": round(seconds, 1), "settings": s.__dict__,
    }, indent=2), encoding="utf-8")
    if adopted:
        tmp = models_dir / (CURRENT + ".tmp")
        tmp.write_text(str(path.resolve()) + "\n", encoding="utf-8")
        tmp.replace(models_dir / CURRENT)
    return TuneResult(path=path, adopted=adopted, old_accuracy=old_acc, new_accuracy=new_acc, pairs=len(pairs),
                      held_out=len(held), seconds=seconds)
