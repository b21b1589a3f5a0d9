"""The "did you mean...?" step: when the bot is torn between a few solved cases it offers them as
buttons (each case's first phrasing free of scrubbed personal data) and "None of these". A press (or
"2", "none" typed right under it on channels without buttons) answers with the chosen case or opens a
ticket for a person; a number that is none of the options asks again with the same set. One press per
set of buttons counts."""

from __future__ import annotations

import re

from bot.db import with_retries
from bot.flow.steps import Steps, answer_for
from bot.messages import IncomingMessage, Outcome, Reply, outcome_from_dict, outcome_to_dict
from classifier.router import Decision, Why
from handoff.conversations import LAST_ID
from handoff.errors import OpenTicketExists
from handoff.models import MessageKind
from handoff.service import MessageView
from kb.scrub import PLACEHOLDER
from kb.views import CaseView

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


def case_label(case: CaseView) -> str:
    """What a button offering ``case`` says: its first phrasing that carries no placeholder of scrubbed
    personal data; else the words of its first phrasing before the first placeholder (its clause), when
    they are at least three; else its answer's first sentence. A phrasing is another customer's message:
    "card [number] exp [expiry]" is never shown to a customer."""
    clean = next((q for q in case.questions if not PLACEHOLDER.search(q)), None)
    if clean is not None:
        return clean
    if case.questions:
        head = re.split(r"[,;:(]?\s*[^\s,;:(]*\s*" + PLACEHOLDER.pattern, case.questions[0], maxsplit=1)[0]
        head = head.rstrip(" ,;:-")
        if len(head.split()) >= 3 and not PLACEHOLDER.search(head):
            return head
    answer = PLACEHOLDER.sub("", case.answer).strip()
    return re.split(r"(?<=[.!?。])\s", answer, maxsplit=1)[0] if answer else case.id


def option_label(question: str) -> str:
    """A case's first phrasing as a button label, at most BUTTON_CHARS characters."""
    q = " ".join(question.split())
    return q if len(q) <= BUTTON_CHARS else q[: BUTTON_CHARS - 1].rstrip() + "…"


class Clarifier:
    """Asks "did you mean...?" and takes the customer's pick. ``db_attempts``/``db_delay``: the retries
    of a button press when the database blips (``bot.db.with_retries``)."""

    def __init__(self, steps: Steps, *, db_attempts: int, db_delay: float) -> None:
        self.steps = steps
        self.db_attempts = db_attempts
        self.db_delay = db_delay

    def ask(self, conv: int, text: str, message_id: int, d: Decision, meta: dict) -> Outcome:
        """Ask "did you mean...?" with the offered cases ``d.options`` as buttons (their first phrasings)."""
        s = self.steps
        labels = [option_label(case_label(s.kb.get(c))) for c in d.options]
        lang = s.handoff.language(conv)
        out = s.replies.render("clarify", language=lang)
        mid = s.reply(conv, out, meta={**meta, "kind": MessageKind.CLARIFY, "options": list(d.options),
                                       "option_labels": labels, "asked": text})
        buttons = clarify_buttons(mid, labels, s.replies.render("clarify_none", language=lang))
        return Outcome(replies=[Reply(out, buttons=buttons)], action="clarify", label=d.label,
                       confidence=d.confidence, case_id=d.case_id, reason=d.reason, message_id=message_id,
                       options=list(d.options))

    def typed(self, conv: int, msg: IncomingMessage, text: str, meta: dict) -> Outcome | None:
        """``text`` ("2", "none", "7") typed right under the conversation's last message, a "did you
        mean...?": the pick it makes, or the same options again for a number that is none of them (the
        customer's message stored either way). None when it is no pick, or not under one."""
        s = self.steps
        last = s.handoff.message_before(conv, LAST_ID)  # the last message
        if last is None or last.author != "bot" or last.kind is not MessageKind.CLARIFY:
            return None
        choice = typed_choice(text, len(last.meta.get("options") or []))
        if choice is not None and self.may_pick(msg.channel, msg.customer, last, choice):
            m = s.handoff.record(conv, "customer", text, author_name=msg.customer_name, meta=meta, key=msg.key)
            return self.picked(last, choice, key=msg.key, message_id=m.id)
        if choice is None and _TYPED_PICK.match(text):  # "7" under three options: ask again, same set
            m = s.handoff.record(conv, "customer", text, author_name=msg.customer_name, meta=meta, key=msg.key)
            return self.ask_again(last, m.id, key=msg.key)
        return None

    def ask_again(self, last: MessageView, message_id: int, *, key: str = "") -> Outcome:
        """A number that is none of the options ("7" under three) typed right under a "did you mean...?":
        the same options again, as a new "did you mean" message, so that the next number picks."""
        s = self.steps
        conv = last.conversation_id
        lang = s.handoff.language(conv)
        labels = [str(x) for x in last.meta.get("option_labels") or []]
        out = s.replies.render("clarify_again", count=len(labels) + 1, language=lang)
        keep = ("label", "confidence", "case_id", "reason", "why", "options", "option_labels", "asked")
        mid = s.reply(conv, out, meta={**{k: last.meta[k] for k in keep if k in last.meta},
                                       "kind": MessageKind.CLARIFY}, key=key)
        buttons = clarify_buttons(mid, labels, s.replies.render("clarify_none", language=lang))
        options = [str(o) for o in last.meta.get("options") or []]
        return Outcome(replies=[Reply(out, buttons=buttons)], action="clarify",
                       label=str(last.meta.get("label", "")), reason="the number typed is none of the options: "
                       "asked again", message_id=message_id, options=options)

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
        s = self.steps
        m = s.handoff.message_of(channel, customer, message_id)
        if m is None or not self.pickable(m, choice):
            return None
        key = f"{PICK}{m.id}"

        def once() -> Outcome | None:
            done = s.handoff.keyed_outcome(f"{key}#reply")
            if done is not None:
                return outcome_from_dict(done)
            held = self.claim_pick(channel, customer, m, choice)
            if held is None:
                return None
            out = self.picked(m, held, key=key)
            s.handoff.save_outcome(f"{key}#reply", outcome_to_dict(out))
            return out

        return with_retries(once, attempts=self.db_attempts, delay=self.db_delay)

    @staticmethod
    def pickable(m: MessageView, choice: str) -> bool:
        """Whether ``choice`` is one of the bot's "did you mean...?" message ``m``."""
        options = list(m.meta.get("options") or [])
        if m.author != "bot" or m.kind is not MessageKind.CLARIFY:
            return False
        return choice == NONE or (choice.isdigit() and int(choice) < len(options))

    def claim_pick(self, channel: str, customer: str, m: MessageView, choice: str) -> str | None:
        """The choice that holds for this set of buttons: ``choice`` when this is its first press, else the
        first press's (stored as the clarification's verdict ``pick:<choice>``); None when it was answered
        before picks were kept that way."""
        s = self.steps
        if s.answer_feedback is None:
            return choice
        if s.answer_feedback(channel, customer, m.id, f"{PICK}{choice}"):
            return choice
        first = s.verdict_of(m.id) if s.verdict_of is not None else None
        if first is None or not first.startswith(PICK):
            return None
        held = first[len(PICK):]
        return held if self.pickable(m, held) else None

    def may_pick(self, channel: str, customer: str, m: MessageView, choice: str) -> bool:
        """A typed pick ("2" under the options): valid, and the set's first press."""
        return self.pickable(m, choice) and self.claim_pick(channel, customer, m, choice) == choice

    def picked(self, m: MessageView, choice: str, *, key: str = "", message_id: int | None = None) -> Outcome:
        """What choice ``choice`` under ``m`` does: answer with the option's case, or (none) join the open
        ticket or open one for a person. ``message_id``: the customer's message that picked ("2" typed), None
        for a button press (no message of theirs)."""
        s = self.steps
        options = [str(o) for o in m.meta.get("options") or []]
        asked = str(m.meta.get("asked") or "")
        conv = m.conversation_id
        lang = s.handoff.language(conv)
        if choice != NONE:
            case = s.kb.get(options[int(choice)])
            answer, answer_language = answer_for(case, lang or s.replies.language)
            out = s.replies.render("answer", answer=answer, case=case, answer_language=answer_language,
                                   language=lang)
            reason = f"the customer picked {case.id!r} of {', '.join(options)}"
            s.reply(conv, out, meta={"kind": MessageKind.ANSWER, "label": m.meta.get("label", ""),
                                     "case_id": case.id, "confidence": 1.0, "reason": reason,
                                     "why": Why.PICKED, "picked_from": m.id, "asked": asked}, key=key)
            return Outcome(replies=[Reply(out, case_id=case.id)], action="answer", label=str(m.meta.get("label", "")),
                           confidence=1.0, case_id=case.id, reason=reason, options=options, message_id=message_id)
        open_t = s.handoff.open_ticket(conv)
        if open_t is not None:
            return s.joined(conv, open_t, message_id, key=key, lang=lang or "")
        human, priority = s.person_label(asked)
        reason = f"none of the offered cases fit ({', '.join(options)}); the customer asks for a person"
        try:
            t = s.handoff.create_ticket(conv, subject=asked or "None of the offered answers fit", label=human,
                                        confidence=1.0, priority=priority or "normal",
                                        impact="single", reason=reason,
                                        transcript_messages=s.transcript_messages)
        except OpenTicketExists as e:
            return s.joined(conv, e.ticket, message_id, key=key, lang=lang or "")
        out = s.replies.render("escalated_human", ticket_id=t.public_id, priority=t.priority, language=lang,
                               **s.team_hours(t.team, ticket=t))
        s.reply(conv, out, ticket_id=t.id, meta={"kind": MessageKind.ESCALATE, "label": human, "reason": reason,
                                                 "why": Why.ASKS_PERSON, "options": options}, key=key)
        return Outcome(replies=[Reply(out, ticket_id=t.public_id)], action="escalate", ticket_id=t.public_id,
                       label=human, confidence=1.0, priority=t.priority, impact=t.impact, reason=reason,
                       options=options, message_id=message_id)
