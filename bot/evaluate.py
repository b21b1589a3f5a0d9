"""``aftercare eval``: route held-back messages and score the decisions. Changes no state."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.app import Aftercare

ESCALATE = "escalate"


class EvalFileError(Exception):
    pass


@dataclass(frozen=True)
class Row:
    text: str
    expected: str
    decision: str
    ms: float


def read_test_file(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise EvalFileError(f"{path}: cannot read as UTF-8 text: {e}") from e
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if "text" not in header or "expected" not in header:
        raise EvalFileError(f"{path}, line 1: header must name the columns text and expected")
    ti, ei = header.index("text"), header.index("expected")
    rows = []
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise EvalFileError(f"{path}, line {reader.line_num}: expected {len(header)} fields, found {len(row)}")
        rows.append((row[ti], row[ei].strip()))
    if not rows:
        raise EvalFileError(f"{path}: no rows")
    return rows


def run_eval(ac: Aftercare, rows: list[tuple[str, str]]) -> tuple[dict[str, float | int], list[Row]]:
    router = ac.router()
    router.calibration()  # calibrate before timing
    out: list[Row] = []
    for text, expected in rows:
        t0 = time.perf_counter()
        vec = ac.embedder.encode([text])[0]
        d = router.decide(text, vec)
        ms = (time.perf_counter() - t0) * 1000
        decision = d.case_id if d.action == "answer" and d.case_id else ESCALATE
        out.append(Row(text=text, expected=expected, decision=decision, ms=ms))
    return summarize(out, threshold=router.calibration().threshold), out


def summarize(rows: list[Row], *, threshold: float | None = None) -> dict[str, float | int]:
    n = len(rows)
    ans_ok = sum(1 for r in rows if r.decision != ESCALATE and r.decision == r.expected)
    ans_bad = sum(1 for r in rows if r.decision != ESCALATE and r.decision != r.expected)
    esc_ok = sum(1 for r in rows if r.decision == ESCALATE and r.expected == ESCALATE)
    esc_bad = sum(1 for r in rows if r.decision == ESCALATE and r.expected != ESCALATE)
    answers = ans_ok + ans_bad
    ms = np.array([r.ms for r in rows]) if rows else np.zeros(1)
    result: dict[str, float | int] = {
        "n": n,
        "routing_accuracy": round((ans_ok + esc_ok) / n, 4) if n else 0.0,
        "answered_correct": ans_ok,
        "answered_wrong": ans_bad,
        "escalated_correct": esc_ok,
        "escalated_wrong": esc_bad,
        "wrong_answer_rate": round(ans_bad / answers, 4) if answers else 0.0,
        "answer_rate": round(answers / n, 4) if n else 0.0,
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }
    if threshold is not None:
        result["vote_threshold"] = threshold
    return result


def write_predictions(rows: list[Row], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "expected", "decision"])
        for r in rows:
            w.writerow([r.text, r.expected, r.decision])
