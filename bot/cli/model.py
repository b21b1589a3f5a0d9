"""``aftercare classifier train`` and ``aftercare eval`` (route a labelled test file and score it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.base import open_app


def cmd_classifier_train(args: argparse.Namespace) -> int:
    ac = open_app(args, migrate=False)
    model = ac.train_classifier(Path(args.file), progress=sys.stderr.isatty())
    counts = {c: model.labels.count(c) for c in model.classes}
    print(f"trained on {len(model.texts)} examples: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.quality.evaluate import TIMED_SAMPLE, EvalFileError, read_test_file, run_eval, write_predictions

    rows = read_test_file(Path(args.file))
    ac = open_app(args)
    if args.latency_sample is not None and args.latency_sample < 0:
        raise EvalFileError("--latency-sample must be 0 or more")
    summary, preds = run_eval(ac, rows, timed=TIMED_SAMPLE if args.latency_sample is None else args.latency_sample)
    if args.predictions:
        write_predictions(preds, Path(args.predictions))
    if args.html:
        from bot.quality.report import write_report

        write_report(summary, Path(args.html), source=Path(args.file).name)
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            if not isinstance(v, dict | list):
                print(f"{k:20} {v}")
        print(f"{'ece':20} {summary['calibration']['ece']}")
        r = summary["retrieval"]
        print(f"{'retrieval':20} at_1 {r['at_1']}  at_3 {r['at_3']}  mrr {r['mrr']}  (n {r['n']})")
        print(f"{'encoders':20} " + ", ".join(f"{k} {v}" for k, v in summary["encoders"].items()))
    return 0


def add_model_commands(sub: Any) -> None:
    """``classifier train`` and ``eval`` on the top-level subparsers ``sub``."""
    cl = sub.add_parser("classifier", help="message classifier").add_subparsers(dest="cl_command", required=True)
    k = cl.add_parser("train", help="train from a CSV of text,label")
    k.add_argument("file")
    k.set_defaults(func=cmd_classifier_train)

    e = sub.add_parser("eval", help="route a test file (text,expected) and score it; changes no state")
    e.add_argument("file")
    e.add_argument("--json", action="store_true")
    e.add_argument("--predictions", help="write text,expected,decision,top_case,options per message to this CSV "
                   "(decision: a case id, escalate or clarify; options: the offered case ids, |-separated)")
    e.add_argument("--latency-sample", type=int, default=None, metavar="N",
                   help="time N messages one at a time for p50_ms/p99_ms (default 200; all are scored, in batches)")
    e.add_argument("--html", help="write a self-contained HTML page (retrieval, sweep, reliability, confusion) "
                                  "to this file")
    e.set_defaults(func=cmd_eval)
