"""The decision: answer with a solved case, reply with a template, or escalate to a person.

Neighbours vote. The message's nearest knowledge-base phrasings (FAISS) and nearest training
examples of labels that do not answer (fault, human, greeting...) are merged; the top ``k``
vote with softmax weights ``exp(sim / T)``. A case wins an answer only when its vote share clears
a threshold calibrated from the data (leave-one-out over the KB's phrasings and the examples:
the lowest share at which a one-sided 95% Wilson lower bound of precision reaches the target, so
that the target holds on new messages rather than just on average; a thin KB falls back to the
point estimate, then to a ceiling) and its best phrasing is similar enough in absolute terms.
With ``two_stage`` the vote is taken in two stages (question or not, then which case:
:func:`classifier.vote.two_stage_vote`), and the same threshold is calibrated on its share.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from classifier.calibrate import Calibrator
from classifier.impact import Assessment, ImpactAssessor
from classifier.labels import LabelSpec, raise_priority
from classifier.language import guess_language, language_name
from classifier.model import TrainedModel
from classifier.questions import asks
from classifier.readings import courtesy_shorthand
from classifier.specifics import asks_about_bot, may_ask_for_person, states_failure
from classifier.spelling import Speller
from classifier.troubles import troubles
from classifier.vote import CASE, LABEL, UNCOVERED, Calibration, RouterSettings, Vote, _vote, two_stage_vote
from kb.errors import KBError
from kb.index import PhrasingIndex
from kb.service import Hit, KnowledgeBase

log = logging.getLogger(__name__)

# phrasing neighbours searched for the hits a decision shows (as KnowledgeBase.search_vector does)
HIT_NEIGHBOURS = 20
# cosine similarity of a text's vector to itself, up to float rounding
SAME = 0.9999
# Decision label of a reply whose courtesy vote is weak: the bot asks the customer to say more
UNSURE = "unsure"
# A message of only these (and spaces) is thanks: thumbs up, folded hands, hearts, smiles, OK, check marks
ABOUT_BOT = "about_bot"  # the reply to "are you a bot?": what the customer talks to, and the way to a person


def _one_letter(text: str) -> bool:
    """Whether ``text`` holds one Latin letter and no other letter or digit ("x", "a?", " Q "): no word."""
    kept = [ch for ch in text if unicodedata.category(ch)[0] in "LN"]
    return len(kept) == 1 and kept[0].isascii() and kept[0].isalpha()


def _jamo_only(text: str) -> bool:
    """True when every letter of ``text`` is a bare Hangul consonant or vowel (jamo: U+1100-11FF,
    U+3131-318E, U+A960-A97F, U+D7B0-D7FF) and it has no digit: "ㅋㅋㅋ" (laughter), "ㅠㅠ" (crying),
    "ㄷㄷ", "ㅇㅇ". Such chat shorthand spells no syllable, so no word an encoder was trained on."""
    letters = [ch for ch in text if unicodedata.category(ch)[0] in "LN"]
    return bool(letters) and all(
        "\u1100" <= ch <= "\u11ff" or "\u3131" <= ch <= "\u318e" or "\ua960" <= ch <= "\ua97f"
        or "\ud7b0" <= ch <= "\ud7ff" for ch in letters)


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
    ABOUT_BOT = "about_bot"  # the customer asks whether they are talking to a bot (told; no ticket)
    OFF_TOPIC = "off_topic"  # about anything but the business, no case covers it (told what the desk does)
    UNCOVERED = "uncovered"  # a question the knowledge base does not cover yet
    NO_KNOWLEDGE = "no_knowledge"  # nothing to answer from yet (empty index, no examples)
    LANGUAGE = "language"  # written in a language the encoder does not read
    NO_WORDS = "no_words"  # emoji, symbols or punctuation only: nothing an encoder reads
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

    @property
    def stakes(self) -> Assessment:
        """What the message puts at stake (its impact and urgency), as :class:`classifier.impact.Assessment`."""
        return Assessment(impact=self.impact, urgency=self.urgency)


class Router(Calibrator):
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
        self._ex_points: list[int] = list(range(len(self._ex_keys)))  # the examples the calibration votes on
        # two stages: question examples no phrasing covers, voting in stage two with a similarity offset
        self._unc_vectors: np.ndarray = self._q_vectors[:0]
        self._unc_keys: list[str] = []
        self._unc_offset = 0.0
        self.uncovered_count = 0
        self._example_texts = list(model.texts)
        self._speller: Speller | None = None  # built with the calibration, for the KB's revision
        self._calibration: Calibration | None = None
        self._calibrated_at: int | None = None
        self._lock = threading.Lock()

    # -- neighbours -------------------------------------------------------------------------------

    def _vote_of(self, cands: list[tuple[float, str]]) -> Vote | None:
        """The vote of these neighbours: one vote of all, or with ``two_stage`` the label first and the case
        among the phrasings (:func:`classifier.vote.two_stage_vote`)."""
        s = self.settings
        if s.two_stage:
            return two_stage_vote(cands, s.top_k, s.temperature, LABEL + self.answer_label)
        return _vote(cands, s.top_k, s.temperature)

    def _candidates(self, vectors: np.ndarray, k: int, *, skip_phrasing: list[int] | None = None,
                    skip_example: list[int] | None = None, idx: PhrasingIndex | None = None,
                    searched: tuple[np.ndarray, np.ndarray] | None = None,
                    skip_same: bool = False) -> list[list[tuple[float, str]]]:
        """Neighbours of each vector as (similarity, key); ``searched`` reuses a FAISS search of at
        least k + 1 neighbours made by the caller on ``idx``; ``skip_same`` leaves out examples identical
        to the vector (a phrasing's own text among the examples, in a leave-one-out vote)."""
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
                    if (skip_example is not None and j == skip_example[i]) or (skip_same and sims[i, j] >= SAME):
                        continue
                    out[i].append((float(sims[i, j]), self._ex_keys[j]))
        if self._unc_keys:  # two stages: uncovered questions, weighed down (see Calibrator._refresh_voters)
            sims = vectors @ self._unc_vectors.T
            kk = min(k + 1, sims.shape[1])
            top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            for i in range(n):
                for j in top[i]:
                    if skip_same and sims[i, j] >= SAME:
                        continue
                    out[i].append((float(sims[i, j]) + self._unc_offset, self._unc_keys[j]))
        return out

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

    def priority_of(self, label: str, action: str, assessment: Assessment) -> str:
        """The priority (low | normal | high | urgent) of a message labelled ``label`` that gets ``action``:
        the label's configured priority; escalated, one step up for high urgency (money, a deadline), one
        step up to at most high for pressing ("asap", "급해요": how the customer feels, not what is at stake) and
        urgent for critical urgency (safety, security, lost data) or wide impact (ISO/IEC 20000's priority
        from urgency and impact). The one rule every step that opens a ticket applies."""
        spec = self.labels.get(label)
        priority = spec.priority if spec else "normal"
        if action == "escalate":
            if assessment.urgency == "high":
                priority = raise_priority(priority, 1)
            elif assessment.urgency == "pressing" and priority in ("low", "normal"):
                priority = raise_priority(priority, 1)  # "asap!": one step, never to urgent on its own
            if assessment.urgency == "critical" or assessment.impact == "wide":
                priority = "urgent"
        return priority

    def retarget(self, d: Decision, action: str, label: str, **changes: Any) -> Decision:
        """``d`` given ``action`` and ``label`` by a later step (a second "did you mean", a case head, a
        second encoder), its priority derived again by :meth:`priority_of` from the stakes ``d`` read;
        ``changes`` are other fields of :class:`Decision` to set (reason, why, options...)."""
        return replace(d, action=action, label=label, priority=self.priority_of(label, action, d.stakes), **changes)

    def stakes_priority(self, label: str, text: str) -> str:
        """:meth:`priority_of` for ``text`` escalated with ``label`` when no decision was made on it (a
        customer declining the offered cases, asking for a person): urgency and impact from its words."""
        return self.priority_of(label, "escalate", self.impact.assess(text))

    def decide(self, text: str, vector: np.ndarray) -> Decision:
        s = self.settings
        idx = self.kb.index()  # brought to the current KB revision: the calibration follows the same one
        cal = self.calibration(revision=idx.kb_revision)
        threshold = cal.threshold
        read_as = self._speller.correct(text) if self._speller is not None else text
        if read_as != text:  # misspelt words read as the KB's own: the vector of what the customer meant
            vector = self.kb.embedder.encode([read_as])[0]
        probs = self.model.proba(vector) if self.model.classes else {}
        head_label = max(probs, key=lambda kk: probs[kk]) if probs else self.answer_label
        hits: list[Hit] = []
        searched = None
        if len(idx):  # one search serves the vote (top k + 1) and the hits shown (5 cases of 20)
            searched = idx.search(vector.reshape(1, -1), max(s.top_k + 1, HIT_NEIGHBOURS))
            hits = self.kb.hits_from(idx, searched[0][0], searched[1][0], 5)
        cands = self._candidates(vector.reshape(1, -1), s.top_k, idx=idx, searched=searched)[0]
        vote = self._vote_of(cands)
        if vote is not None and hits:
            # cases in the order the neighbours voted for them, then the rest by their best phrasing: the
            # vote ranks a message's own case first more often than the single nearest phrasing does
            order = {key[len(CASE):]: i for i, key in enumerate(k for k in vote.ranking if k.startswith(CASE))}
            hits = sorted(hits, key=lambda h: order.get(h.case_id, len(order)))
        assessment = self.impact.assess(text, vector)

        about_bot = asks_about_bot(text)

        def done(action: str, label: str, confidence: float, reason: str, case_id: str | None = None,
                 score: float = 0.0, *, why: Why, options: tuple[str, ...] = ()) -> Decision:
            if action != "answer" and about_bot:  # no case of the KB answers it: no complaint, no request for a
                # person yet ("are you a bot?"): the customer is told what they talk to and how to reach a person
                action, label, confidence, why, options = "reply", ABOUT_BOT, 1.0, Why.ABOUT_BOT, ()
                reason = f"the customer asks whether this is a bot: told so, with the way to a person ({reason})"
            priority = self.priority_of(label, action, assessment)
            if read_as != text:
                reason = f"{reason} (read as {read_as!r})"
            return Decision(action=action, label=label, confidence=round(confidence, 4), reason=reason, why=why,
                            priority=priority, impact=assessment.impact, urgency=assessment.urgency,
                            case_id=case_id, score=round(score, 4), threshold=threshold, hits=hits,
                            label_probs={k: round(v, 4) for k, v in probs.items()}, options=options)

        shorthand = courtesy_shorthand(text)  # "ㅎㅇ요", "하이", "ㄳ!", "👍": courtesy the encoders misread
        spec = self.labels.get(shorthand) if shorthand is not None else None
        if shorthand is not None and spec is not None and spec.action == "reply":
            return done("reply", shorthand, 1.0, f"{shorthand} in chat shorthand", why=Why.NO_WORDS)
        if _jamo_only(text) or not any(unicodedata.category(ch)[0] in "LN" for ch in text):
            # "👍", "?!": no letter or digit, so every such message embeds alike (the encoder's unknown token)
            # and lands wherever that vector happens to fall - a fault, grouped into one "known issue" with
            # every other emoji. Bare Hangul jamo ("ㅋㅋㅋㅋ", "ㅠㅠ") spell no word either: say more.
            return done("reply", UNSURE, 0.0, "no words to read (emoji, symbols, punctuation or bare Hangul "
                        "jamo only): asking for more", why=Why.NO_WORDS)
        if _one_letter(text):
            # "x", "a?": a key pressed, no word to read (the nearest examples of one letter are anyone's guess:
            # "x" opened a high-priority fault); the customer is asked to say more
            return done("reply", UNSURE, 0.0, "a single letter: asking for more", why=Why.NO_WORDS)
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
                vote = self._vote_of([c for c in cands if c[1] != LABEL + human])
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
        scope_floor = cal.floor_of(case_id)
        floor = max(s.min_score, scope_floor)
        if vote.best_case_score < scope_floor and vote.best_case_score >= s.min_score \
                and vote.best_case_score < s.exact_score:
            return done("escalate", self.answer_label, vote.share,
                        f"out of scope: the nearest phrasing ({case_id!r}) is {vote.best_case_score:.2f} similar, "
                        f"under the {scope_floor:.2f} that {s.scope_keep:.1%} of the KB's own phrasings reach",
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
            if label != self.answer_label and label != human and asks(text) and not troubles(text) \
                    and not states_failure(text):
                # "who won the world cup?": a question no case answers, naming no trouble; the head's weak lean
                # to the fault examples made it a high-priority fault
                label = self.answer_label
            return done("escalate", label, vote.share,
                        f"not sure enough: vote {vote.share:.2f} for {case_id!r} is under {threshold:.2f}",
                        case_id=case_id, score=vote.best_case_score, why=Why.UNSURE)
        if vote.best_case_score < s.min_score:
            return done("escalate", self.answer_label, vote.share,
                        f"closest case {case_id!r} is too far (similarity {vote.best_case_score:.2f} "
                        f"< {s.min_score:.2f})", case_id=case_id, score=vote.best_case_score, why=Why.TOO_FAR)
        return done("answer", self.answer_label, vote.share, f"case {case_id!r} matches", case_id=case_id,
                    score=vote.best_case_score, why=Why.MATCH)
