"""What every branch of a message's flow uses: record the bot's reply, answer from a solved case in the
customer's language, say "added to your ticket", the team's hours for the escalation texts, "did the
bot just ask this" (ask-once questions) and the label of "a person takes it"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import numpy as np

from bot.messages import Outcome, Reply
from bot.replies import LANGUAGES, Replies
from classifier.language import guess_language
from classifier.off_topic import OFF_TOPIC, OffTopic
from classifier.readings import BILLING, asks_refund, corrects, courtesy_shorthand, names_fault, opening_left_out
from classifier.router import Decision, Router, Why
from handoff.clock import as_utc
from handoff.models import MessageKind
from handoff.service import Handoff
from handoff.views import TicketView
from kb.embedder import Embedder
from kb.service import CaseView, KnowledgeBase


def answer_for(case: CaseView, language: str) -> tuple[str, str | None]:
    """The case's answer for a customer writing in ``language``: its ``answer_<language>`` when it has
    one, else its own answer; and the language that answer is in when it is not ``language`` (the
    reply then says so, in the customer's language), else None."""
    if language in case.translations:
        return case.translations[language], None
    own = guess_language(case.answer)
    if own is None or own == language:
        return case.answer, None
    return case.answer, own


# decisions an off-topic message may have had: no case answers it, and nothing but its words' nearness led
OFF_TOPIC_MAY_BE = (Why.UNSURE, Why.OUT_OF_SCOPE, Why.TOO_FAR, Why.UNCOVERED, Why.LABEL, Why.WEAK_REPLY)
# the vote share of a case leading an unsure vote at which the case covers the message: never off-topic then
COVERED_SHARE = 0.5
# how long after an answer the same case's answer counts as "sent again" rather than asked for anew
REPEAT_WINDOW = timedelta(hours=2)
# a follow-up that opens pleased asks more of the answer, it does not say it failed
_PLEASED = re.compile(r"^\W*((great|thanks|thank you|thx|perfect|awesome|cool|nice|got it|ok(ay)?|good|excellent)\b|"
                      r"좋아요|좋네요|감사|고마워|알겠|네 ?알|오 ?좋)"
                      r"(?![^.?!]*\b(but|however|not|didn'?t|doesn'?t)\b)"
                      r"(?![^.?!]*(근데|하지만|안 ?돼|안 ?되))", re.IGNORECASE)


def dmeta(d: Decision) -> dict:
    """A decision as stored on the bot's reply (label, confidence, case, reason, why)."""
    return {"label": d.label, "confidence": d.confidence, "case_id": d.case_id, "reason": d.reason, "why": d.why}


class Steps:
    """The parts of a desk a message's flow works with, and the steps every branch shares.

    ``router`` gives the current router (it is reloaded when the model changes); ``route(text)`` the
    encoder and router that decide ``text`` (Korean to the multilingual pair). ``answer_feedback``
    records a customer's verdict on a bot message (channel, customer, message id, value) and returns
    whether it was the first; ``verdict_of`` reads it back."""

    def __init__(self, *, kb: KnowledgeBase, handoff: Handoff, replies: Replies, router: Callable[[], Router],
                 route: Callable[[str], tuple[Embedder, Callable[[], Router]]], transcript_messages: int,
                 answer_feedback: Callable[[str, str, int, str], bool] | None,
                 verdict_of: Callable[[int], str | None] | None) -> None:
        self.kb = kb
        self.handoff = handoff
        self.replies = replies
        self.router = router
        self.route = route
        self.transcript_messages = transcript_messages
        self.answer_feedback = answer_feedback
        self.verdict_of = verdict_of
        self.off_topic = OffTopic()

    def reply(self, conv: int, text: str, *, ticket_id: int | None = None, meta: dict | None = None,
              key: str = "") -> int:
        """Store the bot's reply ``text`` in conversation ``conv`` (under ``<key>#reply``); its message id."""
        return self.handoff.record(conv, "bot", text, ticket_id=ticket_id, meta=meta or {},
                                   key=f"{key}#reply" if key else "").id

    def answer(self, conv: int, d: Decision, message_id: int, *, key: str = "", lang: str = "",
               ticket: TicketView | None = None, text: str = "") -> Outcome:
        """Answer with case ``d.case_id`` in the conversation's language ``lang``; a message ``text`` clearly
        in a language with only an answer template (French, German...: bot/templates/<language>) gets the
        case's answer in that language if it has one, else its answer introduced in that language."""
        assert d.case_id is not None
        case = self.kb.answering(d.case_id)
        lang = lang or self.replies.language
        said = guess_language(text) if text else None
        if said not in LANGUAGES and self.replies.introduces(said):
            answer, answer_language = answer_for(case, str(said))
            out = self.replies.render_in(str(said), "answer", answer=answer, case=case,
                                         answer_language=answer_language)
        else:
            answer, answer_language = answer_for(case, lang)
            out = self.replies.render("answer", answer=answer, case=case, answer_language=answer_language,
                                      language=lang)
        self.reply(conv, out, ticket_id=ticket.id if ticket else None,
                   meta={**dmeta(d), "kind": MessageKind.ANSWER}, key=key)
        return Outcome(replies=[Reply(out, case_id=case.id)], action="answer", label=d.label,
                       confidence=d.confidence, case_id=case.id, reason=d.reason, message_id=message_id,
                       ticket_id=ticket.public_id if ticket else None)

    def decide(self, text: str) -> Decision:
        """The decision on ``text`` alone, by the encoder and router its language routes to; changes nothing."""
        return self.decide_with_vector(text)[0]

    def decide_with_vector(self, text: str, vector: np.ndarray | None = None) -> tuple[Decision, np.ndarray]:
        """The decision on ``text`` and the vector it was decided on (the encoder's, shape (dimension,)), by the
        encoder and router its language routes to (``vector``: ``text``'s, already encoded by that encoder, as an
        evaluation encodes in batches); changes nothing. An opening that carries no question
        ("안녕하세요. 문의드립니다.", "Hi there, quick question.", "아니 그거 말고") is left out when a later part
        says what the message is about (:func:`classifier.readings.opening_left_out`); a request for money back
        that states no fault goes to billing (:meth:`refund`)."""
        read = opening_left_out(text)
        encoder, router = self.route(read)
        vec = vector if vector is not None and read == text else encoder.encode([read])[0]
        d = router().decide(read, vec)
        if read != text:
            d = replace(d, reason=f"{d.reason} (read without its opening: {read!r})")
        if corrects(text) and d.action == "escalate" and d.why is not Why.ASKS_PERSON and not names_fault(read):
            # "아니 그거 말고 앱 업데이트요": what the customer meant is a subject to ask about, no fault to report
            r = router()
            spec = r.labels.get(d.label)
            if spec is not None and d.label != r.settings.human_label and spec.priority in ("high", "urgent"):
                d = r.retarget(d, "escalate", r.answer_label,
                               reason=f"corrects the bot and names a subject, no fault: a question ({d.reason})")
        d = self.refund(text, d)
        if self._off_topic(text, d, encoder, vec):
            d = router().retarget(d, "reply", OFF_TOPIC, why=Why.OFF_TOPIC, options=(), case_id=None,
                                  reason=f"about something else than the products and services, no case covers it: "
                                         f"told what the desk answers and how to reach a person ({d.reason})")
        return d, vec

    def _off_topic(self, text: str, d: Decision, encoder: Embedder, vec: np.ndarray) -> bool:
        """Whether ``text`` (decided as ``d`` on ``vec``, ``encoder``'s) is about something else than the products
        and services ("what's the weather in Seoul", "농담 하나 해줘"): no case answers it, it names no fault, asks
        no refund and no person, it is nearer an off-topic message than any case's phrasing or any training
        example (:class:`classifier.off_topic.OffTopic`), and no case answers that off-topic message itself."""
        router = self.router()
        if d.why is Why.UNSURE and d.case_id is not None and d.confidence >= COVERED_SHARE:
            return False  # a case leads the vote, unsure: it covers the message ("will it be sunny" to a weather case)
        if d.action not in ("escalate", "reply") or d.why not in OFF_TOPIC_MAY_BE or d.urgency != "normal" \
                or d.label == router.settings.human_label or names_fault(text) or asks_refund(text) \
                or courtesy_shorthand(text) is not None:
            return False
        decider = self.route(text)[1]()
        vectors = decider.model.vectors
        nearest_example = float(np.max(vectors @ vec)) if len(vectors) else 0.0
        nearest_case = max((h.score for h in d.hits), default=0.0)
        if not self.off_topic.reads(encoder, vec, nearest_case=nearest_case, nearest_example=nearest_example):
            return False
        # a knowledge base with a case for the topic (a weather case, a jokes case) answers the nearest off-topic
        # message itself: the message is its case's to answer or escalate, never "not what this desk does"
        _, like, like_vec = self.off_topic.nearest(encoder, vec)
        return like_vec is not None and decider.decide(like, like_vec).action not in ("answer", "clarify")

    def refund(self, text: str, d: Decision) -> Decision:
        """``d`` for a message ``text`` asking for money back ("환불해 주세요", "can I get my money back?") that no
        case answers: escalated as ``billing`` at that label's priority (raised by urgency as any other), not as
        the fault or complaint its neighbours lean to; ``d`` itself when ``text`` also states a fault ("환불해
        주세요 카메라가 고장났어요"), asks for a person, or asks no refund."""
        if d.action != "escalate" or d.why in (Why.ASKS_PERSON, Why.LANGUAGE, Why.ERROR) or not asks_refund(text) \
                or names_fault(text):
            return d
        router = self.router()
        label = BILLING if BILLING in router.labels else router.answer_label
        return router.retarget(d, "escalate", label, reason=f"asks for a refund, no fault stated: {label} ({d.reason})")

    def answers_text(self, asked: list[tuple[str, Decision]], *, lang: str = "",
                     about_bot: list[str] | None = None) -> str:
        """The text answering each of ``asked`` = [(question, decision with action answer)] under its question,
        in language ``lang`` (each case's answer in it when it has one); ``about_bot``: questions asking
        whether this is a bot ("are you a bot?"), told so first, under their own words."""
        lang = lang or self.replies.language
        parts = [(q, self.replies.render("label_about_bot", language=lang)) for q in about_bot or []]
        for question, d in asked:
            assert d.case_id is not None
            case = self.kb.answering(d.case_id)
            answer, answer_language = answer_for(case, lang)
            parts.append((question, self.replies.render("answer", answer=answer, case=case,
                                                        answer_language=answer_language, language=lang)))
        return self.replies.render("answers", parts=parts, language=lang)

    def answer_several(self, conv: int, asked: list[tuple[str, Decision]], message_id: int, *, key: str = "",
                       lang: str = "", about_bot: list[str] | None = None) -> Outcome:
        """One reply answering each of the questions one message asked, ``asked`` = [(question, decision with
        action answer)], each answer under its question, in the conversation's language ``lang`` (each case's
        answer in that language when it has one), after telling ``about_bot`` questions ("are you a bot?")
        what they talk to; the reply's feedback counts for the first case."""
        lang = lang or self.replies.language
        out = self.answers_text(asked, lang=lang, about_bot=about_bot)
        first = asked[0][1]
        cases = [d.case_id for _, d in asked]
        reason = "the message asks " + ", ".join([*(f"{q!r} (about the bot)" for q in about_bot or []),
                                                  *(f"{q!r} ({d.case_id})" for q, d in asked)]) + ": each answered"
        self.reply(conv, out, meta={**dmeta(first), "kind": MessageKind.ANSWER, "case_ids": cases, "reason": reason},
                   key=key)
        return Outcome(replies=[Reply(out, case_id=first.case_id)], action="answer", label=first.label,
                       confidence=min(d.confidence for _, d in asked), case_id=first.case_id, reason=reason,
                       message_id=message_id)

    def person_answering(self, ticket: TicketView) -> bool:
        """Whether a person has written to the customer on ``ticket`` since it was last resolved (or
        opened): the customer is talking with them, and "added to your ticket" would only interrupt."""
        person = False
        for m in self.handoff.transcript(ticket.id):
            if m.author == "system" and m.kind is MessageKind.RESOLVED:
                person = False  # a new round after the resolution
            elif m.author == "agent":
                person = True
        return person

    def joined(self, conv: int, ticket: TicketView, message_id: int | None, *, key: str = "",
               lang: str = "") -> Outcome:
        """The message joined the open ticket: "added to your ticket", every time, on every channel,
        until a person writes on the ticket; from then on the message joins without a word from the
        bot (nothing is recorded that the customer would not see)."""
        if self.person_answering(ticket):
            return Outcome(replies=[], action="joined", ticket_id=ticket.public_id, message_id=message_id,
                           reason="an open ticket holds this conversation; a person is answering it")
        out = self.replies.render("joined", ticket_id=ticket.public_id, language=lang or None)
        self.reply(conv, out, ticket_id=ticket.id, key=key)
        return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined",
                       ticket_id=ticket.public_id, reason="an open ticket holds this conversation",
                       message_id=message_id)

    def team_hours(self, team: str, *, ticket: TicketView | None = None) -> dict[str, str | bool]:
        """For the escalation templates: ``back_at`` ("Monday at 09:00 (Europe/Berlin)") and
        ``back_at_local`` ("2026-03-02 09:00 Europe/Berlin"), and ``back_at_ko`` as ``back_at`` says it in
        Korean ("월요일 09:00(Europe/Berlin)") when the ticket's team is outside its business hours now;
        empty strings otherwise. With ``ticket``: also ``critical`` (its priority or impact is critical) and
        ``on_call`` (``sla.on_call``: someone takes critical tickets out of hours)."""
        desk = self.handoff.desk
        critical = ticket is not None and desk.critical(ticket.priority, ticket.impact)
        about: dict[str, str | bool] = {"critical": critical, "on_call": desk.on_call}
        local = self.handoff.team_back_at(team)
        if local is None or local.tzinfo is None:
            return {"back_at": "", "back_at_local": "", "back_at_ko": "", **about}
        tz_name = str(local.tzinfo)
        today = self.handoff.now().astimezone(local.tzinfo).date()
        days = (local.date() - today).days
        day = "today" if days == 0 else "tomorrow" if days == 1 else local.strftime("%A") if days < 7 \
            else local.strftime("%A %d %B").replace(" 0", " ")
        weekday = "월화수목금토일"[local.weekday()] + "요일"
        day_ko = "오늘" if days == 0 else "내일" if days == 1 else weekday if days < 7 \
            else f"{local.month}월 {local.day}일 {weekday}"
        return {"back_at": f"{day} at {local:%H:%M} ({tz_name})", "back_at_local": f"{local:%Y-%m-%d %H:%M} {tz_name}",
                "back_at_ko": f"{day_ko} {local:%H:%M}({tz_name})", **about}

    def answered_right_before(self, conv: int, message_id: int, case_id: str, text: str) -> bool:
        """Whether the bot's message right before ``message_id`` answered with ``case_id`` (alone or among
        the answers to several questions) within ``REPEAT_WINDOW``, and ``text`` does not open with thanks or
        praise ("great, and how far can it see at night?" asks more of the same case; the answer again is
        what it needs). The same question days later is answered again."""
        prev = self.handoff.message_before(conv, message_id)
        if prev is None or prev.author != "bot" or prev.kind is not MessageKind.ANSWER:
            return False
        if prev.meta.get("case_id") != case_id and case_id not in (prev.meta.get("case_ids") or ()):
            return False
        if self.handoff.now() - as_utc(prev.created_at) > REPEAT_WINDOW:
            return False
        return not _PLEASED.match(text)

    def nothing_said_before(self, conv: int, message_id: int) -> bool:
        """Whether nothing was said to the customer before ``message_id`` in ``conv``: no message at all, or
        only the customer's own (nothing of the bot's, an agent's or a notice to acknowledge or thank for)."""
        prev = self.handoff.message_before(conv, message_id)
        return prev is None or prev.author == "customer"

    def bot_just_said(self, conv: int, message_id: int, *kinds: MessageKind) -> bool:
        """Whether the message right before ``message_id`` in ``conv`` is the bot's, of one of ``kinds``
        (what makes "ask once, then act" questions ask only once)."""
        prev = self.handoff.message_before(conv, message_id)
        return prev is not None and prev.author == "bot" and prev.kind in kinds

    def for_person(self, d: Decision, text: str, **changes: object) -> Decision:
        """``d`` escalated for a person to take: the "a person takes it" label (:meth:`person_label`, the
        decision's own label when the labels do not list it), its priority from what ``text`` puts at stake;
        ``changes`` are other fields of :class:`classifier.router.Decision` to set (reason, why, options...)."""
        human, priority = self.person_label(text)
        return self.router().retarget(d, "escalate", human if priority else d.label, **changes)

    def person_label(self, text: str = "") -> tuple[str, str]:
        """The label of "a person takes it" (``classifier.human_label``) and its priority: the configured one
        ("" when the labels do not list it), raised by what ``text`` (the customer's words) puts at stake
        (:meth:`classifier.router.Router.priority_of`)."""
        router = self.router()
        human = router.settings.human_label
        spec = router.labels.get(human)
        if spec is None:
            return human, ""
        return human, router.stakes_priority(human, text) if text.strip() else spec.priority
