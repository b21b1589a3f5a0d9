"""The pipeline: one customer message in, an Outcome out. Knows no platform.

Order: read the text once (``bot.normalize.readable``: invisible characters out, for deciding;
the transcript keeps what was sent) -> validate (size, binary, nothing to read) -> conversation
-> an open ticket takes the message (a person owns it) -> classifier and retriever decide ->
answer from a solved case, reply from a template, or escalate to a ticket. Unexpected errors in
deciding become an escalation with a logged traceback; a database that stays away after retries
becomes a clear 'try again' reply.

Over 350 lines: it is the one place a message's path is decided, in the order
above; what each step needs (normalizing, ratings, templates, the router) lives in its own module.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace

import numpy as np

from bot.db import UNIT_CONFLICTS, DatabaseUnavailable, is_transient, with_retries
from bot.messages import IncomingMessage, Outcome, Reply, outcome_from_dict, outcome_to_dict
from bot.metrics import Metrics
from bot.normalize import readable
from bot.ratings import take_rating
from bot.replies import LANGUAGES, Replies
from classifier.language import conversation_language, guess_language
from classifier.router import THANKS, UNSURE, Decision, Router, Why
from classifier.specifics import chases, goes_on, is_vague
from handoff.errors import OpenTicketExists
from handoff.models import MessageKind
from handoff.service import Handoff, MessageView
from handoff.views import TicketView
from kb.embedder import Embedder
from kb.service import CaseView, KnowledgeBase

log = logging.getLogger(__name__)

PICK = "pick:"  # button action ids of a "did you mean...?": pick:<message id>:<option index | none>
NONE = "none"
BUTTON_CHARS = 60  # an option's label: the case's first phrasing, cut to fit every channel's buttons


def clarify_buttons(message_id: int, labels: list[str], none_label: str) -> list[tuple[str, str]]:
    """The buttons of the "did you mean...?" message ``message_id``: one per offered case (its label,
    ``pick:<id>:<i>``), then "None of these" (``pick:<id>:none``)."""
    return [(label, f"{PICK}{message_id}:{i}") for i, label in enumerate(labels)] + \
        [(none_label, f"{PICK}{message_id}:{NONE}")]


_TYPED_PICK = re.compile(r"^\s*(?:#|no\.?\s*|option\s*)?(\d{1,2})\s*[.)]?\s*$", re.I)
_TYPED_NONE = re.compile(r"^\s*(?:none|none of (?:these|them|the above)|neither)\s*[.!]?\s*$", re.I)


def typed_choice(text: str, options: int) -> str | None:
    """A reply typed right under a "did you mean...?" that picks: "2" (the second option), "none";
    the number after the options ("None of these" is listed last) means none. None when it is not a pick."""
    if _TYPED_NONE.match(text):
        return NONE
    m = _TYPED_PICK.match(text)
    if m is None:
        return None
    n = int(m.group(1))
    return str(n - 1) if 1 <= n <= options else NONE if n == options + 1 else None


def could_pick(text: str) -> bool:
    """Whether ``text`` reads as a typed pick ("2", "none") under some "did you mean...?"."""
    return bool(_TYPED_NONE.match(text) or _TYPED_PICK.match(text))


def option_label(question: str) -> str:
    """A case's first phrasing as a button label, at most BUTTON_CHARS characters."""
    q = " ".join(question.split())
    return q if len(q) <= BUTTON_CHARS else q[: BUTTON_CHARS - 1].rstrip() + "…"


def looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    if not text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t"))
    return bad / len(text) > 0.1


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


class Pipeline:
    def __init__(self, *, kb: KnowledgeBase, handoff: Handoff, embedder: Embedder, router: Callable[[], Router],
                 replies: Replies, max_chars: int = 4000, transcript_messages: int = 20,
                 db_attempts: int = 5, db_delay: float = 0.5,
                 answer_feedback: Callable[[str, str, int, str], bool] | None = None,
                 verdict_of: Callable[[int], str | None] | None = None,
                 metrics: Metrics | None = None, fault_labels: tuple[str, ...] = ("fault",),
                 new_issue_similarity: float = 0.45,
                 unit: Callable[[], AbstractContextManager[object]] | None = None,
                 route: Callable[[str], tuple[Embedder, Callable[[], Router]]] | None = None) -> None:
        self.kb = kb
        self.handoff = handoff
        self.embedder = embedder
        self.router = router
        # the encoder and router that decide a text (a language-routed pair: Korean to the multilingual one)
        self.route = route or (lambda _text: (self.embedder, self.router))
        self.replies = replies
        self.max_chars = max_chars
        self.transcript_messages = transcript_messages
        self.db_attempts = db_attempts
        self.db_delay = db_delay
        # records a customer's verdict on a bot answer (channel, customer, answer message id, value), as the
        # channels' "Talk to a person" button does
        self.answer_feedback = answer_feedback
        self.verdict_of = verdict_of  # the verdict stored on a bot message (answer_feedback's value), if any
        self.metrics = metrics
        self._spoken: dict[int, str] = {}  # message (id) being handled -> the language its replies speak
        # while a ticket is open, a fault message this far (cosine under new_issue_similarity) from
        # everything the customer said on the ticket is a different issue: flagged to the agent
        self.fault_labels = fault_labels
        self.new_issue_similarity = new_issue_similarity
        # one transaction per message (bot.db.UnitSessions.unit): every read and write of handling it
        self.unit = unit

    def handle(self, msg: IncomingMessage) -> Outcome:
        """Handle one message. With ``msg.key`` it is handled once whatever is retried: a retry after a
        database blip or a crash resumes (the stored customer message and reply are found by the key,
        nothing is stored twice) and a message handled to the end returns the outcome it gave then."""
        def once() -> Outcome:
            if msg.key:
                done = self.handoff.keyed_outcome(msg.key)
                if done is not None:
                    return outcome_from_dict(done)
            out = self._handle(msg)
            if msg.key and out.message_id is not None:
                self.handoff.save_outcome(msg.key, outcome_to_dict(out))
            return out

        def in_one_transaction() -> Outcome:
            if self.unit is None:
                return once()
            try:
                with self.unit():
                    return once()
            except UNIT_CONFLICTS as e:  # a race with another worker: nothing was stored; again, call by call
                log.info("message from %s/%s met a concurrent change (%s); handled again call by call",
                         msg.channel, msg.customer, e.__class__.__name__)
                return once()

        t0 = time.perf_counter()
        try:
            out = with_retries(in_one_transaction, attempts=self.db_attempts, delay=self.db_delay)
        except DatabaseUnavailable:
            log.error("message from %s/%s not processed: database unavailable", msg.channel, msg.customer)
            lang = conversation_language(msg.text, current=None, default=self.replies.language, available=LANGUAGES)
            out = Outcome(replies=[Reply(self.replies.render("unavailable", language=lang), kind="system")],
                          action="error", reason="database unavailable", language=lang)
        if self.metrics is not None:
            self.metrics.handled(msg.channel, out, time.perf_counter() - t0)
        return out

    def language_of(self, conv: int, text: str) -> str:
        """The conversation's language after the customer wrote ``text`` (kept on the conversation)."""
        current = self.handoff.language(conv)
        lang = conversation_language(text, current=current, default=self.replies.language, available=LANGUAGES)
        if lang != current:
            self.handoff.set_language(conv, lang)
        return lang

    def decide(self, text: str) -> Decision:
        """What the bot would do with ``text``, changing nothing (eval, 'try the bot')."""
        text = readable(text)
        encoder, router = self.route(text)
        return router().decide(text, encoder.encode([text])[0])

    def _reply(self, conv: int, text: str, *, ticket_id: int | None = None, meta: dict | None = None,
               key: str = "") -> int:
        return self.handoff.record(conv, "bot", text, ticket_id=ticket_id, meta=meta or {},
                                   key=f"{key}#reply" if key else "").id

    def team_hours(self, team: str) -> dict[str, str]:
        """For the escalation templates: ``back_at`` ("Monday at 09:00 (Europe/Berlin)") and
        ``back_at_local`` ("2026-03-02 09:00 Europe/Berlin") when the ticket's team is outside its
        business hours now; empty strings otherwise."""
        local = self.handoff.team_back_at(team)
        if local is None or local.tzinfo is None:
            return {"back_at": "", "back_at_local": ""}
        tz_name = str(local.tzinfo)
        today = self.handoff.now().astimezone(local.tzinfo).date()
        days = (local.date() - today).days
        day = "today" if days == 0 else "tomorrow" if days == 1 else local.strftime("%A") if days < 7 \
            else local.strftime("%A %d %B").replace(" 0", " ")
        return {"back_at": f"{day} at {local:%H:%M} ({tz_name})", "back_at_local": f"{local:%Y-%m-%d %H:%M} {tz_name}"}

    def _typed_verdict(self, msg: IncomingMessage, conv: int, message_id: int, text: str, d: Decision) -> None:
        """"That didn't help" or "let me talk to a person" typed right under a bot answer counts as that
        answer's "Talk to a person" button: the report's not-helpful figure and the editors see it. Only
        when the message is about that answer: it names nothing else (``classifier.specifics``), or its
        nearest case is the answer's case; a new question typed there is no verdict."""
        if self.answer_feedback is None:
            return
        prev = self.handoff.message_before(conv, message_id)
        if prev is None or prev.author != "bot" or prev.kind is not MessageKind.ANSWER:
            return
        same_case = bool(d.hits) and d.hits[0].case_id == prev.meta.get("case_id")
        if is_vague(text) or same_case:
            self.answer_feedback(msg.channel, msg.customer, prev.id, "human")

    def _decide(self, text: str) -> tuple[Decision, np.ndarray | None]:
        """The decision on ``text`` and its vector; an unexpected error becomes an escalation (logged)."""
        t0 = time.perf_counter()
        try:
            encoder, router = self.route(text)
            vec = encoder.encode([text])[0]
            d, v = router().decide(text, vec), vec
        except Exception as e:
            if is_transient(e):
                raise
            log.exception("deciding failed; escalating")
            d, v = Decision(action="escalate", label="fault", confidence=0.0,
                            reason=f"internal error: {e.__class__.__name__}", why=Why.ERROR), None
        if self.metrics is not None:
            self.metrics.decided(time.perf_counter() - t0)
        return d, v

    @staticmethod
    def _dmeta(d: Decision) -> dict:
        return {"label": d.label, "confidence": d.confidence, "case_id": d.case_id, "reason": d.reason, "why": d.why}

    def _answer(self, conv: int, d: Decision, message_id: int, *, key: str = "", lang: str = "",
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
        self._reply(conv, out, ticket_id=ticket.id if ticket else None,
                    meta={**self._dmeta(d), "kind": MessageKind.ANSWER}, key=key)
        return Outcome(replies=[Reply(out, case_id=case.id)], action="answer", label=d.label,
                       confidence=d.confidence, case_id=case.id, reason=d.reason, message_id=message_id,
                       ticket_id=ticket.public_id if ticket else None)

    def _open_ticket_takes(self, conv: int, ticket: TicketView, text: str, message_id: int,
                           decided: tuple[Decision, np.ndarray | None], *, key: str = "", lang: str = "") -> Outcome:
        """A message while a ticket is open (it is on the ticket already). A question the bot answers
        confidently is answered (the agent sees question and answer on the ticket); a fault unlike
        anything the customer said on the ticket is flagged to the agent with an internal note; the
        rest joins the ticket."""
        d, vec = decided
        if d.action == "answer" and d.case_id is not None and not chases(text):
            # (chasing the ticket, "언제 고쳐지나요?", is about it, never a question for a case: it joins)
            return self._answer(conv, d, message_id, key=key, lang=lang, ticket=ticket, text=text)
        if d.action == "escalate" and d.label in self.fault_labels and vec is not None \
                and self.new_issue_similarity > 0:
            before = [m for m in self.handoff.transcript(ticket.id) if m.id != message_id]
            # the last word on the ticket is the agent's: the customer is answering it ("version 4.2 on
            # Android" to "which version?"), whatever it looks like
            answering = next((m.author for m in reversed(before) if m.author in ("customer", "agent")), "") == "agent"
            said = [m.text for m in before if m.author == "customer" and m.text != "[attachment]"]
            known = self.route(text)[0].encode([ticket.subject, *said[-20:]])  # in the space of ``vec``
            closest = float((known @ vec).max())
            # "it crashed again just now" goes on about the report in other words: only a message far
            # from everything said (half the similarity) is flagged then
            floor = self.new_issue_similarity * (0.5 if goes_on(text) else 1.0)
            if not answering and closest < floor:
                self.handoff.note(ticket.id, "Aftercare", f"Possibly a new issue, unlike this ticket's subject "
                                  f"(similarity {closest:.2f}): {text}")
                out = self.replies.render("joined_new_issue", ticket_id=ticket.public_id, language=lang or None)
                self._reply(conv, out, ticket_id=ticket.id, key=key)
                return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined",
                               ticket_id=ticket.public_id, label=d.label, message_id=message_id,
                               reason=f"a different issue while {ticket.public_id} is open: flagged to the agent")
        return self._joined(conv, ticket, message_id, key=key, lang=lang)

    def _joined(self, conv: int, ticket: TicketView, message_id: int | None, *, key: str = "",
                lang: str = "") -> Outcome:
        """The message joined the open ticket: "added to your ticket"."""
        out = self.replies.render("joined", ticket_id=ticket.public_id, language=lang or None)
        self._reply(conv, out, ticket_id=ticket.id, key=key)
        return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined",
                       ticket_id=ticket.public_id, reason="an open ticket holds this conversation",
                       message_id=message_id)

    def _clarify(self, conv: int, text: str, message_id: int, d: Decision, dmeta: dict) -> Outcome:
        """Ask "did you mean...?" with the offered cases as buttons (their first phrasings)."""
        labels = [option_label(self.kb.get(c).questions[0] if self.kb.get(c).questions else c) for c in d.options]
        lang = self.handoff.language(conv)
        out = self.replies.render("clarify", language=lang)
        mid = self._reply(conv, out, meta={**dmeta, "kind": MessageKind.CLARIFY, "options": list(d.options),
                                           "option_labels": labels, "asked": text})
        buttons = clarify_buttons(mid, labels, self.replies.render("clarify_none", language=lang))
        return Outcome(replies=[Reply(out, buttons=buttons)], action="clarify", label=d.label,
                       confidence=d.confidence, case_id=d.case_id, reason=d.reason, message_id=message_id,
                       options=list(d.options))

    def _clarify_again(self, last: MessageView, message_id: int, *, key: str = "") -> Outcome:
        """A number that is none of the options ("7" under three) typed right under a "did you mean...?":
        the same options again, as a new "did you mean" message, so that the next number picks."""
        conv = last.conversation_id
        lang = self.handoff.language(conv)
        labels = [str(x) for x in last.meta.get("option_labels") or []]
        out = self.replies.render("clarify_again", count=len(labels) + 1, language=lang)
        keep = ("label", "confidence", "case_id", "reason", "why", "options", "option_labels", "asked")
        mid = self._reply(conv, out, meta={**{k: last.meta[k] for k in keep if k in last.meta},
                                           "kind": MessageKind.CLARIFY}, key=key)
        buttons = clarify_buttons(mid, labels, self.replies.render("clarify_none", language=lang))
        options = [str(o) for o in last.meta.get("options") or []]
        return Outcome(replies=[Reply(out, buttons=buttons)], action="clarify",
                       label=str(last.meta.get("label", "")), reason="the number typed is none of the options: "
                       "asked again", message_id=message_id, options=options)

    def _bot_just_said(self, conv: int, message_id: int, *kinds: MessageKind) -> bool:
        """Whether the message right before ``message_id`` in ``conv`` is the bot's, of one of ``kinds``
        (what makes "ask once, then act" questions ask only once)."""
        prev = self.handoff.message_before(conv, message_id)
        return prev is not None and prev.author == "bot" and prev.kind in kinds

    def _person_label(self) -> tuple[str, str]:
        """The label of "a person takes it" (``classifier.human_label``) and its configured priority ("" when
        the labels do not list it)."""
        router = self.router()
        human = router.settings.human_label
        spec = router.labels.get(human)
        return human, spec.priority if spec else ""

    def pick(self, channel: str, customer: str, message_id: int, choice: str) -> Outcome | None:
        """The customer's pick under the "did you mean...?" message ``message_id`` (a button):
        ``choice`` is an option's index ("0".."2") or ``none``. An option answers with its case (a bot
        answer recorded with ``picked_from`` and the customer's words, ``asked``, for the editors); none
        opens a ticket whose reason lists the options shown. None when the message is not this customer's
        clarification or the choice is not one of it.

        One press per set of buttons, kept under the idempotency key ``pick:<message_id>``: the first press
        decides; a second one (a double click, another tab, a retry after a lost answer or a database
        blip) gets the first press's Outcome again and stores nothing; a press interrupted half-way (the
        process killed) is finished by the next press, with the first press's choice. Raises
        DatabaseUnavailable when the database stays away after retries."""
        m = self.handoff.message_of(channel, customer, message_id)
        if m is None or not self._pickable(m, choice):
            return None
        key = f"{PICK}{m.id}"

        def once() -> Outcome | None:
            done = self.handoff.keyed_outcome(f"{key}#reply")
            if done is not None:
                return outcome_from_dict(done)
            held = self._claim_pick(channel, customer, m, choice)
            if held is None:
                return None
            out = self._picked(m, held, key=key)
            self.handoff.save_outcome(f"{key}#reply", outcome_to_dict(out))
            return out

        return with_retries(once, attempts=self.db_attempts, delay=self.db_delay)

    def _pickable(self, m: MessageView, choice: str) -> bool:
        options = list(m.meta.get("options") or [])
        if m.author != "bot" or m.kind is not MessageKind.CLARIFY:
            return False
        return choice == NONE or (choice.isdigit() and int(choice) < len(options))

    def _claim_pick(self, channel: str, customer: str, m: MessageView, choice: str) -> str | None:
        """The choice that holds for this set of buttons: ``choice`` when this is its first press, else the
        first press's (stored as the clarification's verdict ``pick:<choice>``); None when it was answered
        before picks were kept that way."""
        if self.answer_feedback is None:
            return choice
        if self.answer_feedback(channel, customer, m.id, f"{PICK}{choice}"):
            return choice
        first = self.verdict_of(m.id) if self.verdict_of is not None else None
        if first is None or not first.startswith(PICK):
            return None
        held = first[len(PICK):]
        return held if self._pickable(m, held) else None

    def _may_pick(self, channel: str, customer: str, m: MessageView, choice: str) -> bool:
        """A typed pick ("2" under the options): valid, and the set's first press."""
        return self._pickable(m, choice) and self._claim_pick(channel, customer, m, choice) == choice

    def _picked(self, m: MessageView, choice: str, *, key: str = "") -> Outcome:
        options = [str(o) for o in m.meta.get("options") or []]
        asked = str(m.meta.get("asked") or "")
        conv = m.conversation_id
        lang = self.handoff.language(conv)
        if choice != NONE:
            case = self.kb.get(options[int(choice)])
            answer, answer_language = answer_for(case, lang or self.replies.language)
            out = self.replies.render("answer", answer=answer, case=case, answer_language=answer_language,
                                      language=lang)
            reason = f"the customer picked {case.id!r} of {', '.join(options)}"
            self._reply(conv, out, meta={"kind": MessageKind.ANSWER, "label": m.meta.get("label", ""),
                                         "case_id": case.id, "confidence": 1.0, "reason": reason,
                                         "why": Why.PICKED, "picked_from": m.id, "asked": asked}, key=key)
            return Outcome(replies=[Reply(out, case_id=case.id)], action="answer", label=str(m.meta.get("label", "")),
                           confidence=1.0, case_id=case.id, reason=reason, options=options)
        open_t = self.handoff.open_ticket(conv)
        if open_t is not None:
            return self._joined(conv, open_t, None, key=key, lang=lang or "")
        human, priority = self._person_label()
        reason = f"none of the offered cases fit ({', '.join(options)}); the customer asks for a person"
        try:
            t = self.handoff.create_ticket(conv, subject=asked or "None of the offered answers fit", label=human,
                                           confidence=1.0, priority=priority or "normal",
                                           impact="single", reason=reason,
                                           transcript_messages=self.transcript_messages)
        except OpenTicketExists as e:
            return self._joined(conv, e.ticket, None, key=key, lang=lang or "")
        out = self.replies.render("escalated_human", ticket_id=t.public_id, priority=t.priority, language=lang,
                                  **self.team_hours(t.team))
        self._reply(conv, out, ticket_id=t.id, meta={"kind": MessageKind.ESCALATE, "label": human, "reason": reason,
                                                     "why": Why.ASKS_PERSON, "options": options}, key=key)
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="escalate", ticket_id=t.public_id,
                       label=human, confidence=1.0, priority=t.priority, impact=t.impact, reason=reason,
                       options=options)

    @staticmethod
    def _bot_handles(d: Decision) -> bool:
        return d.action == "answer" or (d.action == "reply" and d.label != UNSURE)

    def _handle(self, msg: IncomingMessage) -> Outcome:
        """``_handle_text``, its Outcome marked with the language its replies speak."""
        try:
            out = self._handle_text(msg)
            if out.language is None:
                out = replace(out, language=self._spoken.get(id(msg), self.replies.language))
            return out
        finally:
            self._spoken.pop(id(msg), None)

    def _handle_text(self, msg: IncomingMessage) -> Outcome:
        original = msg.text.strip()  # kept in the transcript as sent
        text = readable(msg.text)  # what is decided on: nothing invisible (bot.normalize)
        default = self.replies.language
        if looks_binary(original):
            return Outcome(replies=[Reply(self.replies.render("not_text", ticket_id=None, language=default))],
                           action="refused", reason="binary content")
        if len(original) > self.max_chars:
            lang = conversation_language(text[:2000], current=None, default=default, available=LANGUAGES)
            return Outcome(replies=[Reply(self.replies.render("too_long", length=len(original), limit=self.max_chars,
                                                              language=lang))],
                           action="refused", reason="message too long", language=lang)
        if text:  # decided before any write: the encoder never runs while this message holds a write lock
            decided = self._decide(text)
        first = conversation_language(text, current=None, default=default, available=LANGUAGES)
        conv, created = self.handoff.conversations.open_new(msg.channel, msg.customer, name=msg.customer_name,
                                                            language=first)
        # a conversation created just now has no ticket and no message: nothing to look up
        ticket = None if created else self.handoff.open_ticket(conv)
        lang = self.language_of(conv, text)
        self._spoken[id(msg)] = lang
        if not text:
            if msg.attachments and ticket is not None:
                self.handoff.record(conv, "customer", "[attachment]", ticket_id=ticket.id,
                                    meta={"attachments": msg.attachments}, key=msg.key)
                out = self.replies.render("not_text", ticket_id=ticket.public_id, language=lang)
                self._reply(conv, out, ticket_id=ticket.id, key=msg.key)
                return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined",
                               ticket_id=ticket.public_id, reason="attachment added to the ticket")
            if msg.attachments:  # kept on the conversation: the ticket the next message opens takes it
                kept = self.handoff.record(conv, "customer", "[attachment]", author_name=msg.customer_name,
                                           meta={"attachments": msg.attachments}, key=msg.key)
                out = self.replies.render("attachment_kept", language=lang)
                self._reply(conv, out, meta={"kind": MessageKind.ATTACHMENT_KEPT}, key=msg.key)
                return Outcome(replies=[Reply(out)], action="kept", reason="attachment kept for the next message",
                               message_id=kept.id)
            return Outcome(replies=[Reply(self.replies.render("empty", ticket_id=None, language=lang))],
                           action="refused", reason="no text")
        meta = {"attachments": msg.attachments} if msg.attachments else {}
        if ticket is None and not created and could_pick(text):  # "2" under a "did you mean...?" picks option 2
            last = self.handoff.message_before(conv, 2**31 - 1)  # the last message; ids are 32-bit integers
            if last is not None and last.author == "bot" and last.kind is MessageKind.CLARIFY:
                choice = typed_choice(text, len(last.meta.get("options") or []))
                if choice is not None and self._may_pick(msg.channel, msg.customer, last, choice):
                    self.handoff.record(conv, "customer", text, author_name=msg.customer_name, meta=meta,
                                        key=msg.key)
                    return self._picked(last, choice, key=msg.key)
                if choice is None and _TYPED_PICK.match(text):  # "7" under three options: ask again, same set
                    m = self.handoff.record(conv, "customer", text, author_name=msg.customer_name, meta=meta,
                                            key=msg.key)
                    return self._clarify_again(last, m.id, key=msg.key)
        if ticket is None and not created:  # "4 thanks" answering the rating question after a resolution
            rated = take_rating(self.handoff, self.replies, conv, msg, text, language=lang)
            if rated is not None:
                return rated
        if ticket is None and not created:  # within the reopen window after a resolution: reopen it, unless the
            # bot can answer it itself (a usage question, thanks; not a message it is unsure about)
            ticket = self.handoff.reopen_recent(conv, unless=lambda: self._bot_handles(decided[0]))
        customer_msg = self.handoff.record(conv, "customer", original, ticket_id=ticket.id if ticket else None,
                                           author_name=msg.customer_name, meta=meta, key=msg.key)
        if ticket is not None:
            return self._open_ticket_takes(conv, ticket, text, customer_msg.id, decided, key=msg.key, lang=lang)
        d, vec = decided
        dmeta = self._dmeta(d)
        if d.action == "clarify" and d.options:
            if self._bot_just_said(conv, customer_msg.id, MessageKind.CLARIFY):
                # never twice in a row: the customer did not pick and is still not clear; a person takes it,
                # with the options the bot considered in the ticket's reason
                d = replace(d, action="escalate",
                            reason=f"asked which of {', '.join(d.options)} right before; still unsure: "
                                   f"a person takes it ({d.reason})")
                dmeta = {**dmeta, "reason": d.reason, "options": list(d.options)}
            else:
                return self._clarify(conv, text, customer_msg.id, d, dmeta)
        if d.action == "answer" and d.case_id is not None:
            return self._answer(conv, d, customer_msg.id, key=msg.key, lang=lang, text=text)
        asks_person = d.why is Why.ASKS_PERSON
        if d.action != "answer" and not asks_person and d.label != THANKS and chases(text) \
                and not is_vague(text):
            # "any update on my ticket?" with no ticket open here: a ticket about nothing helps nobody (and
            # "when will this be fixed" is no greeting). Say so and ask what it is about, once; chasing
            # again means they believe a ticket exists: a person looks.
            if not self._bot_just_said(conv, customer_msg.id, MessageKind.ASK_WHAT):
                out = self.replies.render("no_open_ticket", language=lang)
                self._reply(conv, out, meta={**dmeta, "kind": MessageKind.ASK_WHAT}, key=msg.key)
                return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                               reason="chasing a ticket while none is open: asked what it is about",
                               message_id=customer_msg.id)
            human, priority = self._person_label()
            d = replace(d, action="escalate", label=human, priority=priority or d.priority,
                        reason=f"chasing a ticket again while none is open: a person looks ({d.reason})")
            dmeta = {**dmeta, "reason": d.reason}
        # "it doesnt work" and nothing else: ask what they were doing before opening a ticket, once;
        # saying it again (insisting) opens the ticket. Not under an answer: there it is about the answer.
        if d.action == "escalate" and not asks_person and is_vague(text) \
                and not self._bot_just_said(conv, customer_msg.id, MessageKind.ASK_WHAT, MessageKind.ANSWER):
            out = self.replies.render("ask_what", language=lang)
            self._reply(conv, out, meta={**dmeta, "kind": MessageKind.ASK_WHAT}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason="unclear what is wrong: asked what the customer is trying to do",
                           message_id=customer_msg.id)
        if d.action == "reply":
            name = f"label_{d.label}" if self.replies.has(f"label_{d.label}") else "label_default"
            out = self.replies.render(name, language=lang)
            self._reply(conv, out, meta={**dmeta, "kind": MessageKind.REPLY}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason=d.reason, message_id=customer_msg.id)
        model = self.route(text)[0].name if vec is not None else ""  # the encoder that made ``vec``
        try:
            t = self.handoff.create_ticket(conv, subject=text, label=d.label, confidence=d.confidence,
                                           priority=d.priority, impact=d.impact, reason=d.reason,
                                           transcript_messages=self.transcript_messages,
                                           product=str(msg.meta.get("product", ""))[:120],
                                           subject_vector=vec, subject_model=model)
        except OpenTicketExists as e:  # the same customer's other tab opened it a moment ago: this joins it
            return self._joined(conv, e.ticket, customer_msg.id, key=msg.key, lang=lang)
        # similar faults, by the same encoder: a problem
        link = self.handoff.link_problem(t.id, vec, model=model) if vec is not None else None
        if asks_person:
            self._typed_verdict(msg, conv, customer_msg.id, text, d)
        template = "escalated_human" if asks_person else "escalated"
        if link is not None and link.known:
            template = "known_issue"
        out = self.replies.render(template, ticket_id=t.public_id, priority=t.priority, language=lang,
                                  **self.team_hours(t.team))
        self._reply(conv, out, ticket_id=t.id, meta={**dmeta, "kind": MessageKind.ESCALATE}, key=msg.key)
        log.info("ticket %s opened: label=%s priority=%s impact=%s (%s)", t.public_id, d.label, d.priority,
                 d.impact, d.reason)
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="escalate", ticket_id=t.public_id,
                       label=d.label, confidence=d.confidence, priority=t.priority, impact=t.impact,
                       reason=d.reason, message_id=customer_msg.id)
