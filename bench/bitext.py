"""Retrieval benchmark on the Bitext customer-support sample: build a knowledge base and a test set, and score them.

Data: the Bitext Customer Service Tagged Training Dataset for LLM-based chatbots (the 4,514-row
sample, ``Bitext_Sample_Customer_Support_Training_Dataset.csv``), from
bitext/customer-support-llm-chatbot-training-dataset, licensed under the Community Data License
Agreement - Sharing - Version 1.0 (CDLA-Sharing-1.0, https://cdla.dev/sharing-1-0/; its text travels
with the data as LICENSE.txt). The messages are synthetic. A message that occurs more than once
(same text once spaces and case are ignored) is kept once; one that occurs under two intents is
dropped. A stratified test split (``--test-frac`` of each intent) is held back with a fixed seed.

Files written into ``--out``:

- ``cases.csv`` (``case_id,question,answer,tags``): one solved case per intent; the case id is the
  intent, its kept messages' ``instruction`` are the phrasings, the answer is the ``response`` of
  the intent's first kept message (a templated answer with placeholders such as ``{{Order Number}}``),
  the tag is the intent's ``category``.
- ``test.csv`` (``text,expected``): the held-back messages; ``expected`` is their intent.

With ``--run`` the CLI commands ``kb import`` and ``eval --json`` run in a fresh temporary data
directory (no classifier training: retrieval alone is measured) and the evaluation JSON is printed
with the wall times. Its ``retrieval`` section (``at_1``, ``at_3``, ``mrr``) is the figure to read.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bitext.py --out "$(mktemp -d)" --run --predictions
    HF_HUB_OFFLINE=1 .venv/bin/python bench/bitext.py --run   # files in a temp dir
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
    from ._cli import in_folder, kb_steps, run_cli, write_files
else:  # run as a script: bench/ itself is on sys.path
    from _cli import in_folder, kb_steps, run_cli, write_files

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (REPO.parent / "shared" / "datasets" / "bitext_customer_support"
                / "Bitext_Sample_Customer_Support_Training_Dataset.csv")


@dataclass(frozen=True)
class Message:
    text: str  # the customer's message (``instruction``)
    response: str  # the agent's templated answer
    category: str


@dataclass(frozen=True)
class Split:
    """The benchmark files' rows, before they are written."""

    cases: list[tuple[str, str, str, str]]  # case_id, question, answer, tags
    test: list[tuple[str, str]]  # text, expected
    intents: list[str]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def read_dataset(path: Path) -> dict[str, list[Message]]:
    """Messages by intent, in file order; repeated messages kept once, ambiguous ones dropped."""
    by_intent: dict[str, list[Message]] = defaultdict(list)
    intents_of: dict[str, set[str]] = defaultdict(set)
    seen: set[tuple[str, str]] = set()
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text, intent = row["instruction"].strip(), row["intent"].strip()
            if not text or not intent:
                continue
            intents_of[_key(text)].add(intent)
            if (intent, _key(text)) in seen:
                continue
            seen.add((intent, _key(text)))
            by_intent[intent].append(Message(text=text, response=row["response"].strip(),
                                             category=row["category"].strip()))
    return {i: [m for m in msgs if len(intents_of[_key(m.text)]) == 1] for i, msgs in by_intent.items()}


def build(by_intent: dict[str, list[Message]], *, test_frac: float, seed: int) -> Split:
    """Hold back ``test_frac`` of each intent's messages (at least one, at least one kept); the kept
    ones become the intent's case, in file order."""
    rng = random.Random(seed)
    cases: list[tuple[str, str, str, str]] = []
    test: list[tuple[str, str]] = []
    intents: list[str] = []
    for intent in sorted(by_intent):
        msgs = by_intent[intent]
        if len(msgs) < 2:
            continue
        n_test = min(len(msgs) - 1, max(1, round(len(msgs) * test_frac))) if test_frac > 0 else 0
        held = set(rng.sample(range(len(msgs)), n_test))
        kept = [m for i, m in enumerate(msgs) if i not in held]
        answer = kept[0].response
        tags = ";".join(dict.fromkeys(m.category for m in kept if m.category))
        cases += [(intent, m.text, answer, tags) for m in kept]
        test += [(m.text, intent) for i, m in enumerate(msgs) if i in held]
        intents.append(intent)
    return Split(cases=cases, test=test, intents=intents)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the Bitext sample CSV")
    ap.add_argument("--out", type=Path, default=None,
                    help="folder for cases.csv and test.csv (default with --run: a temporary one)")
    ap.add_argument("--test-frac", type=float, default=0.2, help="share of each intent held back for the test")
    ap.add_argument("--seed", type=int, default=0, help="seed of the test split")
    ap.add_argument("--run", action="store_true", help="import and evaluate with the aftercare CLI")
    ap.add_argument("--predictions", action="store_true", help="with --run, write OUT/predictions.csv")
    args = ap.parse_args(argv)
    if not 0 < args.test_frac < 1:
        ap.error("--test-frac must be in (0, 1)")
    if args.out is None and not args.run:
        ap.error("--out is required without --run")
    return in_folder(args.out, "aftercare-bitext-files-", lambda out: _main(args, out))


def _main(args: argparse.Namespace, out: Path) -> int:
    """Write the benchmark files into ``out``; with ``--run``, evaluate them and print the JSON."""
    split = build(read_dataset(args.data), test_frac=args.test_frac, seed=args.seed)
    out = write_files(out, split.cases, split.test)
    print(f"wrote {out}: {len(split.intents)} cases ({len(split.cases)} phrasings), "
          f"{len(split.test)} test messages", file=sys.stderr)
    if args.run:
        result = run_cli(out, kb_steps(out, train=False), predictions=args.predictions, prefix="aftercare-bitext-")
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
