"""Routing benchmark on CLINC150 (``data_full``): 150 intents as solved cases, out-of-scope messages escalated.

Data: CLINC150 by Larson et al. 2019, "An Evaluation Dataset for Intent Classification and
Out-of-Scope Prediction" (EMNLP), from clinc/oos-eval, licensed CC BY 3.0
(https://creativecommons.org/licenses/by/3.0/). Only ``train``, ``val``, ``oos_train`` and ``oos_val``
are read; the test lists are left alone.

- ``cases.csv``: one case per intent, its ``train`` messages as phrasings (``--phrasings N`` keeps N);
- ``examples.csv``: the same messages labelled ``question``, and (unless ``--no-oos-examples``) the 100
  ``oos_train`` messages labelled ``out_of_scope``: the operator's out-of-scope examples;
- ``test.csv``: the dev set, ``val`` (3,000 in-scope, expected = intent) and ``oos_val`` (100,
  expected = ``escalate``). ``--dev-n N`` takes an evenly spread subset of N in-scope messages and all
  out-of-scope ones (a quicker run).

``--run`` imports, trains and evaluates with this checkout's CLI and adds ``clinc``: in-scope messages
resolved (answered with the right case, or the right case among the options of a "did you mean...?")
and answered right at the first turn, and out-of-scope messages escalated at the first turn
(published BERT with a threshold, on test: in-scope 96.2, out-of-scope recall 52.3, no clarification).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/clinc150.py --run
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

if __package__:
    from ._cli import in_folder, kb_steps, read_predictions, run_cli, write_files
else:
    from _cli import in_folder, kb_steps, read_predictions, run_cli, write_files

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "clinc150" / "data_full_train_val.json"
ESCALATE = "escalate"
OOS_LABEL = "out_of_scope"


def score(test: Sequence[tuple[str, str]], predictions: Sequence[dict[str, str]]) -> dict[str, object]:
    """In-scope resolution and first-turn accuracy, out-of-scope escalation, from the predictions rows."""
    if len(test) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(test)} test messages")
    ins = [(exp, p) for (_, exp), p in zip(test, predictions, strict=True) if exp != ESCALATE]
    oos = [p for (_, exp), p in zip(test, predictions, strict=True) if exp == ESCALATE]
    first = sum(p["decision"] == exp for exp, p in ins)
    offered = sum(p["decision"] == "clarify" and exp in p["options"].split("|") for exp, p in ins)
    answered = [(exp, p) for exp, p in ins if p["decision"] not in (ESCALATE, "clarify")] + \
        [(ESCALATE, p) for p in oos if p["decision"] not in (ESCALATE, "clarify")]
    return {
        "in_scope": len(ins),
        "in_scope_first_turn": round(first / len(ins), 4) if ins else None,
        "in_scope_resolved": round((first + offered) / len(ins), 4) if ins else None,
        "out_of_scope": len(oos),
        "out_of_scope_escalated": round(sum(p["decision"] == ESCALATE for p in oos) / len(oos), 4) if oos else None,
        "out_of_scope_clarified": sum(p["decision"] == "clarify" for p in oos),
        "wrong_answer_rate": round(sum(p["decision"] != exp for exp, p in answered) / len(answered), 4)
        if answered else None,
    }


def build(data: dict[str, list[list[str]]], *, phrasings: int | None, oos_examples: bool,
          dev_n: int | None) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """The cases, examples and dev rows."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in data["train"]:
        by_intent[intent].append(text)
    cases = []
    for intent in sorted(by_intent):
        answer = f"Placeholder answer for the solved case '{intent}' ({intent.replace('_', ' ')})."
        for text in by_intent[intent][:phrasings] if phrasings else by_intent[intent]:
            cases.append((intent, text, answer, "clinc150"))
    examples = [(text, "question") for _, text, _, _ in cases]
    if oos_examples:
        examples += [(text, OOS_LABEL) for text, _ in data["oos_train"]]
    val = [(text, intent) for text, intent in data["val"]]
    if dev_n is not None and dev_n < len(val):
        step = len(val) / dev_n
        val = [val[int(i * step)] for i in range(dev_n)]
    test = val + [(text, ESCALATE) for text, _ in data["oos_val"]]
    return cases, examples, test


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="data_full_train_val.json")
    ap.add_argument("--out", type=Path, default=None, help="folder for the files (default with --run: temporary)")
    ap.add_argument("--phrasings", type=int, default=None, help="keep at most N phrasings per case")
    ap.add_argument("--no-oos-examples", action="store_true", help="leave the oos_train examples out")
    ap.add_argument("--dev-n", type=int, default=None, help="an evenly spread subset of N in-scope dev messages")
    ap.add_argument("--run", action="store_true", help="import, train and evaluate with the aftercare CLI")
    args = ap.parse_args(argv)
    if args.out is None and not args.run:
        ap.error("--out is required without --run")
    return in_folder(args.out, "aftercare-clinc-files-", lambda out: _main(args, out))


def _main(args: argparse.Namespace, out: Path) -> int:
    data = json.loads(args.data.read_text(encoding="utf-8"))
    cases, examples, test = build(data, phrasings=args.phrasings, oos_examples=not args.no_oos_examples,
                                  dev_n=args.dev_n)
    out = write_files(out, cases, test, examples)
    print(f"wrote {out}: {len({c[0] for c in cases})} cases ({len(cases)} phrasings), {len(examples)} examples, "
          f"{len(test)} dev messages", file=sys.stderr)
    if args.run:
        result = run_cli(out, kb_steps(out), predictions=True, prefix="aftercare-clinc-")
        result["clinc"] = score(test, read_predictions(out))
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
