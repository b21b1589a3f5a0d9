"""Routing benchmark on BANKING77: build a knowledge base, training examples and a dev set, and score them.

Data: BANKING77 by PolyAI (Casanueva et al. 2020, "Efficient Intent Detection with Dual Sentence
Encoders"), from PolyAI-LDN/task-specific-datasets, licensed CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/). ``actions.csv`` (question vs fault per intent) is
the Aftercare project's own labelling. Only ``train.csv`` is used; the official test split is
left alone and a stratified dev split is carved out of train with a fixed seed.

Files written into ``--out``:

- ``cases.csv`` (``case_id,question,answer,tags``): one solved case per ``question`` intent; the
  case id is the intent name, its train-split messages are the phrasings, the answer is a
  placeholder naming the intent. ``--phrasings N`` keeps at most N phrasings per case;
  ``--holdout-frac F`` leaves a fraction of the question intents out of the knowledge base.
- ``examples.csv`` (``text,label``): every train-split message labelled ``question`` or ``fault``.
- ``test.csv`` (``text,expected``): the dev messages; ``expected`` is the intent name for a
  question intent in the knowledge base, ``escalate`` for a fault intent or a held-out one.

With held-out intents, ``--run`` adds ``held_out``: the share of their dev messages escalated
(``held_out_recall``) and the routing accuracy and wrong-answer rate over the other messages.

With ``--run`` the three CLI commands (``kb import``, ``classifier train``, ``eval --json``) run
in a fresh temporary data directory and the evaluation JSON is printed with the wall times.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/banking77.py --out "$(mktemp -d)" --run
    HF_HUB_OFFLINE=1 .venv/bin/python bench/banking77.py --run --phrasings 5   # files in a temp dir
    HF_HUB_OFFLINE=1 .venv/bin/python bench/banking77.py --run --tune          # fine-tune the encoder first
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__:  # imported as a module of bench (the tests)
    from ._cli import Step, in_folder, kb_steps, read_predictions, run_cli, write_files
else:  # run as a script: bench/ itself is on sys.path
    from _cli import Step, in_folder, kb_steps, read_predictions, run_cli, write_files

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "banking77"
ESCALATE = "escalate"


@dataclass(frozen=True)
class Split:
    """The benchmark files' rows, before they are written."""

    cases: list[tuple[str, str, str, str]]  # case_id, question, answer, tags
    examples: list[tuple[str, str]]  # text, label
    test: list[tuple[str, str]]  # text, expected
    kb_intents: list[str]
    held_out: list[str]
    test_intents: list[str]  # the intent of each test row


def score_held_out(split: Split, decisions: Sequence[str]) -> dict[str, object]:
    """With intents held out of the KB: the share of their messages escalated (recall), and routing
    over the rest (covered questions and faults), from the evaluation's decision per test row."""
    if len(decisions) != len(split.test):
        raise ValueError(f"{len(decisions)} decisions for {len(split.test)} test messages")
    held = set(split.held_out)
    out_rows = [d for d, i in zip(decisions, split.test_intents, strict=True) if i in held]
    covered = [(d, exp) for d, (_, exp), i in zip(decisions, split.test, split.test_intents, strict=True)
               if i not in held]
    answered = [(d, exp) for d, exp in covered if d != ESCALATE]
    return {
        "held_out_intents": len(held),
        "held_out_messages": len(out_rows),
        "held_out_recall": round(sum(d == ESCALATE for d in out_rows) / len(out_rows), 4) if out_rows else None,
        "covered_messages": len(covered),
        "covered_routing_accuracy": round(sum(d == exp for d, exp in covered) / len(covered), 4) if covered else None,
        "covered_wrong_answer_rate": (round(sum(d != exp for d, exp in answered) / len(answered), 4)
                                      if answered else None),
    }


def read_dataset(data: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Messages by intent (file order) and the action label of each intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with open(data / "train.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = row["text"].strip()
            if text:
                by_intent[row["category"].strip()].append(text)
    with open(data / "actions.csv", newline="", encoding="utf-8") as fh:
        actions = {row["category"].strip(): row["label"].strip() for row in csv.DictReader(fh)}
    missing = sorted(set(by_intent) - set(actions))
    if missing:
        raise SystemExit(f"{data / 'actions.csv'}: no label for {', '.join(missing)}")
    return dict(by_intent), actions


def build(by_intent: dict[str, list[str]], actions: dict[str, str], *, dev_frac: float, seed: int,
          phrasings: int | None, holdout_frac: float) -> Split:
    """Stratified train/dev split per intent, then the knowledge base, examples and dev set."""
    rng = random.Random(seed)
    train: dict[str, list[str]] = {}
    dev: dict[str, list[str]] = {}
    for intent in sorted(by_intent):
        msgs = list(by_intent[intent])
        rng.shuffle(msgs)
        n_dev = max(1, round(len(msgs) * dev_frac)) if dev_frac > 0 else 0
        dev[intent], train[intent] = msgs[:n_dev], msgs[n_dev:]
    questions = sorted(i for i in train if actions[i] == "question")
    n_hold = round(len(questions) * holdout_frac)
    held_out = sorted(rng.sample(questions, n_hold)) if n_hold else []
    kb_intents = [i for i in questions if i not in set(held_out)]

    cases: list[tuple[str, str, str, str]] = []
    for intent in kb_intents:
        answer = f"Placeholder answer for the solved case '{intent}' ({intent.replace('_', ' ')})."
        for text in train[intent][:phrasings] if phrasings is not None else train[intent]:
            cases.append((intent, text, answer, "banking77"))
    examples = [(text, actions[i]) for i in sorted(train) for text in train[i]]
    rows = [(text, i) for i in sorted(dev) for text in dev[i]]
    test = [(text, i if i in kb_intents else ESCALATE) for text, i in rows]
    return Split(cases=cases, examples=examples, test=test, kb_intents=kb_intents, held_out=held_out,
                 test_intents=[i for _, i in rows])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with train.csv and actions.csv")
    ap.add_argument("--out", type=Path, default=None,
                    help="folder for cases.csv, examples.csv, test.csv (default with --run: a temporary one)")
    ap.add_argument("--dev-frac", type=float, default=0.2, help="share of each intent held back for dev")
    ap.add_argument("--seed", type=int, default=0, help="seed of the dev split and the held-out intents")
    ap.add_argument("--phrasings", type=int, default=None, help="keep at most N phrasings per case")
    ap.add_argument("--holdout-frac", type=float, default=0.0,
                    help="fraction of question intents left out of the knowledge base (expect escalate)")
    ap.add_argument("--run", action="store_true", help="import, train and evaluate with the aftercare CLI")
    ap.add_argument("--predictions", action="store_true", help="with --run, write OUT/predictions.csv")
    ap.add_argument("--tune", action="store_true", help="with --run, run `aftercare model tune` before the evaluation")
    args = ap.parse_args(argv)
    if not 0 <= args.dev_frac < 1 or not 0 <= args.holdout_frac < 1:
        ap.error("--dev-frac and --holdout-frac must be in [0, 1)")
    if args.phrasings is not None and args.phrasings < 1:
        ap.error("--phrasings must be at least 1")
    if args.out is None and not args.run:
        ap.error("--out is required without --run")
    return in_folder(args.out, "aftercare-b77-files-", lambda out: _main(args, out))


def _main(args: argparse.Namespace, out: Path) -> int:
    """Write the benchmark files into ``out``; with ``--run``, evaluate them and print the JSON."""
    by_intent, actions = read_dataset(args.data)
    split = build(by_intent, actions, dev_frac=args.dev_frac, seed=args.seed, phrasings=args.phrasings,
                  holdout_frac=args.holdout_frac)
    out = write_files(out, split.cases, split.test, split.examples)
    print(f"wrote {out}: {len(split.kb_intents)} cases ({len(split.cases)} phrasings), "
          f"{len(split.examples)} examples, {len(split.test)} dev messages"
          + (f"; held out: {', '.join(split.held_out)}" if split.held_out else ""), file=sys.stderr)
    if args.run:
        steps = kb_steps(out)
        if args.tune:  # fine-tune the encoder on the KB and the examples; adopted only if it scores better
            steps.append(Step("tune_s", ["model", "tune", "-q"], output="tune"))
        result = run_cli(out, steps, predictions=args.predictions or bool(split.held_out), prefix="aftercare-b77-")
        if split.held_out:  # how the held-out intents and the covered ones fared, from the predictions
            decisions = [row["decision"] for row in read_predictions(out)]
            result["held_out"] = score_held_out(split, decisions)
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
