"""Where the knowledge base falls short, for the people who fill it: what customers asked that the bot
handed to a person, and answers customers said did not help, so that editors write the missing cases
or fix the weak ones (the console's Unanswered page, ``aftercare kb unanswered``); and solved cases
suggested to agents on a ticket's page.

Questions come from tickets of the answering label (a question the bot was not sure of, or that no case
covers) in the period; each is decided again against today's knowledge base, so that questions a case
answers now drop off the list (decided without the placeholders of scrubbed data, which would make two
questions alike). Identical questions are counted once. Texts are scrubbed of personal data
(e-mail addresses, phone, card and account numbers) before an editor sees them or adds them to a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import Aftercare
from bot.feedback import AnswerFeedback
from bot.proposals import scrub
from classifier.router import Decision
from handoff.models import Message, Ticket
from kb.errors import KBError
from kb.scrub import PLACEHOLDER


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

    def as_dict(self) -> dict[str, Any]:
        """The page as JSON-ready data (times in ISO 8601, UTC)."""
        return {
            "since": self.since.isoformat(), "answered_now": self.answered_now,
            "questions": [{"text": q.text, "asked": q.asked, "last_at": q.last_at.isoformat(), "ticket": q.ticket,
                           "nearest": q.nearest, "score": q.score, "reason": q.reason, "similar": list(q.similar)}
                          for q in self.questions],
            "not_helpful": [{"question": h.question, "case_id": h.case_id, "at": h.at.isoformat()}
                            for h in self.not_helpful],
        }


@dataclass(frozen=True)
class Suggestion:
    case_id: str
    score: float
    phrasing: str  # its phrasing nearest the customer's words
    answer: str


def suggested_cases(ac: Aftercare, subject: str, customer_texts: list[str], *, min_score: float,
                    k: int = 3, language: str = "") -> list[Suggestion]:
    """Published cases near what the customer wrote on a ticket (its first message and the latest two),
    best first: an agent may answer with one, or adapt it. Each answer is in the customer's ``language``
    (the ticket's) when the case has it, as "Send this answer" sends it; else the case's own answer."""
    if min_score >= 1:
        return []
    texts = list(dict.fromkeys(t.strip() for t in [subject, *customer_texts[-2:]] if t.strip()))
    if not texts:
        return []
    best: dict[str, tuple[float, str]] = {}
    for st, vec in ac.routed(texts):  # a Korean message searched with the encoder Korean routes to
        for h in st.kb.search_vector(vec, k):
            if h.score >= min_score and h.score > best.get(h.case_id, (-1.0, ""))[0]:
                best[h.case_id] = (h.score, h.phrasing)
    out = []
    for cid, (score, phrasing) in sorted(best.items(), key=lambda kv: -kv[1][0])[:k]:
        try:
            case = ac.kb.get(cid)
            out.append(Suggestion(cid, round(score, 2), phrasing, case.translations.get(language) or case.answer))
        except KBError:  # retired or removed since the index was read
            continue
    return out


# questions at least this similar (cosine) are shown as one, with the other wordings under it
SAME_QUESTION = 0.85


def without_placeholders(text: str) -> str:
    """``text`` (scrubbed) without the placeholders of scrubbed personal data (:data:`kb.scrub.PLACEHOLDER`),
    spaces collapsed; ``text`` itself when nothing else is left."""
    return " ".join(PLACEHOLDER.sub(" ", text).split()) or text


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def unanswered(ac: Aftercare, *, days: int = 30, limit: int = 200) -> UnansweredPage:
    since = ac.clock() - timedelta(days=days)
    with ac.sessions() as s:
        groups = _escalated_questions(s, ac.router().answer_label, since, limit)
        not_helpful = _not_helpful(s, since, limit)
    answered_now = 0
    # (key, encoder, vector, decision) the bot still escalates; each decided as the pipeline decides it, by
    # the encoder and router its language routes to
    open_rows: list[tuple[str, str, np.ndarray, Decision]] = []
    if groups:
        keys = list(groups)
        # decided without the placeholders of scrubbed data: "[phone] ... [resident number]" in a question and
        # in a case's phrasing is no likeness of what they ask (the question was escalated, and is listed)
        texts = [without_placeholders(groups[k][0][0]) for k in keys]
        for k, text, (st, vec) in zip(keys, texts, ac.routed(texts), strict=True):
            d = st.router().decide(text, vec)
            if d.action == "answer":
                answered_now += 1
            else:
                open_rows.append((k, st.embedder.name, vec, d))
    questions = [_question(groups, members, d) for members, d in _same_questions(open_rows, groups)]
    questions.sort(key=lambda q: (-q.asked, -q.last_at.timestamp()))
    return UnansweredPage(questions=questions, answered_now=answered_now, not_helpful=not_helpful, since=since)


Asked = dict[str, list[tuple[str, str, datetime]]]  # normalised text -> (scrubbed text, ticket, created), newest first


def _escalated_questions(s: Session, label: str, since: datetime, limit: int) -> Asked:
    """Tickets of the answering label since ``since``, grouped by identical (scrubbed) text."""
    rows = s.execute(
        select(Ticket.public_id, Ticket.subject, Ticket.created_at)
        .where(Ticket.label == label, Ticket.created_at >= since, Ticket.merged_into_id.is_(None))
        .order_by(Ticket.id.desc())
        .limit(limit * 5)
    ).all()
    groups: Asked = {}
    for public_id, subject, created_at in rows:
        text = scrub(subject.strip())
        if text and (len(groups) < limit or _key(text) in groups):
            groups.setdefault(_key(text), []).append((text, public_id or "", created_at))
    return groups


def _same_questions(rows: list[tuple[str, str, np.ndarray, Decision]],
                    groups: Asked) -> list[tuple[list[str], Decision]]:
    """Most asked first; a question at least SAME_QUESTION similar to one already kept, by the same encoder,
    joins it as another wording (vectors of two encoders are not comparable, even of one length). Each
    group: its keys (the first is shown) and the first one's decision."""
    kept: list[tuple[str, np.ndarray, list[str], Decision]] = []
    for k, model, vec, d in sorted(rows, key=lambda r: -len(groups[r[0]])):
        sims = [float(vec @ rep) if m == model else -1.0 for m, rep, _, _ in kept]
        if sims and max(sims) >= SAME_QUESTION:
            kept[int(np.argmax(sims))][2].append(k)
        else:
            kept.append((model, vec, [k], d))
    return [(members, d) for _, _, members, d in kept]


def _question(groups: Asked, members: list[str], d: Decision) -> Question:
    rows = [row for m in members for row in groups[m]]
    latest = max(rows, key=lambda r: r[2])
    nearest = d.case_id or (d.hits[0].case_id if d.hits else None)
    score = d.score or (d.hits[0].score if d.hits else 0.0)
    return Question(text=groups[members[0]][0][0], asked=len(rows), last_at=latest[2], ticket=latest[1],
                    nearest=nearest, score=round(float(score), 2), reason=d.reason,
                    similar=tuple(groups[m][0][0] for m in members[1:]))


def _not_helpful(s: Session, since: datetime, limit: int) -> list[NotHelpful]:
    """Answers marked "Talk to a person" since ``since``, with the customer message each replied to."""
    verdicts = s.execute(
        select(AnswerFeedback.message_id, AnswerFeedback.at)
        .where(AnswerFeedback.value == "human", AnswerFeedback.at >= since)
        .order_by(AnswerFeedback.id.desc())
        .limit(limit)
    ).all()
    answers = {m.id: m for m in s.scalars(select(Message).where(Message.id.in_([v[0] for v in verdicts])))}
    out = []
    for mid, at in verdicts:
        m = answers.get(mid)
        if m is None:
            continue
        asked = s.scalar(select(Message.text).where(Message.conversation_id == m.conversation_id, Message.id < mid,
                                                    Message.author == "customer").order_by(Message.id.desc()).limit(1))
        out.append(NotHelpful(question=scrub(asked or ""), case_id=str((m.meta or {}).get("case_id") or ""),
                              at=at))
    return out
