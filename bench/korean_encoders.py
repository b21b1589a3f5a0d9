"""Korean reading of each encoder on public Korean data, apart from the demo KB: more Korean dev figures
than the 93 messages of kb/demo/dev_ko.csv, for choosing and checking an encoder (never for the held-out
test figures).

- ParaKQC (Cho et al., LREC 2020; the shared even-numbered half: 500 sets of 10 paraphrases of one Korean
  request): one phrasing of each set is a knowledge-base entry, the other nine are messages; ``at_1`` is
  the share of messages whose nearest entry (cosine) is their own set's. ``--sets`` of them, evenly spaced.
- KorSTS dev (Ham et al. 2020, 1,500 human-translated pairs of the STS Benchmark): ``spearman`` of cosine
  against the gold score (Korean to Korean); ``ko_en_at_1``: the share of Korean sentences whose nearest
  English sentence among the dev set's (the STS-B originals, row for row) is their own original, the
  cross-lingual alignment an English-only knowledge base answering Korean relies on; ``ko_en_gap``: the
  mean cosine of a Korean pair minus that of the same pair across languages (pairs scored 4-5).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/korean_encoders.py --encoders all-MiniLM-L6-v2,use-multilingual-v3
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "korean"


def read_tsv(path: Path, *, header: bool) -> list[list[str]]:
    """Rows of a tab-separated file without quoting (the datasets' own format)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[1:] if header else rows


def parakqc(enc: object, data: Path, n_sets: int) -> dict[str, float]:
    """Retrieval at 1 over ``n_sets`` ParaKQC sets (first phrasing the entry, the others messages)."""
    sets: dict[str, list[str]] = {}
    for row in read_tsv(data / "parakqc-even-sets.tsv", header=True):
        if len(row) >= 4:
            sets.setdefault(row[0], []).append(row[3])
    keys = [k for k in sets if len(sets[k]) >= 2]
    keys = [keys[int(i)] for i in np.linspace(0, len(keys) - 1, num=min(n_sets, len(keys)))]
    entries = enc.encode([sets[k][0] for k in keys])  # type: ignore[attr-defined]
    texts = [t for k in keys for t in sets[k][1:]]
    owner = np.array([i for i, k in enumerate(keys) for _ in sets[k][1:]])
    msgs = enc.encode(texts)  # type: ignore[attr-defined]
    top = (msgs @ entries.T).argmax(axis=1)
    return {"parakqc_sets": len(keys), "parakqc_messages": len(texts), "at_1": round(float((top == owner).mean()), 4)}


def ranks(a: np.ndarray) -> np.ndarray:
    """Ranks of ``a`` (0-based), ties given their mean rank."""
    r = np.empty(len(a))
    r[a.argsort(kind="stable")] = np.arange(len(a))
    _, inv = np.unique(a, return_inverse=True)
    return (np.bincount(inv, weights=r) / np.bincount(inv))[inv]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks."""
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def korsts(enc: object, data: Path) -> dict[str, float]:
    """Spearman on KorSTS dev and the Korean-to-English alignment against the STS-B originals."""
    ko = [r for r in read_tsv(data / "korsts-dev.tsv", header=True) if len(r) >= 7]
    en = [r for r in read_tsv(data / "stsb-en-dev.csv", header=False) if len(r) >= 7]
    n = min(len(ko), len(en))
    ko, en = ko[:n], en[:n]
    k1, k2 = enc.encode([r[5] for r in ko]), enc.encode([r[6] for r in ko])  # type: ignore[attr-defined]
    e1, e2 = enc.encode([r[5] for r in en]), enc.encode([r[6] for r in en])  # type: ignore[attr-defined]
    gold = np.array([float(r[4]) for r in ko])
    kk = (k1 * k2).sum(axis=1)
    cross = ((k1 * e2).sum(axis=1) + (e1 * k2).sum(axis=1)) / 2
    # distinct English originals only: the dev set repeats some sentences
    uniq: dict[str, int] = {}
    for i, r in enumerate(en):
        uniq.setdefault(r[5], i)
    idx = np.array(sorted(uniq.values()))
    own = (k1[idx] @ e1[idx].T).argmax(axis=1) == np.arange(len(idx))
    high = gold >= 4
    return {"korsts_pairs": n, "spearman": round(spearman(kk, gold), 4),
            "ko_en_at_1": round(float(own.mean()), 4),
            "ko_en_gap": round(float((kk[high] - cross[high]).mean()), 4)}


def main(argv: list[str] | None = None) -> int:
    from kb.embedder import load_embedder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", default="all-MiniLM-L6-v2,use-multilingual-v3",
                    help="comma-separated (multilingual-e5-small-q4 too: about 45 ms a sentence)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared Korean datasets folder")
    ap.add_argument("--sets", type=int, default=200, help="ParaKQC sets (of 500), evenly spaced")
    args = ap.parse_args(argv)
    if not (args.data / "parakqc-even-sets.tsv").exists():
        ap.error(f"{args.data}: no parakqc-even-sets.tsv (give --data)")
    for name in args.encoders.split(","):
        enc = load_embedder(name.strip(), runtime="onnx", quantize=True)
        t0 = time.perf_counter()
        out = {"encoder": enc.name, **parakqc(enc, args.data, args.sets), **korsts(enc, args.data)}
        print(json.dumps({**out, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
