"""The decision: answer with a solved case, reply with a template, or escalate to a person.

Neighbours vote. The message's nearest knowledge-base phrasings (FAISS) and nearest training
examples of labels that do not answer (fault, human, greeting...) are merged; the top ``k``
vote with softmax weights ``exp(sim / T)``. A case wins an answer only when its vote share clears
a threshold calibrated from the data (leave-one-out over the KB's phrasings and the examples:
the lowest share at which a one-sided 95% Wilson lower bound of precision reaches the target, so
that the target holds on new messages rather than just on average; a thin KB falls back to the
point estimate, then to a ceiling) and its best phrasing is similar enough in absolute terms.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from classifier.impact import ImpactAssessor
from classifier.labels import LabelSpec, raise_priority
from classifier.language import guess_language, language_name
from classifier.model import TrainedModel
from classifier.specifics import may_ask_for_person
from kb.errors import KBError
from kb.index import PhrasingIndex
from kb.service import Hit, KnowledgeBase

log = logging.getLogger(__name__)

CASE = "case:"
LABEL = "label:"
# training examples of an answering label (questions) that no KB phrasing covers vote to escalate
UNCOVERED = "uncovered:"
# the expected key of a leave-case-out vote: no case of the KB is right for it
UNSEEN = "unseen:"
# phrasing neighbours searched for the hits a decision shows (as KnowledgeBase.search_vector does)
HIT_NEIGHBOURS = 20
# Decision label of a reply whose courtesy vote is weak: the bot asks the customer to say more
UNSURE = "unsure"
# One-sided z of the calibration's confidence bound: the vote threshold is the lowest at which the
# Wilson lower bound of leave-one-out precision (not the point estimate) reaches target_precision.
CALIBRATION_Z = 1.645
NEVER = 2.0  # a share no vote reaches: the clarify threshold when clarifying cannot reach its goal


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
    # share of the leave-case-out votes (questions the KB has no case for) mixed into the answer's calibration
    unseen_share: float = 0.0


class Why(StrEnum):
    """Why the router decided as it did, for code to branch on; ``Decision.reason`` says it in words for
    people (logs, the ticket, the console) and is never compared."""

    MATCH = "match"  # a case's vote share clears the threshold and its best phrasing is near enough
    NEAR_PHRASING = "near_phrasing"  # under the threshold, but the message is nearly one of the case's phrasings
    UNSURE = "unsure"  # a case leads the vote with a share under the threshold
    TORN = "torn"  # 2-3 cases share the vote, together surely right: "did you mean...?" (action clarify)
    PICKED = "picked"  # the customer picked this case among those a "did you mean...?" offered
    TOO_FAR = "too_far"  # the leading case's best phrasing is under min_score
    OUT_OF_SCOPE = "out_of_scope"  # farther from every phrasing than the KB's own phrasings are from their case
    LABEL = "label"  # the nearest examples are of a label that does not answer (fault, thanks...)
    WEAK_REPLY = "weak_reply"  # a courtesy label leads weakly: the customer is asked to say more
    ASKS_PERSON = "asks_person"  # the customer asks for a person
    UNCOVERED = "uncovered"  # a question the knowledge base does not cover yet
    NO_KNOWLEDGE = "no_knowledge"  # nothing to answer from yet (empty index, no examples)
    LANGUAGE = "language"  # written in a language the encoder does not read
    ERROR = "error"  # deciding failed; the message is escalated


@dataclass(frozen=True)
class Decision:
    """What the bot does with one message. ``action`` is ``answer`` (with ``case_id``), ``reply`` (a
    template for ``label``), ``escalate`` (a ticket) or ``clarify``: "did you mean...?" with ``options``,
    the 2-3 case ids offered as buttons, most likely first (empty for the other actions)."""

    action: str  # answer | escalate | reply | clarify
    label: str
    confidence: float
    reason: str  # in words, for people
    why: Why = Why.MATCH  # the kind of reason, for code
    priority: str = "normal"
    impact: str = "single"
    urgency: str = "normal"
    case_id: str | None = None
    score: float = 0.0
    threshold: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    label_probs: dict[str, float] = field(default_factory=dict)
    options: tuple[str, ...] = ()


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
                log.warning("too few calibration points to show precision %.2f with confidence; "
                            "threshold %.2f reaches it only on average", target, chosen)
            break
    if np.isnan(prec):
        mask = shares >= chosen
        prec, cov = (float(correct[mask].mean()) if mask.any() else float("nan")), float(mask.mean())
        log.warning("the knowledge base is too thin to reach precision %.2f by calibration; using the "
                    "ceiling %.2f (estimated precision %.3f)", target, chosen, prec)
    log.info("calibrated vote threshold %.2f (precision %.3f, coverage %.3f, %d points)",
             chosen, prec, cov, len(shares))
    return Calibration(threshold=round(chosen, 2), precision=prec, coverage=cov, points=len(shares))


class Router:
    def __init__(self, kb: KnowledgeBase, model: TrainedModel, labels: list[LabelSpec],
                 settings: RouterSettings, *, impact: ImpactAssessor | None = None) -> None:
        self.kb = kb
        self.model = model
        self.labels = {spec.name: spec for spec in labels}
        self.settings = settings
        self.impact = impact or ImpactAssessor()
        answer_labels = [s.name for s in labels if s.action == "answer"]
        self.answer_label = answer_labels[0] if answer_labels else "question"
        voting = np.array([self.labels[lab].action != "answer" for lab in model.labels], dtype=bool)
        dim = model.vectors.shape[1] if model.vectors.ndim == 2 else kb.embedder.dim
        self._base_vectors = model.vectors[voting] if len(model.labels) else np.zeros((0, dim), np.float32)
        self._base_keys = [LABEL + lab for lab, v in zip(model.labels, voting, strict=True) if v]
        self._q_vectors = model.vectors[~voting] if len(model.labels) else np.zeros((0, dim), np.float32)
        self._q_labels = [lab for lab, v in zip(model.labels, voting, strict=True) if not v]
        self._ex_vectors = self._base_vectors
        self._ex_keys = list(self._base_keys)
        self.uncovered_count = 0
        self._calibration: Calibration | None = None
        self._calibrated_at: int | None = None
        self._lock = threading.Lock()

    # -- neighbours -------------------------------------------------------------------------------

    def _candidates(self, vectors: np.ndarray, k: int, *, skip_phrasing: list[int] | None = None,
                    skip_example: list[int] | None = None, idx: PhrasingIndex | None = None,
                    searched: tuple[np.ndarray, np.ndarray] | None = None) -> list[list[tuple[float, str]]]:
        """Neighbours of each vector as (similarity, key); ``searched`` reuses a FAISS search of at
        least k + 1 neighbours made by the caller on ``idx``."""
        idx = idx if idx is not None else self.kb.index()
        n = vectors.shape[0]
        out: list[list[tuple[float, str]]] = [[] for _ in range(n)]
        if len(idx):
            scores, ids = searched if searched is not None else idx.search(vectors, k + 1)
            for i in range(n):
                for sc, pid in zip(scores[i], ids[i], strict=True):
                    if pid < 0 or (skip_phrasing is not None and pid == skip_phrasing[i]):
                        continue
                    out[i].append((float(sc), CASE + idx.case_of[int(pid)]))
        if self._ex_keys:
            sims = vectors @ self._ex_vectors.T
            kk = min(k + 1, sims.shape[1])
            top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            for i in range(n):
                for j in top[i]:
                    if skip_example is not None and j == skip_example[i]:
                        continue
                    out[i].append((float(sims[i, j]), self._ex_keys[j]))
        return out

    # -- calibration ------------------------------------------------------------------------------

    def calibration(self, *, revision: int | None = None) -> Calibration:
        """The vote threshold for the KB at ``revision`` (read from the database when not given)."""
        rev = self.kb.revision() if revision is None else revision
        with self._lock:
            if self._calibration is None or self._calibrated_at != rev:
                self._refresh_voters()
                self._calibration = self._calibrate()
                self._calibrated_at = rev
            return self._calibration

    def _refresh_voters(self) -> None:
        """Question examples that no KB phrasing covers (nearest phrasing under
        ``uncovered_similarity``) join the voters, for escalation: the classifier knows customers
        ask them, the knowledge base has no answer."""
        limit = self.settings.uncovered_similarity
        idx = self.kb.index()
        vecs, keys = self._base_vectors, list(self._base_keys)
        self.uncovered_count = 0
        if limit > 0 and len(self._q_labels):
            if len(idx):
                scores, _ = idx.search(self._q_vectors, 1)
                nearest = scores[:, 0]
            else:
                nearest = np.zeros(len(self._q_labels), dtype=np.float32)
            mask = nearest < limit
            if mask.any():
                vecs = np.vstack([vecs, self._q_vectors[mask]])
                keys += [UNCOVERED + lab for lab, m in zip(self._q_labels, mask, strict=True) if m]
                self.uncovered_count = int(mask.sum())
        self._ex_vectors, self._ex_keys = np.ascontiguousarray(vecs, dtype=np.float32), keys

    def _calibrate(self) -> Calibration:
        s = self.settings
        if s.vote_threshold is not None:
            return Calibration(threshold=s.vote_threshold, precision=float("nan"), coverage=float("nan"), points=0)
        ids, vecs = self.kb.index().vectors()
        case_of = self.kb.index().case_of
        rng = np.random.default_rng(0)
        n_ph, n_ex = len(ids), len(self._ex_keys)
        total = n_ph + n_ex
        if n_ph == 0:
            return Calibration(threshold=1.0, precision=float("nan"), coverage=0.0, points=0)
        pick = rng.permutation(total)[: s.calibration_sample]
        ph = [int(i) for i in pick if i < n_ph]
        ex = [int(i) - n_ph for i in pick if i >= n_ph]
        points: list[tuple[float, bool]] = []  # (share, correct) for every point whose winner is a case
        votes: list[tuple[Vote, str]] = []  # every vote with its expected key, for the clarify threshold
        for chunk, is_ph in ((ph, True), (ex, False)):
            for start in range(0, len(chunk), 512):
                part = chunk[start : start + 512]
                if not part:
                    continue
                if is_ph:
                    q = vecs[part]
                    cands = self._candidates(q, s.top_k, skip_phrasing=[int(ids[i]) for i in part])
                    expected = [CASE + case_of[int(ids[i])] for i in part]
                else:
                    q = self._ex_vectors[part]
                    cands = self._candidates(q, s.top_k, skip_example=part)
                    expected = [self._ex_keys[i] for i in part]
                for c, exp in zip(cands, expected, strict=True):
                    v = _vote(c, s.top_k, s.temperature)
                    if v is not None and v.winner.startswith(CASE):
                        points.append((v.share, v.winner == exp))
                    if v is not None:
                        votes.append((v, exp))
        if not points:
            return Calibration(threshold=0.5, precision=float("nan"), coverage=0.0, points=0)
        cal = choose_threshold(np.array([p[0] for p in points]), np.array([p[1] for p in points]),
                               target=s.target_precision, ceiling=s.max_vote_threshold)
        if cal.threshold < s.min_vote_threshold:
            # The encoder was tuned on these very phrasings: their leave-one-out votes are surer than a new
            # message's. The tune's held-out slice set the floor.
            log.info("vote threshold %.2f from leave-one-out raised to the tuned encoder's held-out %.2f",
                     cal.threshold, s.min_vote_threshold)
            cal = Calibration(threshold=round(s.min_vote_threshold, 2), precision=cal.precision,
                              coverage=cal.coverage, points=cal.points)
        cal = replace(cal, scope_floor=self._scope_floor(vecs, [case_of[int(ids[i])] for i in range(n_ph)], ph))
        # questions the KB has no case for, as many as unseen_share of the KB's own: an answer or options
        # offered to them are wrong
        unseen = self._unseen_votes(ids, vecs, ph[: int(round(len(ph) * s.unseen_share))])
        if unseen:
            extra = [(v.share, False) for v, _ in unseen if v.winner.startswith(CASE)]
            if extra:
                both = points + extra
                again = choose_threshold(np.array([p[0] for p in both]), np.array([p[1] for p in both]),
                                         target=s.target_precision, ceiling=s.max_vote_threshold)
                if again.threshold > cal.threshold:
                    cal = replace(cal, threshold=again.threshold, precision=again.precision, coverage=again.coverage)
        return self._calibrate_clarify(cal, votes + unseen)

    def _unseen_votes(self, ids: np.ndarray, vecs: np.ndarray, sample: list[int]) -> list[tuple[Vote, str]]:
        """Leave-case-out: each sampled phrasing voted on with its whole case taken out of the KB, as a
        question the KB has no case for would be. Offering options to such a message is a miss, so the
        clarify threshold is calibrated against out-of-scope messages too, not only against the KB's own."""
        s = self.settings
        idx = self.kb.index()
        case_of = idx.case_of
        if not sample or len(set(case_of.values())) < 3:
            return []
        biggest = max(Counter(case_of.values()).values())
        out: list[tuple[Vote, str]] = []
        for start in range(0, len(sample), 512):
            part = sample[start : start + 512]
            q = vecs[part]
            searched = idx.search(q, s.top_k + biggest + 1)
            for i, c in zip(part, self._candidates(q, s.top_k, idx=idx, searched=searched), strict=True):
                own = CASE + case_of[int(ids[i])]
                v = _vote([x for x in c if x[1] != own], s.top_k, s.temperature)
                if v is not None:
                    out.append((v, UNSEEN))
        return out

    def _scope_floor(self, vecs: np.ndarray, cases: list[str], sample: list[int]) -> float:
        """The out-of-scope similarity floor: each sampled phrasing's similarity to the nearest other
        phrasing of its own case is what a message of that case looks like to the KB; the floor is the
        (1 - scope_keep) quantile of those, so that scope_keep of in-scope messages clear it and a message
        farther from every phrasing than that is out of scope. 0 when the KB has no case with two phrasings
        or scope_keep is 1 or more."""
        s = self.settings
        if s.scope_keep >= 1 or not sample:
            return 0.0
        labels = np.array(cases)
        nearest: list[float] = []
        for start in range(0, len(sample), 512):
            part = sample[start : start + 512]
            sims = vecs[part] @ vecs.T
            sims[np.arange(len(part)), part] = -2.0  # not itself
            own = labels[part][:, None] == labels[None, :]
            best = np.where(own, sims, -2.0).max(axis=1)
            nearest += [float(b) for b in best if b > -2.0]
        if not nearest:
            return 0.0
        return round(float(np.quantile(np.array(nearest), 1 - s.scope_keep)), 4)

    def _calibrate_clarify(self, cal: Calibration, votes: list[tuple[Vote, str]]) -> Calibration:
        """The combined vote share at which the offered cases hold the right one for clarify_precision
        (Wilson bound, as the answer's threshold), over the leave-one-out votes the answer threshold
        does not answer. A fault, an uncovered question or a phrasing whose case was left out
        (:meth:`_unseen_votes`) offered options counts as a miss."""
        s = self.settings
        if s.clarify_max_options < 2:
            return cal
        if s.clarify_threshold is not None:
            return replace(cal, clarify_threshold=s.clarify_threshold)
        shares, correct = [], []
        unanswered = 0
        for v, exp in votes:
            if v.winner.startswith(CASE) and v.share >= cal.threshold:
                continue  # answered
            unanswered += 1
            if not v.winner.startswith(CASE) or v.best_case_score < max(s.min_score, cal.scope_floor):
                continue
            options, total = v.options(max_options=s.clarify_max_options, min_share=s.clarify_min_share)
            if options:
                shares.append(total)
                correct.append(exp.startswith(CASE) and exp[len(CASE):] in options)
        if not shares:
            return cal
        c = choose_threshold(np.array(shares), np.array(correct), target=s.clarify_precision, ceiling=1.0)
        if not c.precision >= s.clarify_precision:  # not even a unanimous split holds the right case often enough
            log.info("clarification off: options hold the right case %.2f of the time at best (goal %.2f)",
                     c.precision, s.clarify_precision)
            return replace(cal, clarify_threshold=NEVER, clarify_precision=c.precision, clarify_points=len(shares))
        offered = int((np.array(shares) >= c.threshold).sum())
        return replace(cal, clarify_threshold=c.threshold, clarify_precision=c.precision,
                       clarify_coverage=offered / unanswered if unanswered else 0.0, clarify_points=len(shares))

    # -- decide -----------------------------------------------------------------------------------

    def _fix_for(self, label: str, cands: list[tuple[float, str]], exact_score: float) -> tuple[str, float] | None:
        """The published case, with its similarity, that answers a message the ``label`` examples (fault,
        complaint) won: the message is nearly one of its phrasings (``exact_score``) and the case is
        tagged with ``label`` (a case approved from a fault ticket is; an editor may tag others)."""
        spec = self.labels.get(label)
        if spec is None or spec.action != "escalate" or label == self.settings.human_label:
            return None
        near = max(((sc, key) for sc, key in cands if key.startswith(CASE)), default=None)
        if near is None or near[0] < exact_score:
            return None
        case_id = near[1][len(CASE):]
        try:
            tags = self.kb.answering(case_id).tags
        except KBError:
            return None
        return (case_id, float(near[0])) if label in tags else None

    def decide(self, text: str, vector: np.ndarray) -> Decision:
        s = self.settings
        idx = self.kb.index()  # brought to the current KB revision: the calibration follows the same one
        cal = self.calibration(revision=idx.kb_revision)
        threshold = cal.threshold
        probs = self.model.proba(vector) if self.model.classes else {}
        head_label = max(probs, key=lambda kk: probs[kk]) if probs else self.answer_label
        hits: list[Hit] = []
        searched = None
        if len(idx):  # one search serves the vote (top k + 1) and the hits shown (5 cases of 20)
            searched = idx.search(vector.reshape(1, -1), max(s.top_k + 1, HIT_NEIGHBOURS))
            hits = self.kb.hits_from(idx, searched[0][0], searched[1][0], 5)
        cands = self._candidates(vector.reshape(1, -1), s.top_k, idx=idx, searched=searched)[0]
        vote = _vote(cands, s.top_k, s.temperature)
        if vote is not None and hits:
            # cases in the order the neighbours voted for them, then the rest by their best phrasing: the
            # vote ranks a message's own case first more often than the single nearest phrasing does
            order = {key[len(CASE):]: i for i, key in enumerate(k for k in vote.ranking if k.startswith(CASE))}
            hits = sorted(hits, key=lambda h: order.get(h.case_id, len(order)))
        assessment = self.impact.assess(text, vector)

        def done(action: str, label: str, confidence: float, reason: str, case_id: str | None = None,
                 score: float = 0.0, *, why: Why, options: tuple[str, ...] = ()) -> Decision:
            spec = self.labels.get(label)
            priority = spec.priority if spec else "normal"
            if action == "escalate":
                if assessment.urgency == "high":
                    priority = raise_priority(priority, 1)
                if assessment.urgency == "critical" or assessment.impact == "wide":
                    priority = "urgent"
            return Decision(action=action, label=label, confidence=round(confidence, 4), reason=reason, why=why,
                            priority=priority, impact=assessment.impact, urgency=assessment.urgency,
                            case_id=case_id, score=round(score, 4), threshold=threshold, hits=hits,
                            label_probs={k: round(v, 4) for k, v in probs.items()}, options=options)

        human = s.human_label
        lang = guess_language(text) if s.languages else None
        if lang is not None and lang not in s.languages:
            # the encoder would match it against phrasings it cannot read alike; a person can
            return done("escalate", human if human in self.labels else self.answer_label, 1.0,
                        f"written in {language_name(lang)}; the bot reads "
                        f"{', '.join(language_name(x) for x in s.languages)}: a person takes it", why=Why.LANGUAGE)
        if human in self.labels:
            # asking for a person must be what the customer said: a clear vote or head probability,
            # not a plurality of a split vote ("hw do i cancl my subscripton" leans 0.35 to 'human')
            p_human = probs.get(human, 0.0)
            v_human = vote.share if vote and vote.winner == LABEL + human else 0.0
            says_person = may_ask_for_person(text)
            if max(p_human, v_human) >= s.human_min_vote and says_person:
                return done("escalate", human, max(p_human, v_human), "the customer asks for a person",
                            why=Why.ASKS_PERSON)
            if vote is not None and vote.winner == LABEL + human:  # unclear: the rest of the vote decides
                vote = _vote([c for c in cands if c[1] != LABEL + human], s.top_k, s.temperature)
            if head_label == human and not says_person:  # nor does the head's lean make it one
                head_label = max((k for k in probs if k != human), key=lambda kk: probs[kk], default=self.answer_label)
        if vote is None:
            fallback = head_label if self.labels.get(head_label, None) and \
                self.labels[head_label].action != "answer" else self.answer_label
            return done("escalate", fallback, probs.get(fallback, 0.0), "nothing to answer from yet",
                        why=Why.NO_KNOWLEDGE)
        if vote.winner.startswith(UNCOVERED):
            return done("escalate", vote.winner[len(UNCOVERED):], vote.share,
                        "a question the knowledge base does not cover yet", why=Why.UNCOVERED)
        if vote.winner.startswith(LABEL):
            label = vote.winner[len(LABEL):]
            spec = self.labels[label]
            if spec.action == "reply" and vote.share < s.reply_min_vote:
                # "nope, still the same" half-resembles "ok got it": a weak courtesy vote gets no
                # "you're welcome"; the customer is asked to say what they need
                return done("reply", UNSURE, vote.share,
                            f"nearest examples lean to {label!r} (vote {vote.share:.2f} under "
                            f"{s.reply_min_vote:.2f}): asking for more", why=Why.WEAK_REPLY)
            fix = self._fix_for(label, cands, s.exact_score)
            if fix is not None:  # an editor's case for this fault outranks the generic fault examples
                fix_id, sim = fix
                return done("answer", self.answer_label, sim,
                            f"case {fix_id!r}, a fix for {label!r} messages: the message is nearly one of its "
                            f"phrasings (similarity {sim:.2f}); the {label!r} examples had vote {vote.share:.2f}",
                            case_id=fix_id, score=sim, why=Why.NEAR_PHRASING)
            return done(spec.action if spec.action != "answer" else "escalate", label, vote.share,
                        f"nearest examples are {label!r}", why=Why.LABEL)
        case_id = vote.winner[len(CASE):]
        if vote.share < threshold and vote.best_case_score >= s.exact_score and vote.best_case == vote.winner \
                and cands and max(cands)[1] == vote.winner:
            return done("answer", self.answer_label, vote.share,
                        f"case {case_id!r}: the message is nearly one of its phrasings "
                        f"(similarity {vote.best_case_score:.2f})", case_id=case_id, score=vote.best_case_score,
                        why=Why.NEAR_PHRASING)
        floor = max(s.min_score, cal.scope_floor)
        if vote.best_case_score < cal.scope_floor and vote.best_case_score >= s.min_score \
                and vote.best_case_score < s.exact_score:
            return done("escalate", self.answer_label, vote.share,
                        f"out of scope: the nearest phrasing ({case_id!r}) is {vote.best_case_score:.2f} similar, "
                        f"under the {cal.scope_floor:.2f} that {s.scope_keep:.1%} of the KB's own phrasings reach",
                        case_id=case_id, score=vote.best_case_score, why=Why.OUT_OF_SCOPE)
        if vote.share < threshold and vote.best_case_score >= floor and s.clarify_max_options >= 2:
            options, together = vote.options(max_options=s.clarify_max_options, min_share=s.clarify_min_share)
            if options and together >= cal.clarify_threshold:
                return done("clarify", self.answer_label, vote.share,
                            f"torn between {', '.join(repr(o) for o in options)}: together {together:.2f} "
                            f"(>= {cal.clarify_threshold:.2f}), {case_id!r} alone {vote.share:.2f} "
                            f"(< {threshold:.2f}): asking which", case_id=case_id, score=vote.best_case_score,
                            options=options, why=Why.TORN)
        if vote.share < threshold:
            label = head_label if self.labels.get(head_label) and self.labels[head_label].action == "escalate" \
                else self.answer_label
            return done("escalate", label, vote.share,
                        f"not sure enough: vote {vote.share:.2f} for {case_id!r} is under {threshold:.2f}",
                        case_id=case_id, score=vote.best_case_score, why=Why.UNSURE)
        if vote.best_case_score < s.min_score:
            return done("escalate", self.answer_label, vote.share,
                        f"closest case {case_id!r} is too far (similarity {vote.best_case_score:.2f} "
                        f"< {s.min_score:.2f})", case_id=case_id, score=vote.best_case_score, why=Why.TOO_FAR)
        return done("answer", self.answer_label, vote.share, f"case {case_id!r} matches", case_id=case_id,
                    score=vote.best_case_score, why=Why.MATCH)
