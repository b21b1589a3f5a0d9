"""A case head beside the neighbours' vote, for an encoder whose neighbours vote poorly alone: a logistic
regression over the encoder's fixed sentence vectors, one class per knowledge-base case (its phrasings) and
one per label that does not answer (fault, human, complaint... from the classifier's examples), as
Casanueva et al. 2020 ("Efficient Intent Detection with Dual Sentence Encoders") classify intents over
fixed USE vectors.

The router keeps every decision that is not about which case answers (a request for a person, courtesy, a
language it does not read, a fault its examples recognise). For the others a case is answered only when
the two agree: the vote's leading case has at least ``agree_vote`` of the vote and is the head's top class
with at least ``agree_head`` probability (and its best phrasing clears ``min_score``); else a person takes
it. Two different readers of the same vectors err on different messages, so their agreement answers
nearly as often as either and wrongly far less: on the demo KB's Korean dev messages (kb/demo/dev_ko.csv,
93) with USE multilingual v3, the vote alone routes 0.85 with 4.9% wrong answers, the head alone 0.73 at
0% or 0.85 at 4.8%, both agreeing 0.85 with 1.7% (``agree_vote`` 0.5 and ``agree_head`` 0.2 were chosen
there, the middle of the plateau; ``bench/korean.py`` gives the held-out figures). With about 14 Korean
phrasings a case instead of 8 the head is surer of its cases, and ``agree_head`` is 0.3: on the three
Korean dev files (dev_ko, dev_ko_informal, dev_ko_registers, 266 messages) 0.2 routes 0.925 with 3 wrong
answers of 201, 0.3 routes 0.910 with none of 193 (the wrong answers' head probabilities were 0.26-0.30).

A third reader, where the app gives one (``gloss_case``: :class:`classifier.gloss.GlossView`): the message's
word-for-word English gloss read by the English encoder against the knowledge base's English phrasings. When
the vote leads with a case (at least ``agree_vote``) and the gloss's nearest English phrasing (at least
``agree_gloss`` similar) is of the same case, it is answered though the head is unsure, unless the head
leans to another case: on the three Korean dev files and the dev faults (290 messages) routing went from
0.914 to 0.924 with no wrong answer added (0.931 when the head may lean to another case, but a fresh user's
"다른 사람이랑 카메라를 같이 보려면 어떻게 해요?" was then answered with transferring the camera, which deletes its
recordings); a gloss of nothing but asking words and the product's name gives no reading.

A Korean message that states something fails and asks nothing (:func:`classifier.specifics.states_failure`:
"펌웨어 업데이트 중에 멈춤", "2단계 인증 문자가 안 와요") is escalated as a fault whatever the two say: it names
the case's topic as the case's questions do, and USE reads the topic far more than the failure (on 24
casual Korean faults naming a case's topic, kb/demo/dev_ko_faults.csv, 5 were answered with that case).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from classifier.model import TrainedModel
from classifier.readings import BILLING
from classifier.router import ABOUT_BOT, Decision, Router, Why
from classifier.specifics import asks_about_bot, states_failure
from kb.errors import KBError

log = logging.getLogger(__name__)

CASE = "case:"
LABEL = "label:"
# decisions about which case answers (or none): the head decides them; the router keeps the others
ABOUT_CASES = frozenset({Why.MATCH, Why.NEAR_PHRASING, Why.UNSURE, Why.TORN, Why.TOO_FAR, Why.OUT_OF_SCOPE,
                         Why.UNCOVERED})


@dataclass(frozen=True)
class HeadFit:
    """A fitted head: ``classes`` (``case:<id>`` or ``label:<name>``), ``coef`` (classes x dim), ``intercept``."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray

    def proba(self, vector: np.ndarray) -> np.ndarray:
        """Probabilities of ``classes`` for one vector (shape (dim,))."""
        z = self.coef @ vector + self.intercept
        e = np.exp(z - z.max())
        return e / e.sum()


def fit_head(x: np.ndarray, y: list[str], *, c: float = 10.0, iterations: int = 300,
             dtype: type = np.float64) -> HeadFit | None:
    """The head fitted on unit vectors ``x`` (n x dim) with keys ``y``: multinomial logistic regression
    minimising the summed cross-entropy plus ``||W||^2 / (2c)`` (scikit-learn's ``LogisticRegression(C=c)``
    objective), by Nesterov's accelerated gradient descent with step ``1 / L`` (``L`` the gradient's
    Lipschitz bound, ``||x||_2^2 / 2 + 1/c``), in numpy so that a serving worker loads no scikit-learn,
    computed in ``dtype`` (float32 about halves the time). None when there are fewer than two cases."""
    if sum(1 for k in set(y) if k.startswith(CASE)) < 2:
        return None
    classes = tuple(sorted(set(y)))
    index = {k: i for i, k in enumerate(classes)}
    xf: np.ndarray = np.asarray(x, dtype=dtype)
    onehot: np.ndarray = np.zeros((len(y), len(classes)), dtype=dtype)
    onehot[np.arange(len(y)), [index[k] for k in y]] = 1.0
    xb = np.hstack([xf, np.ones((len(y), 1), dtype=dtype)])  # the intercept as a last, unregularised column
    reg = np.ones(xb.shape[1], dtype=dtype) / c
    reg[-1] = 0.0
    step = 1.0 / (0.5 * float(np.linalg.norm(xb, 2)) ** 2 + 1.0 / c)
    w: np.ndarray = np.zeros((xb.shape[1], len(classes)), dtype=dtype)
    ahead, t = w.copy(), 1.0
    for _ in range(iterations):
        z = xb @ ahead
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = xb.T @ (p - onehot) + reg[:, None] * ahead
        new = ahead - step * grad
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        ahead = new + ((t - 1) / t_next) * (new - w)
        w, t = new, t_next
    return HeadFit(classes=classes, coef=np.ascontiguousarray(w[:-1].T, dtype=np.float32),
                   intercept=np.asarray(w[-1], dtype=np.float32))


def fingerprint(x: np.ndarray, y: list[str]) -> str:
    """SHA-256 (hex) of a head's training set: the vectors ``x`` (float32 bytes) and their keys ``y``."""
    h = hashlib.sha256(np.ascontiguousarray(x, dtype=np.float32).tobytes())
    h.update("\n".join(y).encode("utf-8"))
    return h.hexdigest()


def save_head(path: Path, fit: HeadFit, digest: str) -> None:
    """Write ``fit`` and the ``digest`` of its training set to ``path`` (numpy ``.npz``), atomically: a
    worker reading it meanwhile sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, classes=np.array(fit.classes, dtype=str), coef=fit.coef, intercept=fit.intercept,
                 digest=np.array(digest))
    os.replace(tmp, path)


def load_head(path: Path, digest: str) -> HeadFit | None:
    """The head saved at ``path`` when it was fitted on the training set of ``digest``; None when there is
    none, it is unreadable or it was fitted on other data."""
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["digest"]) != digest:
                return None
            classes = tuple(str(c) for c in f["classes"])
            coef, intercept = np.asarray(f["coef"], dtype=np.float32), np.asarray(f["intercept"], dtype=np.float32)
    except (OSError, ValueError, KeyError) as e:
        if not isinstance(e, FileNotFoundError):
            log.warning("case head %s unreadable (%s): fitting it again", path, e)
        return None
    if coef.shape[0] != len(classes) or intercept.shape != (len(classes),):
        return None
    return HeadFit(classes=classes, coef=coef, intercept=intercept)


def failure_labels(router: Router) -> set[str]:
    """The labels of ``router`` that escalate a failure (fault, complaint...): every escalating label but
    asking for a person and asking for money back (``billing``: a request, and a tag many how-to cases carry)."""
    return {k for k, spec in router.labels.items() if spec.action == "escalate"} - {router.settings.human_label,
                                                                                   BILLING}


def answers_failure(router: Router, case_id: str | None) -> bool:
    """Whether published case ``case_id`` of ``router``'s knowledge base is the fix for a failure rather than a
    how-to: tagged with a label that escalates (a case approved from a fault ticket is tagged 'fault') or one
    of its phrasings states that something fails ("움직임 알림이 어제부터 안 와요"). False for None or an
    unknown case."""
    if case_id is None:
        return False
    try:
        case = router.kb.answering(case_id)
    except KBError:
        return False
    return bool(failure_labels(router) & set(case.tags)) or any(states_failure(q) for q in case.questions)


class HeadedRouter:
    """A :class:`classifier.router.Router` whose answers need its case head's agreement (see the module).
    Everything else (``settings``, ``labels``, ``calibration``...) is the router's. The head follows the
    KB: when the KB revision changes, its training set (the index's phrasing vectors and the classifier's
    non-answer examples) is fingerprinted; a head saved at ``path`` for that very set is loaded, else the
    head is fitted (about a second for the demo KB) and saved there, so a restarted worker does not fit
    it again."""

    def __init__(self, router: Router, model: TrainedModel, *, agree_vote: float = 0.5,
                 agree_head: float = 0.3, path: Path | None = None,
                 gloss_case: Callable[[str], tuple[str | None, float]] | None = None, agree_gloss: float = 0.5,
                 head_over_vote: float = 0.6) -> None:
        self.router = router
        self.head_over_vote = head_over_vote
        self.model = model
        self.gloss_case = gloss_case
        self.agree_gloss = agree_gloss
        self.agree_vote = agree_vote
        self.agree_head = agree_head
        self.path = path
        self.fit_dtype: type = np.float64  # the head's fit is computed in this (fit_head)
        self._fit: HeadFit | None = None
        self._fitted_at: int | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.router, name)

    def head(self) -> HeadFit | None:
        """The head for the current KB revision (loaded from ``path`` when saved for the same training set)."""
        idx = self.router.kb.index()
        with self._lock:
            if self._fitted_at != idx.kb_revision:
                ids, vecs = idx.vectors()
                keys = [CASE + idx.case_of[int(i)] for i in ids]
                labels = self.router.labels
                ex = [i for i, lab in enumerate(self.model.labels)
                      if lab in labels and labels[lab].action != "answer"]
                x = np.vstack([vecs, self.model.vectors[ex]]) if ex else vecs
                keys += [LABEL + self.model.labels[i] for i in ex]
                digest = fingerprint(x, keys)
                fit = load_head(self.path, digest) if self.path is not None else None
                if fit is None:
                    fit = fit_head(x, keys, dtype=self.fit_dtype)
                    if fit is not None and self.path is not None:
                        try:
                            save_head(self.path, fit, digest)
                        except OSError as e:  # a read-only data dir: the head lives in memory only
                            log.warning("cannot save the case head to %s: %s", self.path, e)
                self._fit = fit
                self._fitted_at = idx.kb_revision
            return self._fit

    def answers_failure(self, case_id: str | None) -> bool:
        """Whether published case ``case_id`` is the fix for a failure (:func:`answers_failure`)."""
        return answers_failure(self.router, case_id)

    def failure_labels(self) -> set[str]:
        """The labels that escalate a failure (:func:`failure_labels`)."""
        return failure_labels(self.router)

    def decide(self, text: str, vector: np.ndarray) -> Decision:
        """The router's decision; one about which case answers stands only when the head agrees. A message
        stating that something fails is a fault, not the how-to its words name, unless the leading case is
        itself the fix for a failure (:meth:`answers_failure`)."""
        d = self.router.decide(text, vector)
        if d.why not in ABOUT_CASES:
            return d
        fit = self.head()
        if fit is None:
            return d
        p = fit.proba(vector)
        top = int(p.argmax())
        key, prob = fit.classes[top], float(p[top])
        lead = d.case_id
        score = next((h.score for h in d.hits if h.case_id == lead), 0.0)
        fails = states_failure(text) or key in {LABEL + t for t in self.failure_labels()}  # the head reads a fault
        fix = fails and self.answers_failure(lead)
        if fix and lead is not None and d.confidence >= self.agree_vote and score >= self.router.settings.min_score \
                and not (key.startswith(CASE) and key != CASE + lead and self.answers_failure(key[len(CASE):])):
            # the failure a fix was published for: the head, which a one-phrasing case barely moves, may lean to
            # the fault examples or to the how-to of the same topic; neither answers a failure this case fixes
            return replace(d, action="answer", label=self.router.answer_label, threshold=self.agree_vote,
                           score=round(score, 4), why=Why.MATCH, options=(),
                           reason=f"case {lead!r}, the fix for a failure this message states: vote "
                                  f"{d.confidence:.2f} (>= {self.agree_vote:.2f}); the case head leans to {key!r}")
        if d.why is not Why.NEAR_PHRASING and states_failure(text) and not fix:
            # "펌웨어 업데이트 중에 멈춤" names firmware updates as the case's questions do, and reports a fault
            fault = max((k for k, spec in self.router.labels.items() if spec.action == "escalate"
                         and k != self.router.settings.human_label), key=lambda k: d.label_probs.get(k, 0.0),
                        default=self.router.answer_label)
            return self.router.retarget(d, "escalate", fault, threshold=self.agree_vote, why=Why.LABEL, options=(),
                                        reason=f"states that something fails: a fault, not a question for "
                                               f"{lead!r}")
        if lead is not None and key == CASE + lead and d.confidence >= self.agree_vote and prob >= self.agree_head \
                and score >= self.router.settings.min_score:
            return replace(d, action="answer", label=self.router.answer_label, threshold=self.agree_vote,
                           score=round(score, 4), why=Why.MATCH, options=(),
                           reason=f"case {lead!r}: vote {d.confidence:.2f} (>= {self.agree_vote:.2f}) and the case "
                                  f"head {prob:.2f} (>= {self.agree_head:.2f}) agree")
        if lead is not None and d.why in (Why.MATCH, Why.UNSURE) and not fails and d.confidence >= self.agree_vote \
                and score >= self.router.settings.min_score and self.gloss_case is not None \
                and (key == CASE + lead or not key.startswith(CASE)):
            # never against a head that leans to another case: "다른 사람이랑 카메라를 같이 보려면" glosses to
            # "someone else ... camera", nearest to transferring the camera; the head read sharing
            # a third reader: the message's English gloss read by the English encoder against the KB's English
            # phrasings (classifier.gloss) finds the vote's case the head was unsure of: "어두울 때도 찍혀?" (dark)
            gcase, gsim = self.gloss_case(text)
            if gcase == lead and gsim >= self.agree_gloss:
                return replace(d, action="answer", label=self.router.answer_label, threshold=self.agree_vote,
                               score=round(score, 4), why=Why.MATCH, options=(),
                               reason=f"case {lead!r}: vote {d.confidence:.2f} (>= {self.agree_vote:.2f}) and the "
                                      f"English gloss's nearest phrasing ({gsim:.2f} >= {self.agree_gloss:.2f}) agree; "
                                      f"the case head leans to {key!r} ({prob:.2f})")
        if lead is not None and key.startswith(CASE) and key != CASE + lead and prob >= self.head_over_vote \
                and not fails and self.gloss_case is not None:
            # "요금제 변경을 원합니다": USE's neighbours lean to changing the payment method (its phrasings "결제 수단을
            # 변경하고 싶어요" share the words), the head reads changing the plan and so does the English gloss
            # ("plan subscription change want"): two readers against one, each sure, answer the head's case
            other = key[len(CASE):]
            oscore = max((h.score for h in d.hits if h.case_id == other), default=0.0)
            gcase, gsim = self.gloss_case(text)
            if gcase == other and gsim >= self.agree_gloss and oscore >= self.router.settings.min_score:
                return replace(d, action="answer", case_id=other, label=self.router.answer_label,
                               confidence=round(prob, 4), threshold=self.head_over_vote, score=round(oscore, 4),
                               why=Why.MATCH, options=(),
                               reason=f"case {other!r}: the case head {prob:.2f} (>= {self.head_over_vote:.2f}) and "
                                      f"the English gloss's nearest phrasing ({gsim:.2f}) agree against the vote's "
                                      f"{lead!r} ({d.confidence:.2f})")
        if asks_about_bot(text):  # "봇이에요?" near some case's phrasing, the head unconvinced: told it is a bot
            return replace(d, action="reply", label=ABOUT_BOT, why=Why.ABOUT_BOT, options=(), priority="normal",
                           reason=f"the customer asks whether this is a bot: told so, with the way to a person "
                                  f"(the vote leads with {lead!r}, the case head with {key!r})")
        if d.action == "escalate":
            return d
        head_says = key[len(CASE):] if key.startswith(CASE) else key[len(LABEL):]
        label = self.router.answer_label if key.startswith(CASE) else head_says
        # escalated here: the stakes count as they would had the router escalated it
        return self.router.retarget(d, "escalate", label, threshold=self.agree_vote, why=Why.UNSURE, options=(),
                       reason=f"not sure enough: the vote leads with {lead!r} ({d.confidence:.2f}), the case head "
                              f"with {head_says!r} ({prob:.2f})")
