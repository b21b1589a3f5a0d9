"""``aftercare kb lint``: what an editor should fix first in the knowledge base.

Works on the published phrasings' stored vectors (no model call):

- ``near_duplicate``: two cases whose phrasing centroids are nearly the same (merge them);
- ``collision``: phrasings closer to another case's phrasing than to any of their own case's, or
  nearly identical to another case's (similarity >= ``collide_at``): messages like them go to the
  wrong case or get escalated;
- ``thin``: cases with fewer than ``min_phrasings`` phrasings, or whose phrasings, each left out
  in turn, mostly do not route back to them by the nearest-phrasing vote;
- ``unanswered``: questions customers ask (the classifier's question examples, when given) that no
  phrasing is close to (under ``uncovered_similarity``): the bot escalates them. Each names the
  nearest case: add the question to it if its answer fits, or write a case for it.

Issues are ranked by ``severity`` (higher first): duplicates, then collisions by how much closer
the other case is, then thin cases by how often they are missed, then unanswered questions, the
ones nearest a case first (most often a phrasing to add).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from kb.models import Phrasing
from kb.service import KnowledgeBase


@dataclass(frozen=True)
class LintSettings:
    min_phrasings: int = 3
    collide_at: float = 0.9
    duplicate_at: float = 0.9
    min_recall: float = 0.5  # share of a case's left-out phrasings that must route back to it
    top_k: int = 10
    temperature: float = 0.05
    uncovered_similarity: float = 0.8  # the router's: question examples further than this vote to escalate


@dataclass(frozen=True)
class Offending:
    phrasing: str
    other_phrasing: str
    similarity: float  # to the other case's phrasing
    own_best: float  # to the nearest phrasing of its own case (0 when it is the only one)


@dataclass(frozen=True)
class Issue:
    kind: str  # near_duplicate | collision | thin | unanswered
    severity: float
    case_id: str
    other_case: str | None
    detail: str
    phrasings: list[Offending] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LintReport:
    cases: int
    phrasings: int
    issues: list[Issue]

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "phrasings": self.phrasings, "issues": [i.as_dict() for i in self.issues]}


def _texts(kb: KnowledgeBase, ids: np.ndarray) -> dict[int, str]:
    with kb._sessions() as s:  # noqa: SLF001 - the KB's own session factory, read only
        rows = s.execute(select(Phrasing.id, Phrasing.text).where(Phrasing.id.in_([int(i) for i in ids])))
        return {int(i): t for i, t in rows.tuples().all()}


def lint(kb: KnowledgeBase, *, settings: LintSettings | None = None,
         questions: tuple[list[str], np.ndarray] | None = None,
         language_of: Callable[[str], str | None] | None = None,
         reads: Callable[[str], bool] | None = None) -> LintReport:
    """Check the knowledge base; the issues come worst first.

    ``questions``: texts and unit vectors of questions customers ask (the classifier's examples of
    the answering label), checked for a case that covers them. ``language_of``: the language a
    phrasing is written in (None when unclear); when given, phrasings are compared only with phrasings
    of the same language (unclear ones form one group), so that a case's Korean phrasings neither
    blur its English centroid nor collide with another case's English ones under an encoder that
    reads one language only. Without it every phrasing is in one group. ``reads``: whether the KB's encoder
    reads a text (None: all); a phrasing or question it does not read (Korean under an English-only encoder,
    whose vectors of Hangul are unknown tokens alike) is left out of the checks on vectors (duplicates,
    collisions, leave-one-out routing, unanswered questions) and counts only towards ``min_phrasings``."""
    s = settings or LintSettings()
    idx = kb.index()
    ids, vecs = idx.vectors()
    if len(ids) == 0:
        return LintReport(cases=0, phrasings=0, issues=[])
    case_of = [idx.case_of[int(i)] for i in ids]
    cases = sorted(set(case_of))
    cidx = {c: j for j, c in enumerate(cases)}
    owner = np.array([cidx[c] for c in case_of])
    text_of = _texts(kb, ids)
    n = len(ids)
    issues: list[Issue] = []
    langs = [(language_of(text_of.get(int(i), "")) if language_of else None) or "" for i in ids]
    lang_ids = {lang: j for j, lang in enumerate(sorted(set(langs)))}
    group = np.array([lang_ids[lang] for lang in langs])
    readable = np.array([reads(text_of.get(int(i), "")) if reads else True for i in ids], dtype=bool)

    # near-duplicate cases: centroid similarity, per language group (the closest group decides)
    best_csim = np.full((len(cases), len(cases)), -np.inf, dtype=np.float32)
    for g in range(len(lang_ids)):
        members = (group == g) & readable
        cent = np.zeros((len(cases), vecs.shape[1]), dtype=np.float32)
        np.add.at(cent, owner[members], vecs[members])
        present = np.linalg.norm(cent, axis=1) > 0
        cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-9)
        csim = cent @ cent.T
        csim[~present, :] = -np.inf
        csim[:, ~present] = -np.inf
        best_csim = np.maximum(best_csim, csim)
    for a, b in zip(*np.nonzero(np.triu(best_csim, 1) >= s.duplicate_at), strict=True):
        issues.append(Issue(kind="near_duplicate", severity=round(3.0 + float(best_csim[a, b]), 4),
                            case_id=cases[a], other_case=cases[b],
                            detail=f"centroid similarity {best_csim[a, b]:.2f}: merge the cases "
                            "or make their phrasings tell them apart"))

    # collisions and leave-one-out routing, in chunks of the similarity matrix
    collisions: dict[tuple[str, str], list[Offending]] = defaultdict(list)
    routed_home = np.zeros(n, dtype=bool)
    for start in range(0, n, 1024):
        sims = vecs[start : start + 1024] @ vecs.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf  # leave the phrasing itself out
        sims[group[start : start + 1024][:, None] != group[None, :]] = -np.inf  # other languages
        sims[:, ~readable] = -np.inf  # phrasings the encoder does not read are no neighbours
        sims[~readable[start : start + 1024], :] = -np.inf  # and are not judged
        own = owner[start : start + 1024]
        same = owner[None, :] == own[:, None]
        own_best = np.where(same, sims, -np.inf).max(axis=1)
        other = np.where(same, -np.inf, sims)
        other_j = other.argmax(axis=1)
        other_best = other[rows, other_j]
        k = min(s.top_k, n - 1)
        if k > 0:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            top_s = np.take_along_axis(sims, top, axis=1)
            with np.errstate(invalid="ignore"):
                w = np.exp((top_s - top_s.max(axis=1, keepdims=True)) / s.temperature)
            w[~np.isfinite(top_s) | ~np.isfinite(w)] = 0.0
            for r in range(sims.shape[0]):
                votes = np.bincount(owner[top[r]], weights=w[r], minlength=len(cases))
                routed_home[start + r] = int(votes.argmax()) == own[r]
        lone = ~np.isfinite(other_best)  # no other case has a phrasing in this language
        for hit in np.nonzero(~lone & ((other_best > own_best) | (other_best >= s.collide_at)))[0]:
            r = int(hit)
            i, j = start + r, int(other_j[r])
            ob = float(own_best[r]) if np.isfinite(own_best[r]) else 0.0
            collisions[(case_of[i], case_of[j])].append(Offending(
                phrasing=text_of.get(int(ids[i]), ""), other_phrasing=text_of.get(int(ids[j]), ""),
                similarity=round(float(other_best[r]), 4), own_best=round(ob, 4)))
    for (c, d), offs in collisions.items():
        offs.sort(key=lambda o: -(o.similarity - o.own_best))
        worst = max(max(o.similarity - o.own_best, 0.0) + (0.1 if o.similarity >= s.collide_at else 0.0)
                    for o in offs)
        share = len(offs) / int((owner == cidx[c]).sum())
        issues.append(Issue(kind="collision", severity=round(2.0 + min(0.99, worst + 0.1 * share), 4), case_id=c,
                            other_case=d, detail=f"{len(offs)} phrasing(s) of {c!r} sit closer to {d!r}: reword "
                            "or move them", phrasings=offs))

    # thin cases
    for c in cases:
        members = np.nonzero(owner == cidx[c])[0]
        judged = members[readable[members]]
        recall = float(routed_home[judged].mean()) if len(judged) > 1 else \
            1.0 if len(members) > 1 and len(judged) == 0 else 0.0  # none read: not judged by its vectors
        reasons = []
        if len(members) < s.min_phrasings:
            reasons.append(f"only {len(members)} phrasing(s) (want at least {s.min_phrasings})")
        if recall < s.min_recall:
            reasons.append(f"left out in turn, {recall:.0%} of its phrasings route back to it")
        if reasons:
            issues.append(Issue(kind="thin", severity=round(1.0 + (1.0 - recall) * 0.99, 4), case_id=c,
                                other_case=None, detail="; ".join(reasons) + ": add customer phrasings",
                                phrasings=[Offending(text_of.get(int(ids[m]), ""), "", 0.0, 0.0) for m in members]))
    if questions is not None and len(questions[0]) and s.uncovered_similarity > 0 and readable.any():
        keep = [k for k, text in enumerate(questions[0]) if reads is None or reads(text)]
        read = np.nonzero(readable)[0]
        issues += _unanswered(([questions[0][k] for k in keep], questions[1][keep]), vecs[read], ids[read],
                              [case_of[int(j)] for j in read], text_of, s.uncovered_similarity)
    issues.sort(key=lambda i: (-i.severity, i.case_id, i.other_case or ""))
    return LintReport(cases=len(cases), phrasings=n, issues=issues)


def _unanswered(questions: tuple[list[str], np.ndarray], vecs: np.ndarray, ids: np.ndarray, case_of: list[str],
                text_of: dict[int, str], limit: float) -> list[Issue]:
    texts, qvecs = questions
    out: list[Issue] = []
    seen: set[str] = set()
    for start in range(0, len(texts), 1024):
        sims = np.asarray(qvecs[start : start + 1024], dtype=np.float32) @ vecs.T
        best = sims.argmax(axis=1)
        for r, j in enumerate(best):
            text, sim = texts[start + r], float(sims[r, j])
            if sim >= limit or text in seen:
                continue
            seen.add(text)
            case = case_of[int(j)]
            out.append(Issue(kind="unanswered", severity=round(0.5 + 0.49 * max(0.0, sim), 4), case_id=case,
                             other_case=None,
                             detail=f"customers ask {text!r} and the bot escalates it (nearest phrasing "
                                    f"{sim:.2f} < {limit:.2f}): add it to {case!r} if that answer fits, "
                                    "or write a case for it",
                             phrasings=[Offending(text, text_of.get(int(ids[int(j)]), ""), round(sim, 4), 0.0)]))
    return out
