"""The pipeline: one customer message in, an Outcome out. Knows no platform.

Order: read the text once (``bot.normalize.readable``: invisible characters out, for deciding;
the transcript keeps what was sent) -> validate (size, binary, nothing to read) -> conversation
-> decide (classifier and retriever, ``classifier.router``) -> a typed pick under a "did you
mean...?", a rating, a reopen -> store the message -> an open ticket takes it
(:mod:`bot.flow.open_ticket`: a person owns it), else the first-message branch
(:mod:`bot.flow.first_message`): answer from a solved case, reply from a template, or escalate to a
ticket. Unexpected errors in deciding become an escalation with a logged traceback; a database that
stays away after retries becomes a clear 'try again' reply.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace

import numpy as np

from bot.db import UNIT_CONFLICTS, DatabaseUnavailable, is_transient, with_retries
from bot.flow.after_resolution import AfterResolution
from bot.flow.clarify import Clarifier, could_pick
from bot.flow.first_message import FirstMessage
from bot.flow.open_ticket import OpenTicket
from bot.flow.steps import Steps
from bot.flow.ticket_ref import take_ticket_ref
from bot.messages import IncomingMessage, Outcome, Reply, outcome_from_dict, outcome_to_dict
from bot.metrics import Metrics
from bot.normalize import readable, without_controls
from bot.rating_comments import take_rating_comment, take_service_feedback
from bot.rating_nothing import nothing_to_rate
from bot.ratings import take_rating
from bot.replies import LANGUAGES, Replies
from classifier.language import conversation_language
from classifier.router import Decision, Router, Why
from handoff.models import MessageKind
from handoff.service import Handoff
from handoff.views import TicketView
from kb.embedder import Embedder
from kb.service import KnowledgeBase

log = logging.getLogger(__name__)

KEY_REUSED = "idempotency key already used for a different message"


def looks_binary(text: str) -> bool:
    """Whether ``text`` is binary content pasted or sent as text (a NUL, or over 10% control characters)."""
    if "\x00" in text:
        return True
    if not text:
        return False
    bad = sum(1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t"))
    return bad / len(text) > 0.1


class Pipeline:
    def __init__(self, *, kb: KnowledgeBase, handoff: Handoff, embedder: Embedder, router: Callable[[], Router],
                 replies: Replies, max_chars: int = 4000, transcript_messages: int = 20,
                 db_attempts: int = 5, db_delay: float = 0.5,
                 answer_feedback: Callable[[str, str, int, str], bool] | None = None,
                 verdict_of: Callable[[int], str | None] | None = None,
                 metrics: Metrics | None = None, fault_labels: tuple[str, ...] = ("fault",),
                 new_issue_similarity: float = 0.45,
                 unit: Callable[[], AbstractContextManager[object]] | None = None, replay_wait_s: float = 30.0,
                 route: Callable[[str], tuple[Embedder, Callable[[], Router]]] | None = None) -> None:
        self.kb = kb
        self.handoff = handoff
        self.embedder = embedder
        self.router = router
        # the encoder and router that decide a text (a language-routed pair: Korean to the multilingual one)
        self.route = route or (lambda _text: (self.embedder, self.router))
        self.replies = replies
        self.max_chars = max_chars
        self.db_attempts = db_attempts
        self.db_delay = db_delay
        self.replay_wait_s = replay_wait_s  # a retry waits this long for the first handling's outcome
        # records a customer's verdict on a bot answer (channel, customer, answer message id, value), as the
        # channels' "Talk to a person" button does; verdict_of reads it back (bot.flow.steps.Steps)
        self.answer_feedback = answer_feedback
        self.metrics = metrics
        self._spoken: dict[int, str] = {}  # message (id) being handled -> the language its replies speak
        # one transaction per message (bot.db.UnitSessions.unit): every read and write of handling it
        self.unit = unit
        self.steps = Steps(kb=kb, handoff=handoff, replies=replies, router=router, route=self.route,
                           transcript_messages=transcript_messages, answer_feedback=answer_feedback,
                           verdict_of=verdict_of)
        self.clarifier = Clarifier(self.steps, db_attempts=db_attempts, db_delay=db_delay)
        self.open_ticket = OpenTicket(self.steps, fault_labels=fault_labels,
                                      new_issue_similarity=new_issue_similarity)
        self.first_message = FirstMessage(self.steps, self.clarifier)
        self.after_resolution = AfterResolution(self.steps, fault_labels=fault_labels,
                                                new_issue_similarity=new_issue_similarity)

    def handle(self, msg: IncomingMessage) -> Outcome:
        """Handle one message. With ``msg.key`` it is handled once whatever is retried: a retry after a
        database blip or a crash resumes (the stored customer message and reply are found by the key,
        nothing is stored twice) and a message handled to the end returns the outcome it gave then; a retry
        arriving while the first is still being handled waits for its outcome (up to ``replay_wait_s``);
        a key already used for a different message gets an Outcome with action ``conflict`` and no reply
        (Stripe's contract for idempotency keys), nothing stored."""
        def once() -> Outcome:
            if msg.key:
                done = self.handoff.keyed_outcome(msg.key)
                if done is not None:
                    return outcome_from_dict(done)
            out = self._handle(msg)
            if msg.key and out.message_id is not None:
                out = self._as_first_told(msg.key, out)
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

        def replayed_or_handled() -> Outcome:
            before = self._replayed(msg) if msg.key else None
            return before if before is not None else in_one_transaction()

        t0 = time.perf_counter()
        try:
            out = with_retries(replayed_or_handled, attempts=self.db_attempts, delay=self.db_delay)
        except DatabaseUnavailable:
            log.error("message from %s/%s not processed: database unavailable", msg.channel, msg.customer)
            lang = conversation_language(msg.text, current=None, default=self.replies.language, available=LANGUAGES)
            out = Outcome(replies=[Reply(self.replies.render("unavailable", language=lang), kind="system")],
                          action="error", reason="database unavailable", language=lang)
        if self.metrics is not None:
            self.metrics.handled(msg.channel, out, time.perf_counter() - t0)
        return out

    def _replayed(self, msg: IncomingMessage) -> Outcome | None:
        """For a keyed message whose key already stored a message: a conflict when that message is not
        this one, else the outcome the first handling gave (waited for while it is still under way, up to
        ``replay_wait_s``). None when the key is new, or its first handling died before the end (the
        caller resumes it). Outside any transaction: another handler's commit must become visible."""
        prior = self.handoff.keyed_message(msg.key)
        if prior is None:
            return None
        sent = msg.text.strip() or ("[attachment]" if msg.attachments else "")
        if prior.author == "customer" and prior.text != sent:
            log.info("message from %s/%s refused: its idempotency key was used for a different message",
                     msg.channel, msg.customer)
            return Outcome(replies=[], action="conflict", reason=KEY_REUSED)
        deadline = time.monotonic() + self.replay_wait_s
        while True:
            done = self.handoff.keyed_outcome(msg.key)
            if done is not None:
                return outcome_from_dict(done)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def _as_first_told(self, key: str, out: Outcome) -> Outcome:
        """``out`` with the reply the customer was first told under ``key`` (stored as ``<key>#reply``) when
        this handling resumed one that stored its reply and died (or raced it): the retry must not tell
        the customer something else ("added to your ticket" instead of "your ticket is AC-...")."""
        first = self.handoff.keyed_message(f"{key}#reply")
        if first is None or not out.replies or out.replies[0].text == first.text:
            return out
        ticket = self.handoff.get(first.ticket_id).public_id if first.ticket_id is not None else out.ticket_id
        told = replace(out.replies[0], text=first.text, buttons=[], ticket_id=ticket)
        return replace(out, replies=[told], ticket_id=ticket)

    def language_of(self, conv: int, text: str, *, hint: str = "") -> str:
        """The conversation's language after the customer wrote ``text`` (kept on the conversation); ``hint``
        (the page's or app's language, an ISO code) stands for it while the conversation has none."""
        stored = self.handoff.language(conv)
        current = stored or (hint if hint in LANGUAGES else None)
        lang = conversation_language(text, current=current, default=self.replies.language, available=LANGUAGES)
        if lang != stored:
            self.handoff.set_language(conv, lang)
        return lang

    def decide(self, text: str) -> Decision:
        """What the bot would do with ``text``, changing nothing (eval, 'try the bot'): in one read-only
        transaction, so the KB revision is read once (it was read two or three times a call)."""
        if self.unit is None:
            return self.steps.decide(readable(text))
        with self.unit():
            return self.steps.decide(readable(text))

    def team_hours(self, team: str, *, ticket: TicketView | None = None) -> dict[str, str | bool]:
        """The team's hours for the escalation templates (:meth:`bot.flow.steps.Steps.team_hours`)."""
        return self.steps.team_hours(team, ticket=ticket)

    def pick(self, channel: str, customer: str, message_id: int, choice: str) -> Outcome | None:
        """A press of a "did you mean...?" button (:meth:`bot.flow.clarify.Clarifier.pick`)."""
        return self.clarifier.pick(channel, customer, message_id, choice)

    def _decide(self, text: str) -> tuple[Decision, np.ndarray | None]:
        """The decision on ``text`` and its vector; an unexpected error becomes an escalation (logged)."""
        t0 = time.perf_counter()
        try:
            d, v = self.steps.decide_with_vector(text)
        except Exception as e:
            if is_transient(e):
                raise
            log.exception("deciding failed; escalating")
            d, v = Decision(action="escalate", label="fault", confidence=0.0,
                            reason=f"internal error: {e.__class__.__name__}", why=Why.ERROR), None
        if self.metrics is not None:
            self.metrics.decided(time.perf_counter() - t0)
        return d, v

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
        original = msg.text.strip()  # kept in the transcript as sent, but for control characters
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
        hint = msg.language if msg.language in LANGUAGES else ""
        first = conversation_language(text, current=hint or None, default=default, available=LANGUAGES)
        conv, created = self.handoff.conversations.open_new(msg.channel, msg.customer, name=msg.customer_name,
                                                            language=first)
        # a conversation created just now has no ticket and no message: nothing to look up
        ticket = None if created else self.handoff.open_ticket(conv)
        lang = self.language_of(conv, text, hint=hint)
        self._spoken[id(msg)] = lang
        if not text:
            if msg.attachments and ticket is not None:
                self.handoff.record(conv, "customer", "[attachment]", ticket_id=ticket.id,
                                    meta={"attachments": msg.attachments}, key=msg.key)
                if self.steps.person_answering(ticket):
                    return Outcome(replies=[], action="joined", ticket_id=ticket.public_id,
                                   reason="attachment added to the ticket a person is answering")
                out = self.replies.render("not_text", ticket_id=ticket.public_id, language=lang)
                self.steps.reply(conv, out, ticket_id=ticket.id, key=msg.key)
                return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined",
                               ticket_id=ticket.public_id, reason="attachment added to the ticket")
            if msg.attachments:  # kept on the conversation: the ticket the next message opens takes it
                kept = self.handoff.record(conv, "customer", "[attachment]", author_name=msg.customer_name,
                                           meta={"attachments": msg.attachments}, key=msg.key)
                out = self.replies.render("attachment_kept", language=lang)
                self.steps.reply(conv, out, meta={"kind": MessageKind.ATTACHMENT_KEPT}, key=msg.key)
                return Outcome(replies=[Reply(out)], action="kept", reason="attachment kept for the next message",
                               message_id=kept.id)
            return Outcome(replies=[Reply(self.replies.render("empty", ticket_id=None, language=lang))],
                           action="refused", reason="no text")
        meta = {"attachments": msg.attachments} if msg.attachments else {}
        asked = take_ticket_ref(self.handoff, self.replies, conv, msg, text, language=lang)
        if asked is not None:  # "AC-000005 어떻게 됐어요?": that ticket's status if it is theirs; never a ticket
            return asked
        if ticket is None and not created and could_pick(text):  # "2" under a "did you mean...?" picks option 2
            picked = self.clarifier.typed(conv, msg, text, meta)
            if picked is not None:
                return picked
        if ticket is None and not created:  # "4 thanks" answering the rating question after a resolution
            rated = take_rating(self.handoff, self.replies, conv, msg, text, language=lang)
            if rated is not None:
                return rated
            commented = take_rating_comment(self.handoff, self.replies, conv, msg, text, decided, language=lang)
            if commented is not None:  # "it took a bit long though" right after rating: kept with the rating
                return commented
            felt = take_service_feedback(self.handoff, self.replies, conv, msg, text, language=lang)
            if felt is not None:  # "why did it take so long to reply?" after a resolution: feedback, no ticket
                return felt
        if ticket is None:  # "5점 드릴게요" with nothing to rate: told so, no ticket
            unrated = nothing_to_rate(self.handoff, self.replies, conv, msg, text, language=lang)
            if unrated is not None:
                return unrated
        if ticket is None and not created:  # within the reopen window after a resolution: reopen it when the
            # message is about the same issue (bot.flow.after_resolution); a new question or fault starts afresh
            ticket = self.handoff.reopen_recent(
                conv, unless=lambda: not self.after_resolution.reopens(conv, text, decided))
        customer_msg = self.handoff.record(conv, "customer", without_controls(original),
                                           ticket_id=ticket.id if ticket else None,
                                           author_name=msg.customer_name, meta=meta, key=msg.key)
        if ticket is not None:
            return self.open_ticket.takes(conv, ticket, text, customer_msg.id, decided, key=msg.key, lang=lang)
        return self.first_message.takes(msg, conv, text, customer_msg.id, decided, lang=lang)
