"""What the benchmark scripts share: writing their CSV files and running the ``aftercare`` CLI on them,
timed, in a fresh temporary data directory."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Step:
    """One ``aftercare`` command: its wall time goes under ``key``; with ``output`` set, its standard
    output lines go there too (otherwise the output is discarded)."""

    key: str
    args: list[str]
    output: str | None = None


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def in_folder(out: Path | None, prefix: str, main: Callable[[Path], int]) -> int:
    """``main(out)``, or ``main`` of a temporary folder (named with ``prefix``) when ``out`` is None."""
    if out is None:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            return main(Path(tmp))
    return main(out)


def write_files(out: Path, cases: Sequence[Sequence[str]], test: Sequence[Sequence[str]],
                examples: Sequence[Sequence[str]] | None = None) -> Path:
    """``out`` (resolved, created) with ``cases.csv`` (case_id, question, answer, tags), ``test.csv``
    (text, expected) and, when given, ``examples.csv`` (text, label): the files ``aftercare kb import``,
    ``eval`` and ``classifier train`` read."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "cases.csv", ("case_id", "question", "answer", "tags"), cases)
    if examples is not None:
        write_csv(out / "examples.csv", ("text", "label"), examples)
    write_csv(out / "test.csv", ("text", "expected"), test)
    return out


def kb_steps(out: Path, *, train: bool = True) -> list[Step]:
    """``kb import OUT/cases.csv`` and (``train``) ``classifier train OUT/examples.csv``, timed."""
    steps = [Step("import_s", ["kb", "import", str(out / "cases.csv")])]
    if train:
        steps.append(Step("train_s", ["classifier", "train", str(out / "examples.csv")]))
    return steps


def read_predictions(out: Path) -> list[dict[str, str]]:
    """The rows of ``OUT/predictions.csv`` written by ``eval --predictions``."""
    with open(out / "predictions.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_cli(out: Path, steps: Sequence[Step], *, predictions: bool, prefix: str) -> dict[str, object]:
    """Run ``steps`` and then ``eval OUT/test.csv --json`` in a fresh data dir (named with ``prefix``)
    with this repository's ``aftercare`` (``python -m bot.cli``); return the wall times followed by the
    evaluation JSON.

    The commands run in the repository root, so its code and config.yaml apply (unless AFTERCARE_CONFIG
    is set).
    """
    exe = [sys.executable, "-m", "bot.cli"]
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix=prefix) as data_dir:
        env = {**os.environ, "AFTERCARE_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1"}
        for step in steps:
            t0 = time.perf_counter()
            proc = subprocess.run([*exe, *step.args], env=env, cwd=REPO, check=True, text=True,
                                  stdout=subprocess.PIPE if step.output else subprocess.DEVNULL)
            result[step.key] = round(time.perf_counter() - t0, 1)
            if step.output:
                result[step.output] = proc.stdout.strip().splitlines()
        cmd = [*exe, "eval", str(out / "test.csv"), "--json"]
        if predictions:
            cmd += ["--predictions", str(out / "predictions.csv")]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
        result["eval_s"] = round(time.perf_counter() - t0, 1)
        result.update(json.loads(proc.stdout))
    return result
