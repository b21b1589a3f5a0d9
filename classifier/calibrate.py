"""The router's calibration from the knowledge base's own data: leave-one-out votes of its phrasings and
examples, leave-case-out votes (questions no case answers), the out-of-scope similarity floor and the
"did you mean...?" threshold. Recomputed when the KB's revision changes.

With a ``calibration_file`` the result is saved (JSON, written atomically) under a key over everything it
was computed from: the index's KB revision, size, kind and model, the router settings and the voting
examples' vectors and labels. A start on the same knowledge base loads it instead of recomputing
(seconds with tens of thousands of phrasings: a leave-one-out search of each sampled one); any change to
those inputs makes the saved one stale, and it is computed again and replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifier.spelling import Speller
from classifier.vote import (
    CASE,
    LABEL,
    NEVER,
    UNCOVERED,
    UNSEEN,
    Calibration,
    RouterSettings,
    Vote,
    choose_threshold,
)
from kb.index import PhrasingIndex

if TYPE_CHECKING:
    from kb.service import KnowledgeBase

log = logging.getLogger(__name__)

CALIBRATION_FORMAT = 1


class Calibrator:
    """The calibration half of :class:`classifier.router.Router` (a mixin: the router holds the KB, the
    settings, the examples that vote and their neighbour search)."""

    kb: KnowledgeBase
    settings: RouterSettings
    uncovered_count: int
    _lock: threading.Lock
    _calibration: Calibration | None
    _calibrated_at: int | None
    _base_vectors: np.ndarray
    _base_keys: list[str]
    _q_vectors: np.ndarray
    _q_labels: list[str]
    _ex_vectors: np.ndarray
    _ex_keys: list[str]
    _ex_points: list[int]
    _unc_vectors: np.ndarray
    _unc_keys: list[str]
    _unc_offset: float
    answer_label: str
    _speller: Speller | None
    _example_texts: list[str]

    def _candidates(self, vectors: np.ndarray, k: int, *, skip_phrasing: list[int] | None = None,
                    skip_example: list[int] | None = None, idx: PhrasingIndex | None = None,
                    searched: tuple[np.ndarray, np.ndarray] | None = None,
                    skip_same: bool = False) -> list[list[tuple[float, str]]]:
        raise NotImplementedError

    def _vote_of(self, cands: list[tuple[float, str]]) -> Vote | None:
        raise NotImplementedError

    calibration_file: Path | None = None  # where the calibration is saved and loaded from (None: never)

    def calibration(self, *, revision: int | None = None) -> Calibration:
        """The vote threshold for the KB at ``revision`` (read from the database when not given): the
        saved one when it was computed from the same inputs (see the module), else computed and saved."""
        rev = self.kb.revision() if revision is None else revision
        with self._lock:
            if self._calibration is None or self._calibrated_at != rev:
                self._refresh_voters()
                key = self._calibration_key() if self.calibration_file is not None else ""
                cal = self._load_calibration(key)
                if cal is None:
                    cal = self._calibrate()
                    self._save_calibration(key, cal)
                self._calibration = cal
                self._calibrated_at = rev
            return self._calibration

    def _calibration_key(self) -> str:
        """sha256 over what the calibration is computed from (the index as it is now, the settings, the voters)."""
        idx = self.kb.index()
        h = hashlib.sha256()
        h.update(json.dumps([CALIBRATION_FORMAT, idx.model, idx.dim, idx.kb_revision, len(idx), idx.kind,
                             repr(self.settings), self._ex_keys]).encode())
        h.update(np.ascontiguousarray(self._ex_vectors, dtype=np.float32).tobytes())
        return h.hexdigest()

    def _load_calibration(self, key: str) -> Calibration | None:
        """The saved calibration when its key is ``key``; None when there is none, it is stale or unreadable."""
        if self.calibration_file is None or not key:
            return None
        try:
            data = json.loads(self.calibration_file.read_text(encoding="utf-8"))
            if data.get("key") != key:
                log.debug("saved calibration is stale (the knowledge base, settings or examples changed)")
                return None
            return Calibration(**data["calibration"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            log.warning("saved calibration %s not used: %s", self.calibration_file, e)
            return None

    def _save_calibration(self, key: str, cal: Calibration) -> None:
        """Write ``cal`` under ``key`` (a temporary file renamed over the old one); a failure is logged only."""
        if self.calibration_file is None or not key:
            return
        try:
            self.calibration_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".calibration-", dir=self.calibration_file.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "calibration": asdict(cal)}, fh)
            os.replace(tmp, self.calibration_file)
        except OSError as e:
            log.warning("calibration not saved to %s: %s", self.calibration_file, e)

    def _refresh_voters(self) -> None:
        """Question examples that no KB phrasing covers (nearest phrasing under
        ``uncovered_similarity``) join the voters, for escalation: the classifier knows customers
        ask them, the knowledge base has no answer.

        With ``two_stage`` every question example also votes for the answer label in stage one, and the
        uncovered ones vote in stage two beside the phrasings, each weighing ``(p / q) ** 2`` of a
        phrasing (``p`` phrasings, ``q`` question examples, at most 1): phrasings and question examples
        sample the same questions, and a KB with few phrasings per case would otherwise see nearly every
        example "uncovered" and outvoting its cases. The square was chosen on BANKING77 dev splits (5
        phrasings per case: 0.60 routed at 2% wrong with the plain ratio, 0.69 squared; a quarter of the
        intents missing, at the same threshold: 0.95 of their messages escalated either way). The
        calibration then votes only on phrasings and the examples of the other labels."""
        s = self.settings
        limit = s.uncovered_similarity
        idx = self.kb.index()
        vecs, keys = self._base_vectors, list(self._base_keys)
        self._ex_points = list(range(len(keys)))
        self._unc_vectors, self._unc_keys, self._unc_offset = self._q_vectors[:0], [], 0.0
        self.uncovered_count = 0
        mask = np.zeros(len(self._q_labels), dtype=bool)
        if limit > 0 and len(self._q_labels):
            if len(idx):
                scores, _ = idx.search(self._q_vectors, 1)
                nearest = scores[:, 0]
            else:
                nearest = np.zeros(len(self._q_labels), dtype=np.float32)
            mask = nearest < limit
            self.uncovered_count = int(mask.sum())
        unc_keys = [UNCOVERED + lab for lab, m in zip(self._q_labels, mask, strict=True) if m]
        if s.two_stage:
            vecs = np.vstack([vecs, self._q_vectors])
            keys += [LABEL + self.answer_label] * len(self._q_labels)
            if unc_keys:
                ratio = min(1.0, len(idx) / len(self._q_labels))
                # a weight w is a similarity shift of T ln w in the softmax vote
                self._unc_vectors = np.ascontiguousarray(self._q_vectors[mask], dtype=np.float32)
                self._unc_keys = unc_keys
                self._unc_offset = 2 * s.temperature * float(np.log(max(ratio, 1e-6)))
        elif unc_keys:
            vecs = np.vstack([vecs, self._q_vectors[mask]])
            keys += unc_keys
            self._ex_points = list(range(len(keys)))
        self._ex_vectors, self._ex_keys = np.ascontiguousarray(vecs, dtype=np.float32), keys
        self._speller = self._make_speller() if s.spelling else None

    def _make_speller(self) -> Speller | None:
        """The speller over the KB's phrasings and the classifier's examples, with the encoder's whole
        words as the English it knows; None for an encoder that shows no vocabulary (USE, a pair)."""
        vocabulary = getattr(self.kb.embedder, "vocabulary", None)
        known = vocabulary() if vocabulary is not None else frozenset()
        if not known:
            return None
        return Speller([*self.kb.phrasing_texts(), *self._example_texts], known)

    def _calibrate(self) -> Calibration:
        s = self.settings
        if s.vote_threshold is not None:
            return Calibration(threshold=s.vote_threshold, precision=float("nan"), coverage=float("nan"), points=0)
        ids, vecs = self.kb.index().vectors()
        case_of = self.kb.index().case_of
        rng = np.random.default_rng(0)
        n_ph, n_ex = len(ids), len(self._ex_points)
        total = n_ph + n_ex
        if n_ph == 0:
            return Calibration(threshold=1.0, precision=float("nan"), coverage=0.0, points=0)
        pick = rng.permutation(total)[: s.calibration_sample]
        ph = [int(i) for i in pick if i < n_ph]
        ex = [self._ex_points[int(i) - n_ph] for i in pick if i >= n_ph]
        same = s.two_stage  # a phrasing's own text among the question examples must not vote for it
        points: list[tuple[float, bool]] = []  # (share, correct) for every point whose winner is a case
        votes: list[tuple[Vote, str]] = []  # every vote with its expected key, for the clarify threshold
        for chunk, is_ph in ((ph, True), (ex, False)):
            for start in range(0, len(chunk), 512):
                part = chunk[start : start + 512]
                if not part:
                    continue
                if is_ph:
                    q = vecs[part]
                    cands = self._candidates(q, s.top_k, skip_phrasing=[int(ids[i]) for i in part], skip_same=same)
                    expected = [CASE + case_of[int(ids[i])] for i in part]
                else:
                    q = self._ex_vectors[part]
                    cands = self._candidates(q, s.top_k, skip_example=part, skip_same=same)
                    expected = [self._ex_keys[i] for i in part]
                for c, exp in zip(cands, expected, strict=True):
                    v = self._vote_of(c)
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
            log.debug("vote threshold %.2f from leave-one-out raised to the tuned encoder's held-out %.2f",
                     cal.threshold, s.min_vote_threshold)
            cal = Calibration(threshold=round(s.min_vote_threshold, 2), precision=cal.precision,
                              coverage=cal.coverage, points=cal.points)
        floor, floors = self._scope_floor(vecs, [case_of[int(ids[i])] for i in range(n_ph)], ph)
        cal = replace(cal, scope_floor=floor, case_floors=floors)
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
            for i, c in zip(part, self._candidates(q, s.top_k, idx=idx, searched=searched, skip_same=s.two_stage),
                            strict=True):
                own = CASE + case_of[int(ids[i])]
                v = self._vote_of([x for x in c if x[1] != own])
                if v is not None:
                    out.append((v, UNSEEN))
        return out

    def _scope_floor(self, vecs: np.ndarray, cases: list[str], sample: list[int]) -> tuple[float, dict[str, float]]:
        """The out-of-scope similarity floor: each sampled phrasing's similarity to the nearest other
        phrasing of its own case is what a message of that case looks like to the KB; the floor is the
        (1 - scope_keep) quantile of those, so that scope_keep of in-scope messages clear it and a message
        farther from every phrasing than that is out of scope. With ``scope_by`` "case" there is also one
        floor per case (:meth:`_case_floors`; the KB-wide one is then for a case it has no floor for).
        (0, {}) when the KB has no case with two phrasings or scope_keep is 1 or more."""
        s = self.settings
        if s.scope_keep >= 1 or not sample:
            return 0.0, {}
        if s.scope_by == "case":
            return self._case_floors(vecs, cases)
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
            return 0.0, {}
        return round(float(np.quantile(np.array(nearest), 1 - s.scope_keep)), 4), {}

    def _case_floors(self, vecs: np.ndarray, cases: list[str]) -> tuple[float, dict[str, float]]:
        """One out-of-scope floor per case, relative to that case's own spread: a case whose phrasings sit
        close together (CLINC150's "what is your name") wants a message nearer than a loose one ("tell me
        about my order") before it counts as in scope. Each phrasing's similarity to the nearest other
        phrasing of its case (leave-one-out, at most 300 phrasings a case) is taken relative to the case's
        centre: the median of its case's, shrunk towards the KB-wide median as if ``scope_shrink`` more
        phrasings sat at it (a case of five phrasings is mostly the KB's). The (1 - scope_keep) quantile of
        those relative similarities, added to a case's centre, is that case's floor: ``scope_keep`` of the
        KB's own phrasings clear their case's floor. Returns the KB-wide floor (the median plus the same
        quantile) and the floors by case id. The cost is each case's phrasings against each other (not
        against the whole KB)."""
        s = self.settings
        rng = np.random.default_rng(0)
        members: dict[str, list[int]] = {}
        for i, c in enumerate(cases):
            members.setdefault(c, []).append(i)
        nn: dict[str, np.ndarray] = {}
        for c, rows in members.items():
            if len(rows) < 2:
                continue
            if len(rows) > 300:
                rows = sorted(rng.choice(rows, 300, replace=False).tolist())
            v = vecs[rows]
            sims = v @ v.T
            np.fill_diagonal(sims, -2.0)
            nn[c] = sims.max(axis=1)
        if not nn:
            return 0.0, {}
        every = np.concatenate(list(nn.values()))
        gmed = float(np.median(every))
        k0 = s.scope_shrink
        centre = {c: (len(x) * float(np.median(x)) + k0 * gmed) / (len(x) + k0) for c, x in nn.items()}
        rel = np.concatenate([x - centre[c] for c, x in nn.items()])
        low = float(np.quantile(rel, 1 - s.scope_keep))
        floors = {c: round(centre.get(c, gmed) + low, 4) for c in members}
        return round(gmed + low, 4), floors

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
            if not v.winner.startswith(CASE) or \
                    v.best_case_score < max(s.min_score, cal.floor_of(v.winner[len(CASE):])):
                continue
            options, total = v.options(max_options=s.clarify_max_options, min_share=s.clarify_min_share)
            if options:
                shares.append(total)
                correct.append(exp.startswith(CASE) and exp[len(CASE):] in options)
        if not shares:
            return cal
        c = choose_threshold(np.array(shares), np.array(correct), target=s.clarify_precision, ceiling=1.0)
        if not c.precision >= s.clarify_precision:  # not even a unanimous split holds the right case often enough
            if np.isnan(c.precision):
                log.debug("clarification off: none of %d option sets reaches the goal %.2f", len(shares),
                         s.clarify_precision)
            else:
                log.debug("clarification off: options hold the right case %.2f of the time at best (goal %.2f)",
                         c.precision, s.clarify_precision)
            return replace(cal, clarify_threshold=NEVER, clarify_precision=c.precision, clarify_points=len(shares))
        offered = int((np.array(shares) >= c.threshold).sum())
        return replace(cal, clarify_threshold=c.threshold, clarify_precision=c.precision,
                       clarify_coverage=offered / unanswered if unanswered else 0.0, clarify_points=len(shares))

    # -- decide -----------------------------------------------------------------------------------
