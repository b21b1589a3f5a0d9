"""A light head beside the neighbour vote for the main (English) encoder: a message the vote leads to a case
without the calibrated share to answer it is answered when a logistic head over the same fixed vectors,
trained on the knowledge base's phrasings and the classifier's non-answer examples, names the same case
with high probability.

Casanueva et al. 2020 ("Efficient Intent Detection with Dual Sentence Encoders") classify intents with a
light head over fixed sentence vectors; on CLINC150's dev split (``data_full`` val, 3,000 in-scope messages,
all-MiniLM-L6-v2) a head alone picks the right intent for 0.953 of them against 0.907 for the neighbour vote.
The head alone is not calibrated to the knowledge base as the vote's threshold is, so it only confirms
here: the two must agree. Measured through the product's router (two stages, calibrated threshold, "did you
mean...?"), seed 0, vote share at least ``agree_vote`` and head probability at least ``agree_head`` for an
escalated-as-unsure message:

- BANKING77 dev (1,998; 47 question intents as cases): questions answered right 0.830 -> 0.879, faults
  escalated 0.990 -> 0.986, wrong answers 1.2% -> 1.9% (0.5 / 0.7; 0.5 / 0.5 gave 0.890 at 2.6%);
- CLINC150 dev (1,000 in-scope, 100 out-of-scope): in-scope first turn 0.754 -> 0.816, resolved (with
  "did you mean...?") 0.811 -> 0.873, out-of-scope escalated 0.90 -> 0.87, wrong answers 3.0% -> 3.2%;
- the demo KB's typo'd English dev (``kb/demo/dev_typos.csv``, 78): 0.736 -> 0.750, no wrong answer.

An unsure question the head does not confirm, on which the head is torn between two or three cases (each
``CLARIFY_MIN`` 0.1 or more among its three likeliest classes, together ``clarify_share`` 0.7), is asked
"did you mean...?" with them: where the vote's own options are calibrated away (a large KB whose
leave-one-out finds no safe split), the same dev runs resolve CLINC150 in-scope 0.873 -> 0.903 (out-of-scope
escalated 0.87 -> 0.86) and BANKING77 questions 0.879 -> 0.922 (faults escalated 0.986 either way); the
demo's typo'd dev is unchanged (its head is never that sure of a pair).

The head is the one :class:`classifier.case_head.HeadedRouter` fits (numpy, saved beside the index under a
fingerprint of its training set, loaded at the next start)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import numpy as np

from classifier.case_head import CASE, HeadedRouter, HeadFit
from classifier.router import Decision, Why

CLARIFY_MIN = 0.1  # the head's probability a case needs to be offered (module: chosen on the dev splits)


class HeadAgreeRouter(HeadedRouter):
    """A router whose unsure decisions about a case (``Why.UNSURE``: the vote leads with a case under its
    threshold) are answered when the vote's share is at least ``agree_vote`` and the head gives the same case
    at least ``agree_head`` (see the module). Every other decision is the router's: an answer it makes is not
    second-guessed, a "did you mean...?", an out-of-scope or a label's escalation stands.

    When the knowledge base changes, a head over fewer than ``background_from`` vectors is refitted before the
    next decision that needs it (a few seconds at most); a larger one is refitted in a background thread while
    the previous head goes on confirming (a case it does not know is never confirmed), so a publish on a large
    KB does not hold a customer's message for the minute a refit takes."""

    background_from = 5000
    _refitting: threading.Thread | None = None

    def __init__(self, *args: Any, clarify_share: float = 0.7, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clarify_share = clarify_share
        self.fit_dtype = np.float32  # half the time of float64; the same decisions on the dev sets (module)

    def head(self) -> HeadFit | None:
        """The head for the current KB revision, or while a large one is refitted, the previous one."""
        stale = self._fit
        if stale is None or self._fitted_at == self.router.kb.index().kb_revision \
                or self._rows() < self.background_from:
            return super().head()
        if self._refitting is None or not self._refitting.is_alive():
            self._refitting = threading.Thread(target=super().head, name="case-head-refit", daemon=True)
            self._refitting.start()
        return stale

    def _rows(self) -> int:
        """How many vectors the head is fitted on: the index's phrasings and the non-answer examples."""
        labels = self.router.labels
        examples = sum(1 for lab in self.model.labels if lab in labels and labels[lab].action != "answer")
        return len(self.router.kb.index()) + examples

    def decide(self, text: str, vector: np.ndarray) -> Decision:
        """The router's decision, or the answer its vote and the head agree on (see the class)."""
        d = self.router.decide(text, vector)
        if d.why is not Why.UNSURE or d.case_id is None:
            return d
        fit = self.head()
        if fit is None:
            return d
        p = fit.proba(vector)
        if d.confidence < self.agree_vote:
            return self._clarify(d, fit.classes, p)
        top = int(p.argmax())
        key, prob = fit.classes[top], float(p[top])
        score = next((h.score for h in d.hits if h.case_id == d.case_id), 0.0)
        if key != CASE + d.case_id or prob < self.agree_head or score < self.router.settings.min_score:
            return self._clarify(d, fit.classes, p)
        return replace(d, action="answer", label=self.router.answer_label, threshold=self.agree_vote,
                       score=round(score, 4), why=Why.MATCH, options=(),
                       reason=f"case {d.case_id!r}: vote {d.confidence:.2f} (>= {self.agree_vote:.2f}, under the "
                              f"calibrated threshold) and the case head {prob:.2f} (>= {self.agree_head:.2f}) agree")

    def _clarify(self, d: Decision, classes: tuple[str, ...], p: np.ndarray) -> Decision:
        """``d`` (an unsure question), or "did you mean...?" with the head's cases when the head is torn
        between two or three of them: among its three likeliest classes, the cases of at least
        ``CLARIFY_MIN`` each and ``clarify_share`` together (0 turns it off). A fault's or a label's lean
        is never offered options."""
        if self.clarify_share <= 0 or d.label != self.router.answer_label \
                or self.router.settings.clarify_max_options < 2:
            return d
        top = np.argsort(-p)[:3]
        options = [(classes[i][len(CASE):], float(p[i])) for i in top
                   if classes[i].startswith(CASE) and p[i] >= CLARIFY_MIN][: self.router.settings.clarify_max_options]
        together = sum(share for _, share in options)
        if len(options) < 2 or together < self.clarify_share:
            return d
        names = ", ".join(repr(case) for case, _ in options)
        return self.router.retarget(d, "clarify", self.router.answer_label, options=tuple(c for c, _ in options),
                                    why=Why.TORN, reason=f"the vote is unsure ({d.case_id!r} {d.confidence:.2f}); "
                                    f"the case head is torn between {names}: together {together:.2f} (>= "
                                    f"{self.clarify_share:.2f}): asking which")
