"""``aftercare eval``: route held-back messages and score the decisions. Changes no state."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.app import Aftercare
from bot.errors import EvalFileError

ESCALATE = "escalate"
CLARIFY = "clarify"  # the decision of a message answered with "did you mean...?" and its options
# messages timed one at a time for the latency figures (the rest are encoded in batches)
TIMED_SAMPLE = 200
SWEEP = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # vote thresholds 0.30 .. 0.95


@dataclass(frozen=True)
class Row:
    """One routed message. ``case`` is the case the vote favoured (None when a label won or the
    case is too far to answer at any threshold), ``share`` its vote share, ``forced`` whether it was
    answered whatever the threshold (the message is nearly one of the case's phrasings). ``hits`` are
    the case ids the decision retrieved, best first (``Decision.hits``). ``ms`` is the time to encode and
    decide the message alone, for the messages in the latency sample (None for the others). ``decision``
    is a case id, ``escalate`` or ``clarify`` (then ``options`` are the case ids offered)."""

    text: str
    expected: str
    decision: str
    ms: float | None = None  # encode + decide alone, for the sampled messages only
    case: str | None = None
    share: float = 0.0
    forced: bool = False
    hits: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # the cases offered when ``decision`` is ``clarify``


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


def run_eval(ac: Aftercare, rows: list[tuple[str, str]], *,
             timed: int = TIMED_SAMPLE) -> tuple[dict[str, Any], list[Row]]:
    """Route every message of ``rows`` (``(text, expected)``) and score the decisions.

    The messages are encoded in the embedder's batches (the same vectors as one at a time, up to
    float rounding) and each is decided as the pipeline decides it. Latency (``p50_ms``, ``p99_ms``) is
    measured on a fixed, evenly spaced sample of ``timed`` messages (all of them when fewer), each
    encoded alone and decided, as a customer's message is; ``latency_sample`` says how many."""
    kb_cases = set(ac.kb.index().case_of.values())  # the published cases retrieval can find
    texts = [text for text, _ in rows]
    # a language-routed pair decides each message with the encoder and router of its language
    stacks = [ac.stack_for(text) for text in texts]
    by_stack: dict[int, list[int]] = {}
    for i, st in enumerate(stacks):
        by_stack.setdefault(id(st), []).append(i)
    vectors: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(rows)
    for members in by_stack.values():
        st = stacks[members[0]]
        st.router().calibration()  # calibrate before timing
        head = getattr(st.router(), "head", None)  # and fit (or load) a case head
        if head is not None:
            head()
        for i, v in zip(members, st.embedder.encode([texts[i] for i in members]), strict=True):  # in batches
            vectors[i] = v
    sample = set(np.linspace(0, len(rows) - 1, num=min(timed, len(rows)), dtype=int).tolist()) if rows else set()
    out: list[Row] = []
    steps = ac.pipeline.steps
    for i, ((text, expected), vec) in enumerate(zip(rows, vectors, strict=True)):
        ms: float | None = None
        router = stacks[i].router()
        if i in sample:
            t0 = time.perf_counter()
            steps.decide(text)
            ms = (time.perf_counter() - t0) * 1000
        d = steps.decide_with_vector(text, vec)[0]  # as a customer's message is: openings, refunds, off-topic
        decision = d.case_id if d.action == "answer" and d.case_id else CLARIFY if d.action == "clarify" \
            else ESCALATE
        # Would a lower threshold have answered it? Only when the vote share was what held it back.
        answerable = d.case_id is not None and (
            d.action == "answer" or (d.confidence < d.threshold and d.score >= router.settings.min_score))
        out.append(Row(text=text, expected=expected, decision=decision, ms=ms,
                       case=d.case_id if answerable else None, share=float(d.confidence),
                       forced=d.action == "answer" and d.confidence < d.threshold,
                       hits=tuple(h.case_id for h in d.hits), options=tuple(d.options)))
    main = max(by_stack.values(), key=len) if by_stack else []  # the stack that decided most messages
    threshold = (stacks[main[0]] if main else ac).router().calibration().threshold
    summary = summarize(out, threshold=threshold)
    encoders = Counter(st.embedder.name for st in stacks)
    return {**summary, **diagnostics(out, kb_cases=kb_cases), "encoders": dict(encoders)}, out


def _answered(r: Row) -> bool:
    return r.decision not in (ESCALATE, CLARIFY)


def summarize(rows: list[Row], *, threshold: float | None = None) -> dict[str, float | int]:
    """The headline figures. First turn: ``routing_accuracy`` (answered with the right case or rightly
    escalated, over ``n``), ``wrong_answer_rate`` (wrong answers over answers). A clarification is
    neither an answer nor an escalation: ``clarified`` counts them, ``clarified_correct`` those offering
    the right case (offering options to a message that should be escalated is a miss), and
    ``resolution_rate`` = (right first-turn decisions + clarifications offering the right case) / n."""
    n = len(rows)
    ans_ok = sum(1 for r in rows if _answered(r) and r.decision == r.expected)
    ans_bad = sum(1 for r in rows if _answered(r) and r.decision != r.expected)
    esc_ok = sum(1 for r in rows if r.decision == ESCALATE and r.expected == ESCALATE)
    esc_bad = sum(1 for r in rows if r.decision == ESCALATE and r.expected != ESCALATE)
    clarified = [r for r in rows if r.decision == CLARIFY]
    clar_ok = sum(1 for r in clarified if r.expected != ESCALATE and r.expected in r.options)
    answers = ans_ok + ans_bad
    timed = [r.ms for r in rows if r.ms is not None]
    ms = np.array(timed) if timed else np.zeros(1)
    result: dict[str, float | int] = {
        "n": n,
        "routing_accuracy": round((ans_ok + esc_ok) / n, 4) if n else 0.0,
        "answered_correct": ans_ok,
        "answered_wrong": ans_bad,
        "escalated_correct": esc_ok,
        "escalated_wrong": esc_bad,
        "wrong_answer_rate": round(ans_bad / answers, 4) if answers else 0.0,
        "answer_rate": round(answers / n, 4) if n else 0.0,
        "clarified": len(clarified),
        "clarified_correct": clar_ok,
        "resolution_rate": round((ans_ok + esc_ok + clar_ok) / n, 4) if n else 0.0,
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "latency_sample": len(timed),
    }
    if threshold is not None:
        result["vote_threshold"] = threshold
    return result


def _decision_at(r: Row, t: float) -> str:
    return r.case if r.case is not None and (r.forced or r.share >= t) else ESCALATE


def confusion(rows: list[Row], *, top: int = 20) -> dict[str, Any]:
    """Which cases are taken for which: the most frequent expected -> decision mistakes (a clarification
    offering the expected case is not one; one without it is ``clarify_missed``)."""
    pairs = Counter((r.expected, r.decision) for r in rows
                    if r.expected != r.decision and not (r.decision == CLARIFY and r.expected in r.options))
    kinds = Counter(
        "clarify_missed" if r.decision == CLARIFY else
        "case_to_escalate" if r.decision == ESCALATE else "escalate_to_case" if r.expected == ESCALATE
        else "case_to_other_case"
        for r in rows if r.expected != r.decision and not (r.decision == CLARIFY and r.expected in r.options)
    )
    return {
        "case_to_escalate": kinds["case_to_escalate"],
        "escalate_to_case": kinds["escalate_to_case"],
        "case_to_other_case": kinds["case_to_other_case"],
        "clarify_missed": kinds["clarify_missed"],
        "top_pairs": [{"expected": e, "decision": d, "count": c} for (e, d), c in
                      sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
    }


def sweep(rows: list[Row], thresholds: Sequence[float] = SWEEP) -> list[dict[str, float]]:
    """Routing accuracy, wrong-answer rate and answer rate had the vote threshold been ``t``,
    recomputed from each message's recorded vote (the model is not run again)."""
    out = []
    n = len(rows) or 1
    for t in thresholds:
        decisions = [_decision_at(r, t) for r in rows]
        answered = [(r, d) for r, d in zip(rows, decisions, strict=True) if d != ESCALATE]
        wrong = sum(1 for r, d in answered if d != r.expected)
        right = sum(1 for r, d in zip(rows, decisions, strict=True) if d == r.expected)
        out.append({"threshold": round(float(t), 2), "routing_accuracy": round(right / n, 4),
                    "wrong_answer_rate": round(wrong / len(answered), 4) if answered else 0.0,
                    "answer_rate": round(len(answered) / n, 4)})
    return out


def calibration(rows: list[Row], *, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error of the vote share over the answered messages, and the reliability
    table (per confidence bin: messages, mean confidence, share answered correctly)."""
    answered = [r for r in rows if _answered(r)]
    table = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [r for r in answered if lo <= r.share < hi or (b == bins - 1 and r.share >= hi)]
        if not members:
            table.append({"lo": lo, "hi": hi, "n": 0, "confidence": None, "accuracy": None})
            continue
        conf = float(np.mean([r.share for r in members]))
        acc = float(np.mean([r.decision == r.expected for r in members]))
        ece += len(members) / len(answered) * abs(acc - conf)
        table.append({"lo": lo, "hi": hi, "n": len(members), "confidence": round(conf, 4),
                      "accuracy": round(acc, 4)})
    return {"ece": round(ece, 4), "answered": len(answered), "bins": table}


def retrieval(rows: list[Row], kb_cases: Collection[str]) -> dict[str, float | int]:
    """How well the search ranks the expected case, whatever the router then decided: over the messages
    whose ``expected`` is a case of the knowledge base (not ``escalate``), the share whose first hit is
    that case (``at_1``), the share with it among the first three (``at_3``) and the mean reciprocal
    rank over the hits a decision shows (``mrr``, 0 when the case is not among them)."""
    scored = [r for r in rows if r.expected != ESCALATE and r.expected in kb_cases]
    ranks = [r.hits.index(r.expected) + 1 if r.expected in r.hits else None for r in scored]
    n = len(scored)
    return {
        "at_1": round(sum(1 for k in ranks if k == 1) / n, 4) if n else 0.0,
        "at_3": round(sum(1 for k in ranks if k is not None and k <= 3) / n, 4) if n else 0.0,
        "mrr": round(sum(1 / k for k in ranks if k is not None) / n, 4) if n else 0.0,
        "n": n,
    }


def clarifications(rows: list[Row], *, top: int = 50) -> list[dict[str, Any]]:
    """The first ``top`` messages answered with "did you mean...?": text, expected, the options offered
    and whether the expected case was among them (never for a message that should be escalated)."""
    return [{"text": r.text, "expected": r.expected, "options": list(r.options),
             "correct": r.expected != ESCALATE and r.expected in r.options}
            for r in rows if r.decision == CLARIFY][:top]


def diagnostics(rows: list[Row], *, kb_cases: Collection[str] = ()) -> dict[str, Any]:
    """The desk's view: confusion summary, threshold sweep, calibration, retrieval quality, and the
    clarifications offered."""
    return {"confusion": confusion(rows), "sweep": sweep(rows), "calibration": calibration(rows),
            "retrieval": retrieval(rows, kb_cases), "clarifications": clarifications(rows)}


def write_predictions(rows: list[Row], path: Path) -> None:
    """CSV ``text,expected,decision,top_case,options``: ``decision`` is a case id, ``escalate`` or
    ``clarify``; ``options`` the offered case ids joined by ``|`` (empty unless clarify)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "expected", "decision", "top_case", "options"])
        for r in rows:
            w.writerow([r.text, r.expected, r.decision, r.hits[0] if r.hits else "", "|".join(r.options)])
