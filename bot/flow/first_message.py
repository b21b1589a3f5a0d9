"""A message with no ticket open (stored already, decided already): the bot answers from a solved case,
asks "did you mean...?" between a few, asks what is wrong when the message names nothing ("it doesn't
work"), asks which ticket a customer chasing one means when none is open, replies from a template
(greetings, thanks), or opens a ticket for a person (linked to a problem when similar faults came in)."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from bot.flow.clarify import Clarifier
from bot.flow.steps import Steps, dmeta
from bot.messages import IncomingMessage, Outcome, Reply
from classifier.impact import hazard
from classifier.questions import questions_in
from classifier.readings import THANKS, corrects
from classifier.router import Decision, Why
from classifier.specifics import acknowledges, chases, is_vague
from classifier.troubles import other_trouble, says_not_helped
from handoff.errors import OpenTicketExists
from handoff.models import MessageKind

log = logging.getLogger("bot.pipeline")
# decisions a message asking two or three things may have had only because it asks several
SEVERAL_MAY_ANSWER = (Why.MATCH, Why.NEAR_PHRASING, Why.UNSURE, Why.TORN, Why.LABEL, Why.OUT_OF_SCOPE, Why.TOO_FAR,
                      Why.UNCOVERED)


class FirstMessage:
    """The no-open-ticket branch."""

    def __init__(self, steps: Steps, clarifier: Clarifier) -> None:
        self.steps = steps
        self.clarifier = clarifier

    def takes(self, msg: IncomingMessage, conv: int, text: str, message_id: int,
              decided: tuple[Decision, np.ndarray | None], *, lang: str) -> Outcome:
        """The Outcome of customer message ``message_id`` (``text`` as read, ``msg`` as it came), decided
        as ``decided`` (the decision and the message's vector, None when deciding failed), in a
        conversation speaking ``lang`` with no ticket open."""
        s = self.steps
        d, vec = decided
        if d.urgency == "critical" and d.action in ("answer", "clarify", "reply"):
            # "someone logged into my account, how do I change my password?": a breach, lost recordings or
            # a device on fire is a person's to look at now, whatever case would answer the words
            d = s.for_person(d, text, options=(),
                             reason=f"critical stakes (security, safety or lost data): a person looks at it now "
                                    f"({d.reason})")
        meta = dmeta(d)
        if acknowledges(text) and s.bot_just_said(conv, message_id, MessageKind.ANSWER):
            # "ok" / "네" under an answer: neither "not sure what you mean" nor "안녕하세요!"; the way back is said
            out = s.replies.render("acknowledged", language=lang)
            s.reply(conv, out, meta={**meta, "kind": MessageKind.REPLY}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason="acknowledges the answer right before", message_id=message_id)
        if acknowledges(text) and d.action != "answer" and d.urgency == "normal" \
                and s.nothing_said_before(conv, message_id):
            # "ok" / "네" as the first word of a conversation: nothing to thank for or acknowledge; the way in
            out = s.replies.render("label_greeting", language=lang)
            s.reply(conv, out, meta={**meta, "kind": MessageKind.REPLY}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason="acknowledges nothing yet said: asked for the question", message_id=message_id)
        if d.why is not Why.ASKS_PERSON and not corrects(text) and self._says_not_helped(conv, message_id, text):
            # "still broken", "해봤는데 여전히 안 되네요", "again", "또 그래요" right under an answer: it did not help,
            # as "that didn't help" says; every wording takes that one way (a person, the same subject and priority)
            d = s.for_person(d, text, why=Why.ASKS_PERSON, options=(),
                             reason=f"says the answer right before did not help: a person takes it ({d.reason})")
            meta = {**dmeta(d), "reason": d.reason}
        if (d.action == "answer" or d.why in SEVERAL_MAY_ANSWER or d.why is Why.ASKS_PERSON) and d.urgency == "normal":
            # "how do I reset my password? also how do I cancel my subscription?": two questions the vote reads
            # as neither (or as the first only); each answered on its own when each can be, else as decided
            asked = questions_in(text)
            if len(asked) > 1:
                each = [(q, s.decide(q)) for q in asked]
                answered = [(q, x) for q, x in each if x.action == "answer" and x.case_id]
                if d.why is Why.ASKS_PERSON or any(x.why is Why.ASKS_PERSON for _, x in each):
                    # "how do I reset my password? also can I talk to a human": a person, as asking for one
                    # gets; the questions the bot can answer are answered in the same reply
                    return self._person_and_answers(msg, conv, text, message_id, d, vec, answered, lang=lang)
                told = [q for q, x in each if x.why is Why.ABOUT_BOT]
                rest = [(q, x) for q, x in each if (q, x) not in answered and x.why is not Why.ABOUT_BOT]
                if answered and len({x.case_id for _, x in answered}) == len(answered):
                    if not rest:
                        # "are you a bot? also how do I reset my password?": told what they talk to, and answered
                        return s.answer_several(conv, answered, message_id, key=msg.key, lang=lang, about_bot=told)
                    if all(x.action in ("escalate", "clarify") for _, x in rest):
                        # "can I use it outside? also why does my camera keep rebooting?": what a case answers
                        # is answered now, the rest goes to a person in a ticket about the rest alone
                        return self._rest_to_person(msg, conv, message_id, vec, answered, rest, lang=lang)
        if d.action == "clarify" and d.options:
            if s.bot_just_said(conv, message_id, MessageKind.CLARIFY):
                # never twice in a row: the customer did not pick and is still not clear; a person takes it,
                # with the options the bot considered in the ticket's reason
                d = s.router().retarget(d, "escalate", d.label,
                                        reason=f"asked which of {', '.join(d.options)} right before; still unsure: "
                                               f"a person takes it ({d.reason})")
                meta = {**meta, "reason": d.reason, "options": list(d.options)}
            else:
                return self.clarifier.ask(conv, text, message_id, d, meta)
        if d.action == "answer" and d.case_id is not None \
                and s.answered_right_before(conv, message_id, d.case_id, text):
            # "that didn't help, there is no invoices menu in my app" right under the invoice answer reads as
            # the same case again: sending the same answer twice helps nobody; a person takes it
            d = s.for_person(d, text, reason=f"case {d.case_id!r} was answered right before and the customer writes "
                                             f"about it again: a person takes it ({d.reason})")
            meta = {**dmeta(d), "reason": d.reason}
            self._typed_verdict(msg, conv, message_id, text, d)
        if d.action == "answer" and d.case_id is not None:
            return s.answer(conv, d, message_id, key=msg.key, lang=lang, text=text)
        asks_person = d.why is Why.ASKS_PERSON
        if d.action != "answer" and not asks_person and d.label != THANKS and chases(text) \
                and not is_vague(text):
            # "any update on my ticket?" with no ticket open here: a ticket about nothing helps nobody (and
            # "when will this be fixed" is no greeting). Say so and ask what it is about, once; chasing
            # again means they believe a ticket exists: a person looks.
            if not s.bot_just_said(conv, message_id, MessageKind.ASK_WHAT):
                out = s.replies.render("no_open_ticket", language=lang)
                s.reply(conv, out, meta={**meta, "kind": MessageKind.ASK_WHAT}, key=msg.key)
                return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                               reason="chasing a ticket while none is open: asked what it is about",
                               message_id=message_id)
            human, priority = s.person_label(text)
            d = replace(d, action="escalate", label=human, priority=priority or d.priority,
                        reason=f"chasing a ticket again while none is open: a person looks ({d.reason})")
            meta = {**meta, "reason": d.reason}
        # "it doesnt work" and nothing else: ask what they were doing before opening a ticket, once;
        # saying it again (insisting) opens the ticket. Not under an answer: there it is about the answer.
        if d.action == "escalate" and not asks_person and is_vague(text) \
                and not s.bot_just_said(conv, message_id, MessageKind.ASK_WHAT, MessageKind.ANSWER):
            out = s.replies.render("ask_what", language=lang)
            s.reply(conv, out, meta={**meta, "kind": MessageKind.ASK_WHAT}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason="unclear what is wrong: asked what the customer is trying to do",
                           message_id=message_id)
        if d.action == "reply" and d.urgency != "normal" and d.why is not Why.ABOUT_BOT \
                and s.router().impact.assess(text.replace("!", " ")).urgency != "normal":  # "hi!!!" is a greeting
            # "빨리 좀 해주세요 급해요", "urgent!! please help": no greeting back to someone in a hurry; what is
            # wrong is asked (a second time, a person takes it: the message right before is the question)
            out = s.replies.render("ask_what", language=lang)
            s.reply(conv, out, meta={**meta, "kind": MessageKind.ASK_WHAT}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason="in a hurry without saying what is wrong: asked what the customer is trying to do",
                           message_id=message_id)
        if d.action == "reply":
            name = f"label_{d.label}" if s.replies.has(f"label_{d.label}") else "label_default"
            out = s.replies.render(name, language=lang)
            s.reply(conv, out, meta={**meta, "kind": MessageKind.REPLY}, key=msg.key)
            return Outcome(replies=[Reply(out)], action="reply", label=d.label, confidence=d.confidence,
                           reason=d.reason, message_id=message_id)
        return self._open_ticket(msg, conv, text, message_id, d, vec, meta, lang=lang, asks_person=asks_person)

    def _open_ticket(self, msg: IncomingMessage, conv: int, text: str, message_id: int, d: Decision,
                     vec: np.ndarray | None, meta: dict, *, lang: str, asks_person: bool,
                     answered: list[tuple[str, Decision]] | None = None) -> Outcome:
        """Open a ticket for the message (or join the one the customer's other tab opened a moment ago);
        ``answered``: questions of the message a case answers, [(question, decision)], answered in the same
        reply before the ticket's news."""
        s = self.steps
        model = s.route(text)[0].name if vec is not None else ""  # the encoder that made ``vec``
        subject = self._not_helped(msg, conv, message_id, text, d, lang=lang) or text
        if subject != text and vec is not None:  # the problem it names, not "still broken", links problems
            encoder = s.route(subject)[0]
            vec, model = encoder.encode([subject])[0], encoder.name
        try:
            t = s.handoff.create_ticket(conv, subject=subject, label=d.label, confidence=d.confidence,
                                        priority=d.priority, impact=d.impact, reason=d.reason,
                                        transcript_messages=s.transcript_messages,
                                        product=str(msg.meta.get("product", ""))[:120],
                                        subject_vector=vec, subject_model=model)
        except OpenTicketExists as e:  # the same customer's other tab opened it a moment ago: this joins it
            return s.joined(conv, e.ticket, message_id, key=msg.key, lang=lang)
        # similar faults, by the same encoder: a problem
        link = s.handoff.link_problem(t.id, vec, model=model) if vec is not None else None
        if asks_person:
            self._typed_verdict(msg, conv, message_id, text, d)
        template = "escalated_human" if asks_person else "escalated"
        if link is not None and link.known:
            template = "known_issue"
        out = s.replies.render(template, ticket_id=t.public_id, priority=t.priority, language=lang,
                               **s.team_hours(t.team, ticket=t))
        if answered:
            out = f"{s.answers_text(answered, lang=lang)}\n\n{out}"
        if hazard(text):  # "smoke is coming out of my camera": what to do this minute comes before the ticket
            out = f"{s.replies.render('safety', language=lang)}\n\n{out}"
        s.reply(conv, out, ticket_id=t.id, meta={**meta, "kind": MessageKind.ESCALATE}, key=msg.key)
        log.info("ticket %s opened: label=%s priority=%s impact=%s (%s)", t.public_id, d.label, d.priority,
                 d.impact, d.reason)
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="escalate", ticket_id=t.public_id,
                       label=d.label, confidence=d.confidence, priority=t.priority, impact=t.impact,
                       reason=d.reason, message_id=message_id)

    def _person_and_answers(self, msg: IncomingMessage, conv: int, text: str, message_id: int, d: Decision,
                            vec: np.ndarray | None, answered: list[tuple[str, Decision]], *, lang: str) -> Outcome:
        """A message asking for a person among its questions (``answered``: the parts a case answers, as
        [(question, decision)]): a ticket for a person, its reply answering those parts first."""
        s = self.steps
        d = s.for_person(d, text, why=Why.ASKS_PERSON, options=(),
                         reason=f"one of the questions asks for a person: a person takes it ({d.reason})")
        meta = {**dmeta(d), "reason": d.reason}
        if answered:
            meta["case_ids"] = [x.case_id for _, x in answered]
        return self._open_ticket(msg, conv, text, message_id, d, vec, meta, lang=lang, asks_person=True,
                                 answered=answered)

    def _rest_to_person(self, msg: IncomingMessage, conv: int, message_id: int, vec: np.ndarray | None,
                        answered: list[tuple[str, Decision]], rest: list[tuple[str, Decision]], *,
                        lang: str) -> Outcome:
        """A message of several questions, some answered by a case (``answered``) and the others not
        (``rest``: escalated or unsure, as [(question, decision)]): a ticket whose subject is the rest, its
        reply answering the answered parts first. The ticket's label and priority are the first unanswered
        part's."""
        s = self.steps
        first = rest[0][1]
        subject = " ".join(q for q, _ in rest)
        d = s.router().retarget(first, "escalate", first.label,
                                reason=f"{len(answered)} of {len(answered) + len(rest)} questions answered; a person "
                                       f"takes the rest ({first.reason})")
        meta = {**dmeta(d), "reason": d.reason, "case_ids": [x.case_id for _, x in answered]}
        return self._open_ticket(msg, conv, subject, message_id, d, vec, meta, lang=lang, asks_person=False,
                                 answered=answered)

    def _not_helped(self, msg: IncomingMessage, conv: int, message_id: int, text: str, d: Decision, *,
                    lang: str) -> str:
        """The subject of a ticket opened by a message saying the answer right before did not help ("still
        broken", "그래도 안 돼요": it names nothing else, or its nearest case is the answer's): the question that
        answer was for, "— answer did not help", and the message when it says more. The message counts as that
        answer's "Talk to a person" (:meth:`_typed_verdict`). '' for any other message."""
        s = self.steps
        vague = is_vague(text) or self._says_not_helped(conv, message_id, text)
        if not vague and d.why is not Why.ASKS_PERSON and "answered right before" not in d.reason:
            return ""  # a message naming its own problem is its ticket's subject (and costs no look back)
        prev = s.handoff.message_before(conv, message_id)
        if prev is None or prev.author != "bot" or prev.kind is not MessageKind.ANSWER:
            return ""
        if not vague and not (d.hits and d.hits[0].case_id == prev.meta.get("case_id")):
            return ""
        asked = s.handoff.message_before(conv, prev.id)
        if asked is None or asked.author != "customer" or not asked.text.strip():
            return ""
        self._typed_verdict(msg, conv, message_id, text, d)
        said = " — 답변으로 해결되지 않음" if lang == "ko" else " — answer did not help"
        return f"{asked.text.strip()}{said}" + ("" if vague else f": {text}")

    def _says_not_helped(self, conv: int, message_id: int, text: str) -> bool:
        """Whether ``text`` is typed right under a bot answer and says it did not help
        (:func:`classifier.troubles.says_not_helped`) without naming another trouble than the question asked
        ("the camera still won't connect" under the password answer is a new problem)."""
        s = self.steps
        if not says_not_helped(text) or not s.bot_just_said(conv, message_id, MessageKind.ANSWER):
            return False
        prev = s.handoff.message_before(conv, message_id)
        asked = s.handoff.message_before(conv, prev.id) if prev is not None else None
        return asked is None or not other_trouble(text, [asked.text])

    def _typed_verdict(self, msg: IncomingMessage, conv: int, message_id: int, text: str, d: Decision) -> None:
        """"That didn't help" or "let me talk to a person" typed right under a bot answer counts as that
        answer's "Talk to a person" button: the report's not-helpful figure and the editors see it. Only
        when the message is about that answer: it names nothing else (``classifier.specifics``), or its
        nearest case is the answer's case; a new question typed there is no verdict."""
        s = self.steps
        if s.answer_feedback is None:
            return
        prev = s.handoff.message_before(conv, message_id)
        if prev is None or prev.author != "bot" or prev.kind is not MessageKind.ANSWER:
            return
        same_case = bool(d.hits) and d.hits[0].case_id == prev.meta.get("case_id")
        if is_vague(text) or same_case or self._says_not_helped(conv, message_id, text):
            s.answer_feedback(msg.channel, msg.customer, prev.id, "human")
