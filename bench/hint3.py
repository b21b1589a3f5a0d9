"""Routing benchmark on HINT3 v1: three live bots' real users (SOFMattress, Curekart, Powerplay11).

Data: HINT3 by Arora et al. 2020, "HINT3: Raising the bar for Intent Detection in the Wild"
(Insights workshop, EMNLP), from hellohaptik/HINT3 ``dataset/v1/train/``, Open Database License 1.0
(contents under the Database Contents License 1.0). Only the training files are read.

The test sets' out-of-scope messages (``NO_NODES_DETECTED``) are not in the training files, so the dev
split makes its own: for each bot, a fraction of the intents (``--holdout-frac``, 0.25) is left out of the
knowledge base and all their messages are dev messages that should be escalated; of the other intents a
stratified fifth (``--dev-frac``) of the messages is held back as dev, the rest are the cases' phrasings
(and the classifier's ``question`` examples). Seeded (``--seed``).

``--run`` prints per bot the evaluation JSON's headline and ``hint3``: the multi-class Matthews
correlation of the first-turn decisions (out of scope = escalate; a clarification is its own class, never
right), the in-scope resolution with one clarification, the held-out messages escalated, and the
wrong-answer rate. Published best MCC on the test sets: 0.638 / 0.603 / 0.425.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/hint3.py --run [--bots sofmattress]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from sklearn.metrics import matthews_corrcoef

if __package__:
    from ._cli import in_folder, kb_steps, read_predictions, run_cli, write_files
else:
    from _cli import in_folder, kb_steps, read_predictions, run_cli, write_files

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "hint3"
BOTS = ("sofmattress", "curekart", "powerplay11")
ESCALATE = "escalate"


def score(test: Sequence[tuple[str, str]], predictions: Sequence[dict[str, str]]) -> dict[str, object]:
    """MCC of the first-turn decisions, resolution, out-of-scope escalation and wrong answers."""
    if len(test) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(test)} test messages")
    expected = [exp for _, exp in test]
    decided = [p["decision"] for p in predictions]
    ins = [(e, p) for e, p in zip(expected, predictions, strict=True) if e != ESCALATE]
    oos = [p for e, p in zip(expected, predictions, strict=True) if e == ESCALATE]
    answered = [(e, d) for e, d in zip(expected, decided, strict=True) if d not in (ESCALATE, "clarify")]
    resolved = sum(p["decision"] == e or (p["decision"] == "clarify" and e in p["options"].split("|"))
                   for e, p in ins)
    return {
        "mcc": round(float(matthews_corrcoef(expected, decided)), 4),
        "in_scope": len(ins),
        "in_scope_resolved": round(resolved / len(ins), 4) if ins else None,
        "out_of_scope": len(oos),
        "out_of_scope_escalated": round(sum(p["decision"] == ESCALATE for p in oos) / len(oos), 4) if oos else None,
        "wrong_answer_rate": round(sum(d != e for e, d in answered) / len(answered), 4) if answered else None,
    }


def read_bot(data: Path, bot: str, *, subset: bool) -> dict[str, list[str]]:
    """Sentences by intent, file order."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    name = f"{bot}_subset_train.csv" if subset else f"{bot}_train.csv"
    with open(data / name, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = row["sentence"].strip()
            if text:
                by_intent[row["label"].strip()].append(text)
    return dict(by_intent)


def build(by_intent: dict[str, list[str]], *, dev_frac: float, holdout_frac: float,
          seed: int) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """The cases, examples and dev rows of one bot."""
    rng = random.Random(seed)
    intents = sorted(by_intent)
    held = set(rng.sample(intents, round(len(intents) * holdout_frac)))
    cases, test = [], []
    for intent in intents:
        msgs = list(by_intent[intent])
        if intent in held:
            test += [(m, ESCALATE) for m in msgs]
            continue
        rng.shuffle(msgs)
        n_dev = max(1, round(len(msgs) * dev_frac)) if len(msgs) > 1 else 0
        test += [(m, intent) for m in msgs[:n_dev]]
        answer = f"Placeholder answer for the solved case '{intent}'."
        cases += [(intent, m, answer, "hint3") for m in msgs[n_dev:]]
    examples = [(m, "question") for _, m, _, _ in cases]
    return cases, examples, test


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--bots", default=",".join(BOTS), help="comma-separated: " + ", ".join(BOTS))
    ap.add_argument("--subset", action="store_true", help="the subset training files")
    ap.add_argument("--dev-frac", type=float, default=0.2)
    ap.add_argument("--holdout-frac", type=float, default=0.25, help="intents left out as out-of-scope")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--run", action="store_true", help="import, train and evaluate with the aftercare CLI")
    ap.add_argument("--out", type=Path, default=None, help="folder for the files (default: temporary)")
    args = ap.parse_args(argv)
    bots = [b.strip() for b in args.bots.split(",") if b.strip()]
    unknown = sorted(set(bots) - set(BOTS))
    if unknown:
        ap.error(f"unknown bot(s): {', '.join(unknown)}")
    return in_folder(args.out, "aftercare-hint3-files-", lambda out: _main(args, bots, out))


def _main(args: argparse.Namespace, bots: list[str], root: Path) -> int:
    results: dict[str, object] = {}
    for bot in bots:
        cases, examples, test = build(read_bot(args.data, bot, subset=args.subset), dev_frac=args.dev_frac,
                                      holdout_frac=args.holdout_frac, seed=args.seed)
        out = write_files(root / bot, cases, test, examples)
        print(f"{bot}: {len({c[0] for c in cases})} cases ({len(cases)} phrasings), {len(test)} dev messages "
              f"({sum(e == ESCALATE for _, e in test)} out of scope)", file=sys.stderr)
        if not args.run:
            continue
        result = run_cli(out, kb_steps(out), predictions=True, prefix="aftercare-hint3-")
        keep = ("routing_accuracy", "wrong_answer_rate", "clarified", "clarified_correct", "resolution_rate",
                "vote_threshold", "p50_ms")
        results[bot] = {**{k: result[k] for k in keep if k in result}, "hint3": score(test, read_predictions(out))}
    if args.run:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
