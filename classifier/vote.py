"""The neighbour vote and its calibration: who the nearest phrasings and examples vote for, and the
lowest vote share at which answering reaches a precision goal with confidence (Wilson 1927 lower bound,
one-sided 95%).

Keys of a vote: ``case:<id>`` (a knowledge-base case), ``label:<name>`` (training examples of a label that
does not answer: fault, human, greeting...), ``uncovered:<label>`` (question examples no phrasing covers),
``unseen:`` (the expected key of a leave-case-out vote: no case of the KB is right for it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

log = logging.getLogger(__name__)

CASE = "case:"
LABEL = "label:"
# training examples of an answering label (questions) that no KB phrasing covers vote to escalate
UNCOVERED = "uncovered:"
# the expected key of a leave-case-out vote: no case of the KB is right for it
UNSEEN = "unseen:"
# One-sided z of the calibration's confidence bound: the vote threshold is the lowest at which the
# Wilson lower bound of leave-one-out precision (not the point estimate) reaches target_precision.
CALIBRATION_Z = 1.645
NEVER = 2.0  # a share no vote reaches: the clarify threshold when clarifying cannot reach its goal


@dataclass(frozen=True)
class Calibration:
    """The vote threshold of an answer with its leave-one-out precision and coverage over ``points``
    votes for a case; ``clarify_threshold``: the combined vote share 2-3 cases need to be offered
    ("did you mean...?") to a message that is not answered, with ``clarify_precision`` (the right case
    among the options) and ``clarify_coverage`` (share of the unanswered points offered options)
    over ``clarify_points`` (1.0 and nan when never offered). ``scope_floor``: the similarity to its
    nearest phrasing a message needs to be answered or offered options at all, from the KB's own spread
    (see :meth:`Router._scope_floor`)."""

    threshold: float
    precision: float
    coverage: float
    points: int
    clarify_threshold: float = 1.0
    clarify_precision: float = float("nan")
    clarify_coverage: float = 0.0
    clarify_points: int = 0
    scope_floor: float = 0.0  # similarity to the nearest phrasing under which a message is out of scope
    # per case: the floor shifted by how near that case's own phrasings are to each other (scope "case")
    case_floors: dict[str, float] = field(default_factory=dict)

    def floor_of(self, case_id: str | None) -> float:
        """The out-of-scope floor for a message whose vote leads with ``case_id``."""
        return self.case_floors.get(case_id, self.scope_floor) if case_id is not None else self.scope_floor


@dataclass(frozen=True)
class Vote:
    winner: str
    share: float
    best_case: str | None
    best_case_score: float
    ranking: tuple[str, ...] = ()  # every key that got a vote, by total weight
    shares: tuple[float, ...] = ()  # the vote share of each key of ``ranking``

    def options(self, *, max_options: int, min_share: float) -> tuple[tuple[str, ...], float]:
        """The cases a "did you mean...?" would offer (case ids, most votes first) and their combined
        share: the leading keys while they are cases with at least ``min_share`` each, at most
        ``max_options``; none unless the winner is a case and at least two qualify."""
        picked: list[str] = []
        total = 0.0
        for key, share in zip(self.ranking, self.shares, strict=True):
            if len(picked) == max_options or not key.startswith(CASE) or share < min_share:
                break
            picked.append(key[len(CASE):])
            total += share
        return (tuple(picked), total) if len(picked) >= 2 else ((), 0.0)


def _precision_lower_bound(p: float, n: int, z: float = CALIBRATION_Z) -> float:
    """Wilson lower confidence bound of a precision ``p`` measured on ``n`` answers."""
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * float(np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)))
    return (centre - spread) / (1 + z2 / n)


def _vote(cands: list[tuple[float, str]], k: int, temperature: float) -> Vote | None:
    cands = sorted(cands, key=lambda x: -x[0])[:k]
    if not cands:
        return None
    sims = np.array([c[0] for c in cands], dtype=np.float64)
    w = np.exp((sims - sims.max()) / temperature)
    totals: dict[str, float] = {}
    for wi, (_, key) in zip(w, cands, strict=True):
        totals[key] = totals.get(key, 0.0) + float(wi)
    ranking = tuple(sorted(totals, key=lambda kk: -totals[kk]))
    winner = ranking[0]
    best_case = next((key for _, key in cands if key.startswith(CASE)), None)
    best_case_score = next((s for s, key in cands if key == winner), 0.0) if winner.startswith(CASE) else 0.0
    total = float(w.sum())
    return Vote(winner=winner, share=totals[winner] / total, best_case=best_case,
                best_case_score=float(best_case_score), ranking=ranking,
                shares=tuple(totals[kk] / total for kk in ranking))


def two_stage_vote(cands: list[tuple[float, str]], k: int, temperature: float, answer_key: str) -> Vote | None:
    """Two stages, so that thousands of examples of the other labels do not outvote a case with few
    phrasings. Stage one: the labelled examples among ``cands`` (keys ``label:<name>``, the answer label's
    examples under ``answer_key``) and the KB's phrasings (for ``answer_key``) vote on the label. Stage two:
    the KB's phrasings (``case:<id>``) and the question examples no phrasing covers (``uncovered:<label>``,
    their similarity already lowered by their weight) vote on the case. A label other than the answer label
    that wins stage one is the vote (with its share); otherwise what wins stage two (a case, or
    ``uncovered:``, a question the KB does not cover) is, with the share ``q * c``: the answer label's
    share of stage one times the winner's of stage two (every key of the ranking scaled alike), so that one
    threshold is calibrated on it as on the single vote. None with no phrasing or no candidate."""
    cases = [c for c in cands if not c[1].startswith(LABEL)]
    # a KB phrasing is a question too: stage one hears it for the answer label, unless it is one of the
    # answer label's examples already (the same text: the same similarity)
    examples = [c for c in cands if c[1].startswith(LABEL)]
    asked = {round(sim, 5) for sim, key in examples if key == answer_key}
    labelled = examples + [(sim, answer_key) for sim, key in cands
                           if key.startswith(CASE) and round(sim, 5) not in asked]
    first = _vote(labelled, k, temperature)
    second = _vote(cases, k, temperature)
    if first is not None and first.winner != answer_key:
        return first if second is None else replace(first, best_case=second.best_case)
    if second is None or first is None:
        return None  # nothing to answer from
    q = first.share
    return replace(second, share=q * second.share, shares=tuple(q * x for x in second.shares))


def choose_threshold(shares: np.ndarray, correct: np.ndarray, *, target: float, ceiling: float) -> Calibration:
    """The lowest vote share (0.30 .. ``ceiling``) at which answering reaches ``target`` precision on
    these points (vote share of the winning case, whether it was the right case) with confidence (Wilson
    lower bound); too few points to show that fall back to the point estimate, then to the ceiling."""
    if len(shares) == 0:
        return Calibration(threshold=0.5, precision=float("nan"), coverage=0.0, points=0)
    chosen, prec, cov = ceiling, float("nan"), 0.0
    for confident in (True, False):
        for t in np.arange(0.30, ceiling + 0.001, 0.01):
            mask = shares >= t
            n = int(mask.sum())
            if n == 0:
                break
            p = float(correct[mask].mean())
            if (_precision_lower_bound(p, n) if confident else p) >= target:
                chosen, prec, cov = float(t), p, float(mask.mean())
                break
        if not np.isnan(prec):
            if not confident:
                log.info("too few calibration points to show precision %.2f with confidence; "
                            "threshold %.2f reaches it only on average", target, chosen)
            break
    if np.isnan(prec):
        mask = shares >= chosen
        cov = float(mask.mean())
        if mask.any():
            prec = float(correct[mask].mean())
            log.info("the knowledge base is too thin to reach precision %.2f by calibration; using the "
                        "ceiling %.2f (estimated precision %.3f on %d of %d points)", target, chosen, prec,
                        int(mask.sum()), len(shares))
        else:  # no point at the ceiling: no precision to estimate (it would be 0/0)
            log.info("the knowledge base is too thin to reach precision %.2f by calibration; using the "
                        "ceiling %.2f, which none of the %d calibration points reaches (highest share %.3f)",
                        target, chosen, len(shares), float(shares.max()))
    if np.isnan(prec):
        log.debug("calibrated vote threshold %.2f (no calibration point at or above it, %d points)",
                 chosen, len(shares))
    else:
        log.debug("calibrated vote threshold %.2f (precision %.3f, coverage %.3f, %d points)",
                 chosen, prec, cov, len(shares))
    return Calibration(threshold=round(chosen, 2), precision=prec, coverage=cov, points=len(shares))


@dataclass(frozen=True)
class RouterSettings:
    top_k: int = 10
    temperature: float = 0.05
    vote_threshold: float | None = None  # None: calibrate
    min_score: float = 0.40
    target_precision: float = 0.95
    max_vote_threshold: float = 0.9
    exact_score: float = 0.92
    calibration_sample: int = 3000
    human_label: str = "human"
    uncovered_similarity: float = 0.8
    min_vote_threshold: float = 0.0  # floor of the calibrated threshold (a tuned encoder's held-out one)
    reply_min_vote: float = 0.6  # a reply label's template needs this vote share; under it: UNSURE
    human_min_vote: float = 0.5  # the human label needs this vote share (or head probability) to win
    languages: tuple[str, ...] = ()  # what the encoder reads; a message clearly in another goes to a person
    # "did you mean...?": at most this many cases offered, each with at least this vote share; together
    # their share must clear a threshold calibrated like the answer's (None: calibrate; 0 options: never)
    clarify_max_options: int = 3
    clarify_min_share: float = 0.1
    clarify_threshold: float | None = None
    clarify_precision: float = 0.9  # calibration goal: share of clarifications offering the right case
    # out of scope: the similarity floor a message's nearest phrasing must reach is set so that this share
    # of the KB's own phrasings (each left out, to its nearest sibling in its case) stays above it
    scope_keep: float = 0.975
    # "case": the floor is set per case, relative to how near its own phrasings are to each other
    # (Calibrator._case_floors); "kb": one floor for the whole KB
    scope_by: str = "kb"
    scope_shrink: float = 5.0  # phrasings at the KB-wide median that a case's own median is shrunk with
    # misspelt words read as the KB's own before the vote (:mod:`classifier.spelling`)
    spelling: bool = False
    # share of the leave-case-out votes (questions the KB has no case for) mixed into the answer's calibration
    unseen_share: float = 0.0
    # two stages (see :func:`two_stage_vote`): question or not from every labelled example, then the case
    # among the KB's phrasings only
    two_stage: bool = False
