"""Where the knowledge base falls short, for the people who fill it: what customers asked that the bot
handed to a person, and answers customers said did not help, so that editors write the missing cases
or fix the weak ones (the console's Unanswered page, ``aftercare kb unanswered``); and solved cases
suggested to agents on a ticket's page.

Questions come from tickets of the answering label (a question the bot was not sure of, or that no case
covers) in the period; each is decided again against today's knowledge base, so that questions a case
answers now drop off the list. Identical questions are counted once. Texts are scrubbed of personal data
(e-mail addresses, phone, card and account numbers) before an editor sees them or adds them to a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from bot.app import Aftercare
from bot.outbox_models import AnswerFeedback
from bot.proposals import scrub
from classifier.router import Decision
from handoff.models import Message, Ticket
from kb.errors import KBError


@dataclass(frozen=True)
class Question:
    """A question the bot escalated, as it would be decided today."""

    text: str  # scrubbed
    asked: int  # times asked in the period (identical texts)
    last_at: datetime
    ticket: str  # public id of the latest ticket
    nearest: str | None  # the case the neighbours lean to, if any
    score: float  # similarity of its best phrasing
    reason: str  # why the bot escalates it today
    similar: tuple[str, ...] = ()  # other wordings of the same question, counted in ``asked``


@dataclass(frozen=True)
class NotHelpful:
    """A bot answer the customer said did not help."""

    question: str  # scrubbed customer message the answer replied to
    case_id: str
    at: datetime


@dataclass(frozen=True)
class UnansweredPage:
    questions: list[Question]
    answered_now: int  # escalated questions that a case answers today
    not_helpful: list[NotHelpful]
    since: datetime


@dataclass(frozen=True)
class Suggestion:
    case_id: str
    score: float
    phrasing: str  # its phrasing nearest the customer's words
    answer: str


def suggested_cases(ac: Aftercare, subject: str, customer_texts: list[str], *, min_score: float,
                    k: int = 3) -> list[Suggestion]:
    """Published cases near what the customer wrote on a ticket (its first message and the latest two),
    best first: an agent may answer with one, or adapt it."""
    if min_score >= 1:
        return []
    texts = list(dict.fromkeys(t.strip() for t in [subject, *customer_texts[-2:]] if t.strip()))
    if not texts:
        return []
    best: dict[str, tuple[float, str]] = {}
    for vec in ac.embedder.encode(texts):
        for h in ac.kb.search_vector(vec, k):
            if h.score >= min_score and h.score > best.get(h.case_id, (-1.0, ""))[0]:
                best[h.case_id] = (h.score, h.phrasing)
    out = []
    for cid, (score, phrasing) in sorted(best.items(), key=lambda kv: -kv[1][0])[:k]:
        try:
            out.append(Suggestion(cid, round(score, 2), phrasing, ac.kb.get(cid).answer))
        except KBError:  # retired or removed since the index was read
            continue
    return out


# questions at least this similar (cosine) are shown as one, with the other wordings under it
SAME_QUESTION = 0.85


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def unanswered(ac: Aftercare, *, days: int = 30, limit: int = 200) -> UnansweredPage:
    since = ac.handoff.now() - timedelta(days=days)
    router = ac.router()
    with ac.sessions() as s:
        tickets = s.execute(
            select(Ticket.public_id, Ticket.subject, Ticket.created_at)
            .where(Ticket.label == router.answer_label, Ticket.created_at >= since, Ticket.merged_into_id.is_(None))
            .order_by(Ticket.id.desc())
            .limit(limit * 5)
        ).all()
        verdicts = s.execute(
            select(AnswerFeedback.message_id, AnswerFeedback.at)
            .where(AnswerFeedback.value == "human", AnswerFeedback.at >= since)
            .order_by(AnswerFeedback.id.desc())
            .limit(limit)
        ).all()
        answers = {m.id: m for m in s.scalars(select(Message).where(Message.id.in_([v[0] for v in verdicts])))}
        asked_before: dict[int, str] = {}
        for mid, m in answers.items():
            prev = s.scalar(select(Message).where(Message.conversation_id == m.conversation_id, Message.id < mid,
                                                  Message.author == "customer").order_by(Message.id.desc()).limit(1))
            asked_before[mid] = prev.text if prev is not None else ""
    groups: dict[str, list[tuple[str, str, datetime]]] = {}
    for public_id, subject, created_at in tickets:
        text = scrub(subject.strip())
        if text:
            groups.setdefault(_key(text), []).append((text, public_id or "", created_at))
    keys = list(groups)[:limit]
    answered_now = 0
    open_rows: list[tuple[str, np.ndarray, Decision]] = []  # (key, vector, decision) the bot still escalates
    if keys:
        vectors = ac.embedder.encode([groups[k][0][0] for k in keys])
        for k, vec in zip(keys, vectors, strict=True):
            d = router.decide(groups[k][0][0], vec)
            if d.action == "answer":
                answered_now += 1
            else:
                open_rows.append((k, vec, d))
    # most asked first; a question close enough to one already kept joins it as another wording
    open_rows.sort(key=lambda r: -len(groups[r[0]]))
    kept: list[tuple[np.ndarray, list[str]]] = []  # representative vector, keys joined
    for k, vec, _ in open_rows:
        sims = [float(vec @ rep) for rep, _ in kept]
        if sims and max(sims) >= SAME_QUESTION:
            kept[int(np.argmax(sims))][1].append(k)
        else:
            kept.append((vec, [k]))
    decided = {k: d for k, _, d in open_rows}
    questions: list[Question] = []
    for _, members in kept:
        head, d = members[0], decided[members[0]]
        rows = [row for m in members for row in groups[m]]
        latest = max(rows, key=lambda r: r[2])
        nearest = d.case_id or (d.hits[0].case_id if d.hits else None)
        score = d.score or (d.hits[0].score if d.hits else 0.0)
        questions.append(Question(text=groups[head][0][0], asked=len(rows), last_at=latest[2], ticket=latest[1],
                                  nearest=nearest, score=round(float(score), 2), reason=d.reason,
                                  similar=tuple(groups[m][0][0] for m in members[1:])))
    questions.sort(key=lambda q: (-q.asked, -q.last_at.timestamp()))
    not_helpful = [
        NotHelpful(question=scrub(asked_before.get(mid, "")),
                   case_id=str((answers[mid].meta or {}).get("case_id") or ""), at=at)
        for mid, at in verdicts
        if mid in answers
    ]
    return UnansweredPage(questions=questions, answered_now=answered_now, not_helpful=not_helpful, since=since)
