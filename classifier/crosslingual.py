"""A second reader for messages in a writing system the knowledge base's phrasings lack: a Korean question
against a knowledge base written in English only.

The multilingual encoder (USE) of a language-routed pair finds a Korean sentence's own English translation,
but a translation is about 0.18 less similar to it than a Korean rewording: a Korean message's nearest
neighbours are then the classifier's Korean examples of labels that do not answer (fault, greeting...),
and among the English phrasings other cases' as often as its own. Two changes for such a message, in a
non-Latin writing system that fewer than ``min_cases`` of the published cases have a phrasing in:

- only examples in the knowledge base's own writing systems vote beside its phrasings, so that every
  voter is as far from the message's language as the phrasings are;
- the vote is over the sum of two encoders' similarities (the pair's multilingual one and a second one,
  multilingual-e5-small by default), each divided by the spread (standard deviation) of its similarities
  between the knowledge base's phrasings, so that each counts alike: their errors across languages differ.

A case is answered when it has ``threshold`` of that vote (softmax at ``temperature``, in units of spread,
over the ``top_k`` nearest); else a person takes the message. The router's own decisions that are not
about the knowledge base's content stand: a request for a person, "are you a bot?", a courtesy reply
(thanks, greeting), no words, a language it does not read. On the demo cases with their English phrasings
only, the Korean dev messages (``bench/korean.py --kbs en --files dev,dev-informal``) routed 0.65 and 0.56
with the multilingual encoder alone (2 of 41 and 1 of 35 answers wrong), 0.69 and 0.67 with both (1 of 45
each); ``temperature`` 0.5 and
``threshold`` 0.7 were chosen there (README, "Korean test vs English-only KB", has the held-out figures).

The other direction, an English message against a KB written in Korean, has the same three views: the English
encoder reads the message itself against the Korean voters' word-for-word English glosses. The glossed side
is coarser than a message's own words, so a flatter vote (``latin_temperature`` 0.8) and a surer share
(``latin_threshold`` 0.95) answer: on the demo's 253 English phrasings against its Korean ones (dev), 0.34
with 4.4% of answers wrong (USE alone) -> 0.57 with 0.7%; at the Korean direction's 0.5 / 0.85, 0.72 with
7.1%. An English statement of a failure (:func:`classifier.specifics.states_failure_en`) is a fault there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from classifier.case_head import answers_failure, failure_labels
from classifier.language import writing_system
from classifier.model import TrainedModel
from classifier.router import Decision, Router, Why
from classifier.specifics import states_failure, states_failure_en
from kb.embedder import Embedder

log = logging.getLogger(__name__)

# the router's decisions that are not about what the knowledge base answers: they stand
KEEP = frozenset({Why.ASKS_PERSON, Why.ABOUT_BOT, Why.NO_WORDS, Why.LANGUAGE, Why.NO_KNOWLEDGE, Why.ERROR,
                  Why.PICKED, Why.WEAK_REPLY})


class _Voters:
    """The voters for one KB revision: keys (``case:<id>`` or ``label:<name>``), both encoders' unit vectors
    of them (n x dim each) and each encoder's spread of similarity between phrasings; with a gloss reader, its
    encoder's vectors of them (``third``, n x dim) and spread (``third_spread``)."""

    def __init__(self, keys: list[str], first: np.ndarray, second: np.ndarray, spreads: tuple[float, float],
                 third: np.ndarray | None = None, third_spread: float = 1.0) -> None:
        self.keys, self.first, self.second, self.spreads = keys, first, second, spreads
        self.third, self.third_spread = third, third_spread


def spread(vectors: np.ndarray, sample: int = 400) -> float:
    """Standard deviation of the cosine similarity between distinct rows of ``vectors`` (unit rows; at most
    ``sample`` rows, evenly spaced); 1.0 with fewer than 2 rows or no spread."""
    n = vectors.shape[0]
    if n < 2:
        return 1.0
    rows = vectors[np.linspace(0, n - 1, num=min(n, sample), dtype=int)]
    sims = rows @ rows.T
    iu = np.triu_indices(rows.shape[0], 1)
    sd = float(sims[iu].std())
    return sd if sd > 1e-6 else 1.0


class CrossLingualRouter:
    """A router (:class:`classifier.router.Router`, or one that wraps it) whose decisions about a message
    in a writing system the knowledge base lacks come from the two encoders' vote (see the module).
    Everything else is the router's. ``second`` loads the second encoder on first use (a message the
    knowledge base reads in its own writing system never loads it)."""

    def __init__(self, router: Router, model: TrainedModel, second: Callable[[], Embedder], *,
                 min_cases: float = 0.5, top_k: int = 10, temperature: float = 0.5,
                 threshold: float = 0.7, gloss: Callable[[str], str] | None = None,
                 gloss_encoder: Callable[[], Embedder] | None = None, gloss_weight: float = 1.0,
                 latin_temperature: float = 0.8, latin_threshold: float = 0.95) -> None:
        self.router = router
        self.model = model
        self._second = second
        self._gloss = gloss
        self._gloss_encoder = gloss_encoder if gloss is not None else None
        self.gloss_weight = gloss_weight
        self.min_cases = min_cases
        self.top_k = top_k
        self.temperature = temperature
        self.threshold = threshold
        self.latin_temperature = latin_temperature
        self.latin_threshold = latin_threshold
        self._voters: _Voters | None = None
        self._at: int | None = None
        self._systems: tuple[dict[str, int], int] | None = None
        self._systems_at: int | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.router, name)

    def _inner(self) -> Router:
        r: Any = self.router
        while not isinstance(r, Router):
            r = r.router
        return r

    def voters(self) -> _Voters:
        """The voters for the current KB revision: the published phrasings and the non-answer examples in
        writing systems that at least ``min_cases`` of the cases have (encoded by the second encoder once
        per revision)."""
        inner = self._inner()
        idx = inner.kb.index()
        counts, n_cases = self.systems()
        own = {ws for ws, n in counts.items() if n >= self.min_cases * n_cases}
        with self._lock:
            if self._voters is not None and self._at == idx.kb_revision:
                return self._voters
            text_of = {pid: text for pid, _, text in inner.kb.store.phrasing_rows()}
            ids, first_ph = idx.vectors()
            keep = [i for i, pid in enumerate(ids) if int(pid) in text_of]
            ids, first_ph = ids[keep], first_ph[keep]
            cases = [idx.case_of[int(pid)] for pid in ids]
            labels = inner.labels
            ex = [i for i, (text, lab) in enumerate(zip(self.model.texts, self.model.labels, strict=True))
                  if lab in labels and labels[lab].action != "answer" and writing_system(text) in own]
            enc = self._second()
            texts = [text_of[int(pid)] for pid in ids] + [self.model.texts[i] for i in ex]
            second = enc.encode(texts) if texts else np.zeros((0, enc.dim), dtype=np.float32)
            first = np.vstack([first_ph, self.model.vectors[ex]]) if ex else first_ph
            spreads = (spread(first_ph), spread(second[: len(ids)]))
            keys = ["case:" + c for c in cases] + ["label:" + self.model.labels[i] for i in ex]
            third, third_spread = None, 1.0
            if self._gloss_encoder is not None and texts:  # the English encoder's view of the same voters
                third = self._english_vectors([self.english(t) for t in texts])
                third_spread = spread(third[: len(ids)])
            self._voters = _Voters(keys, np.ascontiguousarray(first, dtype=np.float32),
                                   np.ascontiguousarray(second, dtype=np.float32), spreads, third, third_spread)
            self._at = idx.kb_revision
            log.info("cross-lingual voters: %d phrasings, %d examples (writing systems %s)", len(ids), len(ex),
                     ", ".join(sorted(own)) or "none")
            return self._voters

    def english(self, text: str) -> str:
        """What the English encoder reads of ``text``: the text itself when it is in Latin letters (or has
        none), else its English gloss ("" when nothing of it is in the glossary)."""
        if self._gloss is None or writing_system(text) in (None, "latin"):
            return text
        return self._gloss(text)

    def _english_vectors(self, texts: list[str]) -> np.ndarray:
        """The English encoder's unit vectors of ``texts`` (n x dim, float32); a zero row for an empty text (a
        voter with no gloss is near nothing in that view)."""
        assert self._gloss_encoder is not None
        enc = self._gloss_encoder()
        out = np.zeros((len(texts), enc.dim), dtype=np.float32)
        rows = [i for i, t in enumerate(texts) if t.strip()]
        if rows:
            out[rows] = enc.encode([texts[i] for i in rows])
        return out

    def lacks(self, text: str) -> bool:
        """Whether ``text`` is in a writing system that fewer than ``min_cases`` of the published cases have a
        phrasing in: a Korean message against a KB written in English, or an English one against a KB written
        in Korean (False for a text of no letters or an empty knowledge base). With the gloss, both directions
        have the English encoder's view (the KB's Korean phrasings glossed); without it, English against a KB
        written in Korean is left to the multilingual encoder: on the demo's English phrasings against its
        Korean ones, the second encoder answered 0.63 of them but 7.5% wrongly (USE alone: 0.32, 2.4%)."""
        ws = writing_system(text)
        if ws is None or (ws == "latin" and self._gloss_encoder is None):
            return False
        counts, n_cases = self.systems()
        return n_cases > 0 and counts.get(ws, 0) < self.min_cases * n_cases

    def systems(self) -> tuple[dict[str, int], int]:
        """How many published cases have a phrasing in each writing system (:func:`writing_system`), and how
        many cases there are; counted once per KB revision, without the second encoder."""
        idx = self._inner().kb.index()
        with self._lock:
            if self._systems is not None and self._systems_at == idx.kb_revision:
                return self._systems
            systems: dict[str, set[str]] = {}
            cases: set[str] = set()
            for _, case_id, text in self._inner().kb.store.phrasing_rows():
                cases.add(case_id)
                ws = writing_system(text)
                if ws is not None:
                    systems.setdefault(ws, set()).add(case_id)
            self._systems = ({ws: len(c) for ws, c in systems.items()}, len(cases))
            self._systems_at = idx.kb_revision
            return self._systems

    def decide(self, text: str, vector: np.ndarray) -> Decision:
        """The router's decision, or for a message in a writing system the knowledge base lacks, the two
        encoders' (see the module)."""
        d = self.router.decide(text, vector)
        if d.why in KEEP or (d.action == "reply" and d.why == Why.LABEL) or not self.lacks(text):
            return d
        v = self.voters()
        if not v.keys:
            return d
        q2 = self._second().encode([text])[0]
        s = (v.first @ vector) / v.spreads[0] + (v.second @ q2) / v.spreads[1]
        glossed = self.english(text) if v.third is not None else ""
        if glossed and self._gloss_encoder is not None and v.third is not None:
            # the English encoder's reading of the message (its gloss when in Korean, classifier.gloss) against
            # its reading of the voters (their gloss when in Korean): a third view
            s = s + self.gloss_weight * (v.third @ self._gloss_encoder().encode([glossed])[0]) / v.third_spread
        # English against a KB written in Korean: the KB's side of the English view is glossed, a coarser
        # reading than a message's own words; a flatter, surer vote answers (see the module)
        latin = writing_system(text) == "latin"
        temperature = self.latin_temperature if latin else self.temperature
        threshold = self.latin_threshold if latin else self.threshold
        k = min(self.top_k, s.shape[0])
        top = np.argpartition(-s, k - 1)[:k]
        w = np.exp((s[top] - s[top].max()) / temperature)
        votes: dict[str, float] = {}
        for j, wj in zip(top, w, strict=True):
            votes[v.keys[j]] = votes.get(v.keys[j], 0.0) + float(wj)
        winner = max(votes, key=lambda key: votes[key])
        share = votes[winner] / float(w.sum())
        inner = self._inner()
        fails = states_failure_en(text) if latin else states_failure(text)
        if winner.startswith("case:") and share >= threshold and fails \
                and not answers_failure(inner, winner[len("case:"):]):
            # "로그인이 안되요", "alerts stopped arriving": the topic of a how-to, and a fault (classifier.case_head)
            fault = max(failure_labels(inner), key=lambda k: d.label_probs.get(k, 0.0), default=inner.answer_label)
            return inner.retarget(d, "escalate", fault, threshold=threshold, why=Why.LABEL, options=(),
                                  reason=f"states that something fails: a fault, not a question for {winner!r} "
                                         f"({share:.2f} of the vote)")
        if winner.startswith("case:") and share >= threshold:
            case_id = winner[len("case:"):]
            score = max((h.score for h in d.hits if h.case_id == case_id), default=0.0)
            return inner.retarget(d, "answer", inner.answer_label, case_id=case_id, confidence=round(share, 4),
                                  threshold=threshold, score=round(score, 4), why=Why.MATCH, options=(),
                                  reason=f"case {case_id!r}: {share:.2f} of the vote of both encoders (>= "
                                  f"{threshold:.2f}), the knowledge base having few phrasings in the "
                                  f"message's writing system")
        if d.action == "escalate":
            return d
        label = winner[len("label:"):] if winner.startswith("label:") and winner[len("label:"):] in inner.labels \
            and inner.labels[winner[len("label:"):]].action == "escalate" else inner.answer_label
        return inner.retarget(d, "escalate", label, threshold=threshold, why=Why.UNSURE, options=(),
                              reason=f"not sure enough: {winner!r} has {share:.2f} of the vote of both encoders "
                              f"(< {threshold:.2f} for a case), the knowledge base having few phrasings "
                              f"in the message's writing system")

