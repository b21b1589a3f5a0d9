"""A resolved ticket becomes a draft solved case: the messages that state the problem, the agent's
resolution; and the check an editor's approval passes first.

A draft's phrasings are the ticket's subject and what the customer wrote before the first agent
reply, minus what does not state the problem: courtesy ("thanks", "hi"), ratings, a request for a
person, chasing ("is it fixed yet?", "any update?") and questions the bot had already answered
before the ticket. Everything is scrubbed of personal data and secrets (:mod:`kb.scrub`).

Before a draft is published each of its phrasings is checked against the published cases: a
phrasing nearer to another case than to its own draft (or, alone, nearly the same as another
case's phrasing) collides, and approval is refused with the reason until it is unticked or edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.app import Aftercare
from bot.draft_review import check_approvable, draft_for
from bot.ratings import parse_rating
from classifier.specifics import chases, is_vague
from classifier.troubles import same_trouble_again
from handoff.errors import HandoffError
from handoff.models import NEW_ISSUE, NEW_ISSUE_NOTE, MessageKind
from handoff.views import MessageView, TicketView
from kb.errors import KBError
from kb.personal import mostly_personal
from kb.scrub import scrub
from kb.scrub_identity import scrub_customer_name
from kb.service import CaseView

__all__ = ["PhrasingCheck", "approve_draft", "check_phrasings", "followed_answers", "phrasing_note",
           "problem_statements", "propose_from_ticket", "scrub", "check_publishable"]

# the bot's reply kinds that mean the message was handled already
NOT_STATING = (MessageKind.ANSWER, MessageKind.REPLY, MessageKind.RATED)


def problem_statements(ac: Aftercare, ticket: TicketView, messages: list[MessageView]) -> list[str]:
    """The customer messages of ``messages`` (a ticket's transcript) that state the problem, unscrubbed.

    Before the first agent reply; not ratings, courtesy, requests for a person, chasing, words that name
    nothing ("still doesn't work"), nor a message the bot answered (its next bot message is an answer or a
    template reply): a question the bot answered with a case is that case's, and a follow-up saying the answer
    did not help ("still broken", "그래도 안 돼요") states no problem of its own. The ticket's subject counts
    only when nothing else does and it is not made of such an answered question (:func:`followed_answers`).
    An empty list when nothing states the problem."""
    human = ac.config.classifier.human_label
    first_agent = next((m.id for m in messages if m.author == "agent"), None)
    flagged = other_issues(messages)
    out: list[str] = []
    for i, m in enumerate(messages):
        if m.author != "customer":
            continue
        if first_agent is not None and m.id > first_agent:
            break
        text = m.text.strip()
        if not text or text == "[attachment]" or "rating" in m.meta or parse_rating(text) is not None:
            continue
        if out and (m.id in flagged or text in flagged.values()):
            # "my camera also buzzes, the lens is cracked" on a crash ticket: another issue, never this one's
            # (unless nothing before stated a problem: a ticket opened by asking for a person)
            continue
        answer = next((n for n in messages[i + 1:] if n.author != "customer" and n.author != "note"), None)
        if answer is not None and answer.author == "bot" and answer.kind in NOT_STATING:
            continue
        if out and same_trouble_again(text, [ticket.subject, *out]):
            continue  # "it crashed again just now": the report goes on, no new way of stating it
        if not states_a_problem(ac, text, human=human):
            continue
        if text not in out:
            out.append(text)
    subject = ticket.subject.strip()
    answered = [q for q, _ in followed_answers(messages)]
    if not out and subject and not any(q in subject for q in answered) and states_a_problem(ac, subject, human=human):
        out.append(subject)
    return out


def other_issues(messages: list[MessageView]) -> dict[int, str]:
    """``{message id: text}`` of each customer message of ``messages`` (a ticket's transcript) the bot flagged
    as a different issue while the ticket was open (its reply carries ``NEW_ISSUE``, or, for messages stored
    before that, the agent's "Possibly a new issue" note quotes it): another problem, never the ticket's."""
    out: dict[int, str] = {}
    by_id = {m.id: m for m in messages}
    for m in messages:
        ref = m.meta.get(NEW_ISSUE) if m.author == "bot" else None
        if isinstance(ref, int) and ref in by_id:
            out[ref] = by_id[ref].text.strip()
        elif m.author == "note" and m.text.startswith(NEW_ISSUE_NOTE) and "): " in m.text:
            quoted = m.text.split("): ", 1)[1].strip()
            out.update({c.id: quoted for c in messages if c.author == "customer" and c.text.strip() == quoted})
    return out


def stated_part(clean: str) -> str:
    """``clean`` (a scrubbed message) without its sentences, or failing that its clauses, that are mostly
    personal data (:func:`kb.personal.mostly_personal`): "카메라 녹화가 안돼요. 제 번호는 [phone] 이고 이메일은
    [email], 주민번호 [resident number] 이에요" is "카메라 녹화가 안돼요."; '' when nothing else is left ("my
    password is [password]"); ``clean`` itself when it is not mostly personal."""
    if not mostly_personal(clean):
        return clean
    for pieces in (re.split(r"(?<=[.!?。])\s+|\n+", clean), re.split(r"(?<=[.!?。,;])\s+|\n+", clean)):
        kept = " ".join(p.strip() for p in pieces if p.strip() and not mostly_personal(p))
        if kept and not mostly_personal(kept):
            return kept
    return ""


def followed_answers(messages: list[MessageView]) -> list[tuple[str, str]]:
    """``(question, case id)`` of each customer message of ``messages`` (a ticket's transcript) that the bot
    answered with a case before the first agent reply, in order: what the ticket followed when the customer
    then said the answer did not help. These are the answering case's questions, never a draft's phrasing. A
    question the bot answered after it opened the ticket ("how do I reset my password?" on a ticket about
    recording) is no answer the ticket followed."""
    first_agent = next((m.id for m in messages if m.author == "agent"), None)
    opened = next((m.id for m in reversed(messages) if m.author == "bot" and m.kind is MessageKind.ESCALATE), None)
    out: list[tuple[str, str]] = []
    for i, m in enumerate(messages):
        if m.author != "customer" or (first_agent is not None and m.id > first_agent):
            continue
        if opened is not None and m.id > opened:
            break
        answer = next((n for n in messages[i + 1:] if n.author != "customer" and n.author != "note"), None)
        case_id = answer.meta.get("case_id") if answer is not None and answer.author == "bot" else None
        if answer is not None and answer.kind is MessageKind.ANSWER and case_id and m.text.strip():
            out.append((m.text.strip(), str(case_id)))
    return out


def phrasing_note(ac: Aftercare, case: CaseView) -> str:
    """What an editor is told about draft ``case`` when it has no phrasing yet: the questions its ticket
    followed, each answered by another case whose answer did not help, and the command that writes the
    phrasing. '' when the draft has phrasings (or is not from a ticket)."""
    if case.questions:
        return ""
    followed: list[tuple[str, str]] = []
    if case.source_ref:
        try:
            followed = followed_answers(ac.handoff.transcript(ac.handoff.get(case.source_ref).id))
        except HandoffError:
            followed = []
    why = "; ".join(f"“{scrub(q)}” was answered with case {c} and that answer did not help" for q, c in followed)
    return ((why + ": that question stays case " + followed[-1][1] + "'s. " if followed else "")
            + f"Draft {case.id} has no phrasing yet: write the problem as customers state it "
            f"(aftercare kb review edit {case.id} -q \"...\"), then approve it.")


def states_a_problem(ac: Aftercare, text: str, *, human: str = "") -> bool:
    """Whether ``text`` could be a solved case's phrasing: not chasing ("is it fixed yet?"), not naming
    nothing ("still broken", ``classifier.specifics.is_vague``), not a message
    the bot replies to with a template (greetings, thanks), not a request for a person."""
    if chases(text) or parse_rating(text) is not None or is_vague(text):
        return False
    d = ac.pipeline.decide(text)
    return not (d.action == "reply" or d.label == (human or ac.config.classifier.human_label))


class NothingToPropose(HandoffError):
    """A resolved ticket none of whose messages states a problem (requests for a person, greetings)."""


def propose_from_ticket(ac: Aftercare, ref: str) -> CaseView:
    """A draft case from a resolved ticket: the problem statements as phrasings, the resolution as the
    answer, both scrubbed. A ticket resolved again after a reopening updates its own draft (the new fix
    replaces the one that failed); a ticket of a problem whose draft has the same answer adds its phrasings to
    it, one with another answer gets a draft of its own (a problem's draft is never overwritten unseen:
    :mod:`bot.draft_review`); nothing is proposed once the problem's case is published; no phrasing at all
    when the ticket
    only followed an answer that did not help
    (:func:`phrasing_note` tells the editor). Raises HandoffError when the ticket is not resolved,
    NothingToPropose when no message states a problem and no answer was followed."""
    t = ac.handoff.get(ref)
    if t.status not in ("resolved", "closed") or not t.resolution:
        raise HandoffError(f"ticket {t.public_id} is {t.status}: only resolved tickets can be proposed")
    questions: list[str] = []
    for q in problem_statements(ac, t, ac.handoff.transcript(t.id)):
        clean = stated_part(scrub_customer_name(scrub(q), t.customer_name))  # "my password is [password]": no
        # problem; "녹화가 안돼요. 제 번호는 [phone]..." keeps "녹화가 안돼요."
        if clean and clean not in questions:
            questions.append(clean)
    if not questions and not followed_answers(ac.handoff.transcript(t.id)):
        # the customer only asked for a person, greeted, thanked: nothing to answer next time
        raise NothingToPropose(f"ticket {t.public_id} has no message stating a problem (only requests for a "
                               "person, greetings or thanks): no draft case proposed")
    # a ticket that followed an answer which did not help: the fix is kept as a draft with no phrasing (the
    # answered question is the other case's), for the editor to write how customers state this failure
    answer = scrub_customer_name(scrub(t.resolution), t.customer_name)  # "김민수 고객님, ..." -> "[name] 고객님, ..."
    same, take_answer = draft_for(ac, t, answer)
    if same is not None:  # its own draft (reopened, resolved again) or its problem's draft with this answer
        if same.state != "draft":
            raise NothingToPropose(f"ticket {t.public_id}'s problem has case {same.id} ({same.state}) already: "
                                   "no second draft proposed")
        for q in questions:
            ac.kb.add_phrasing(same.id, q)
        # resolved again after a reopening: the new fix replaces the one that did not work
        return ac.kb.update_case(same.id, answer=answer) if take_answer else ac.kb.get(same.id)
    case_id = ac.kb.next_case_id(f"ticket-{t.public_id.lower()}")
    return ac.kb.add_case(case_id, questions, answer, tags=[t.label] if t.label else [],
                          state="draft", source="ticket", source_ref=t.public_id)


@dataclass(frozen=True)
class PhrasingCheck:
    """One phrasing of a draft against the published cases.

    ``other_case``/``other_score``: the nearest other published case and its best phrasing's cosine
    similarity; ``own_score``: the best cosine similarity to the draft's other phrasings (None when
    it is the only one); ``taken``: whether the bot, as the KB stands, answers this phrasing with the
    other case (or offers that case among "did you mean" options). A phrasing collides when it is nearer
    to the other case than to its own case's other phrasings and either the bot takes it for that case
    or it is nearly the same as one of that case's phrasings (``duplicate_score``); alone, when it is
    nearly the same as the other case's phrasing, or is a question the draft's own ticket had answered with
    that case and the bot still does (the question whose answer did not help is that case's: published alone
    here it would be taken from it; an editor may otherwise write a case for a question another case answers
    today, which is how answers improve). Two phrasings of one new case asking two different things
    ("can it be gift-wrapped?", "can I buy it in a shop?") are far from each other; that alone does not
    make one of them another case's."""

    text: str
    other_case: str | None
    other_score: float
    own_score: float | None
    duplicate_score: float
    taken: bool = True

    @property
    def collides(self) -> bool:
        if self.other_case is None:
            return False
        if self.own_score is not None:
            return self.other_score > self.own_score and (self.taken or self.other_score >= self.duplicate_score)
        return self.taken or self.other_score >= self.duplicate_score

    @property
    def reason(self) -> str:
        if not self.collides:
            return ""
        if self.own_score is not None:
            return (f"“{self.text}” is nearer to case {self.other_case} ({self.other_score:.2f}) than to this "
                    f"case's other phrasings ({self.own_score:.2f})")
        if self.other_score >= self.duplicate_score:
            return f"“{self.text}” is nearly the same as a phrasing of case {self.other_case} ({self.other_score:.2f})"
        return (f"“{self.text}” is answered with case {self.other_case} today ({self.other_score:.2f}): published "
                "here it would take that question from it")


def check_phrasings(ac: Aftercare, case_id: str, phrasings: list[str]) -> list[PhrasingCheck]:
    """Check each of ``phrasings`` (the ones an editor keeps for case ``case_id``) against the
    published cases other than ``case_id``; one :class:`PhrasingCheck` per phrasing, in order."""
    qs = [q.strip() for q in phrasings if q.strip()]
    if not qs:
        return []
    routed = ac.routed(qs)  # a Korean phrasing is read by the encoder Korean routes to, in its index
    # the draft's phrasings by each encoder used, to compare a phrasing with its siblings by its own encoder
    # (the multilingual one reads the English siblings of a Korean phrasing too)
    siblings: dict[str, np.ndarray] = {}
    for st, _ in routed:
        if st.embedder.name not in siblings:
            siblings[st.embedder.name] = np.asarray(st.embedder.encode(qs))
    dup = ac.config.console.duplicate_score
    answered = _answered_on_ticket(ac, case_id)
    out: list[PhrasingCheck] = []
    for i, (q, (st, vec)) in enumerate(zip(qs, routed, strict=True)):
        other = next((h for h in st.kb.search_vector(vec, 5) if h.case_id != case_id), None)
        sims = siblings[st.embedder.name] @ vec
        own = max((float(sims[j]) for j in range(len(qs)) if j != i), default=None)
        taken = False
        # alone, a phrasing is taken only when it is a question the draft's ticket had answered by that case
        # (an editor may write a new case for a question another case answers today: that is how answers improve)
        if other is not None and (own is not None and float(other.score) > own
                                  or own is None and (q.casefold(), other.case_id) in answered):
            d = ac.pipeline.decide(q)  # would a customer writing this get the other case today?
            taken = d.case_id == other.case_id and d.action == "answer" or other.case_id in d.options
        out.append(PhrasingCheck(text=q, other_case=other.case_id if other else None,
                                 other_score=float(other.score) if other else 0.0, own_score=own,
                                 duplicate_score=dup, taken=taken))
    return out


def _answered_on_ticket(ac: Aftercare, case_id: str) -> set[tuple[str, str]]:
    """``(question casefolded and scrubbed, case id)`` of each question the bot answered on the ticket case
    ``case_id`` was proposed from (:func:`followed_answers`); empty for another case or a new one."""
    try:
        case = ac.kb.get(case_id)
        if case.source != "ticket" or not case.source_ref:
            return set()
        messages = ac.handoff.transcript(ac.handoff.get(case.source_ref).id)
    except (KBError, HandoffError):
        return set()
    return {(scrub(q).casefold(), c) for q, c in followed_answers(messages)}


def approve_draft(ac: Aftercare, case_id: str, *, keep: list[str] | None = None,
                  answer: str | None = None, confirm: bool = False) -> CaseView:
    """Publish draft ``case_id`` with the phrasings ``keep`` (default: all it has) and, optionally, an
    edited answer. Raises KBError, naming each colliding phrasing, when one of them is nearer to
    another case than to this one, and naming each phrasing of ``keep`` the draft does not have (keeping
    is not editing: change phrasings with an edit first); also when the answer holds a scrub placeholder
    ("[phone]"), or the draft's ticket was reopened and ``confirm`` is False
    (:func:`bot.draft_review.check_approvable`); nothing is changed then."""
    c = ac.kb.get(case_id)
    if c.state != "draft":
        raise KBError(f"case {case_id} is {c.state}, not a draft: nothing to approve")
    has = {q.strip() for q in c.questions}
    foreign = [q for q in keep or [] if q.strip() and q.strip() not in has]
    if foreign:
        raise KBError(f"not approved: draft {case_id} has no phrasing " + ", ".join(repr(q) for q in foreign)
                      + f"; its phrasings are {', '.join(repr(q) for q in c.questions)}. Keep some of these, "
                      "or edit the draft's phrasings first (aftercare kb review edit ID -q ...).")
    phrasings = [q.strip() for q in (c.questions if keep is None else keep) if q.strip()]
    if not phrasings:
        raise KBError(phrasing_note(ac, c) if not c.questions else "tick at least one phrasing to approve")
    if not any(states_a_problem(ac, p) for p in phrasings):
        raise KBError(f"not approved: no phrasing of {case_id} states a problem (" + ", ".join(
            repr(p) for p in phrasings) + " asks for a person, greets or thanks); the bot would answer that "
            "with this case. Edit its phrasings (aftercare kb review edit ID -q ...) or reject it.")
    check_approvable(ac, c, answer if answer is not None else c.answer, confirm=confirm)
    check_publishable(ac, case_id, phrasings, refused="not approved", fix="Untick or edit these phrasings.")
    return ac.kb.update_case(case_id, questions=phrasings, answer=answer, state="published")


def check_publishable(ac: Aftercare, case_id: str, phrasings: list[str], *, refused: str = "not published",
                      fix: str = "Edit these phrasings, or remove them.") -> None:
    """The check every way of publishing a case applies (review approve, the console's case page and
    state buttons, ``kb add``, ``kb publish``): raises KBError starting with ``refused`` and naming each
    of ``phrasings`` that is mostly personal data (:func:`kb.personal.mostly_personal`) or collides with
    another published case (:func:`check_phrasings`), then ``fix``;
    returns None when none does."""
    personal = [p for p in phrasings if mostly_personal(scrub(p))]
    if personal:
        raise KBError(f"{refused}: " + ", ".join(f"“{scrub(p)}”" for p in personal) + " is mostly a customer's "
                      "personal data (passwords, card or id numbers), not a problem another customer could "
                      f"state: it would be shown to other customers. {fix}")
    clashes = [p for p in check_phrasings(ac, case_id, phrasings) if p.collides]
    if clashes:
        raise KBError(f"{refused}: " + "; ".join(p.reason for p in clashes) + f". {fix}")
