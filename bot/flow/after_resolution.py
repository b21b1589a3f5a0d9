"""A customer message soon after their ticket was resolved (within the reopen window): does it reopen the
ticket? Only a message about the same issue does: the trouble is back ("again", "it's back", "또 그래요",
"재발했어요", "또 꺼졌어요" on a ticket about the camera going offline), it is still there, it did not help, a
person is asked for, the ticket is chased, or the message is close in meaning to what the ticket is about. A
different question ("is there a student discount?") or another fault ("the app crashes when I upload a
photo" after a ticket about the camera going offline) is a first message of its own, and so is what the bot
answers itself (a usage question, thanks). A message that answers the agent's last question ("What's the
delivery address?" in the agent's last reply or resolution note, then "서울시 마포구 월드컵로 12, 3층이요", "it's the
2nd floor, unit 5") goes to that ticket too, however far its words are from the fault: it reopens it (as
Zendesk reopens a solved ticket the customer answers), so the agent who asked sees the answer in the queue."""

from __future__ import annotations

import re

import numpy as np

from bot.flow.steps import Steps
from classifier.questions import asks
from classifier.router import UNSURE, Decision, Why
from classifier.specifics import acknowledges, chases, is_vague
from classifier.troubles import other_trouble, recurs, same_trouble_again, something_else
from handoff.views import TicketView

ANSWER_WORDS = 40  # an answer to the agent's question is at most this many words
_SENTENCES = re.compile(r"(?<=[.!?？。])\s+|\n+")


def ends_asking(words: str) -> bool:
    """Whether ``words`` (an agent's reply or resolution note) end with a question or a request for something:
    the last sentence ends with a question mark or asks by its form ("Please send your address.", "주소를
    알려주세요.", :func:`classifier.questions.asks`)."""
    parts = [p for p in _SENTENCES.split(words.strip()) if p.strip()]
    return bool(parts) and asks(parts[-1])


class AfterResolution:
    """Judges a message against the conversation's recently resolved ticket. ``fault_labels``: the labels
    that count as faults; ``new_issue_similarity``: the cosine to the ticket's subject and the customer's
    words on it under which a message is about something else (as on an open ticket; 0: meaning is not
    compared and any message the bot does not answer reopens the ticket, as before)."""

    def __init__(self, steps: Steps, *, fault_labels: tuple[str, ...], new_issue_similarity: float) -> None:
        self.steps = steps
        self.fault_labels = fault_labels
        self.new_issue_similarity = new_issue_similarity

    def reopens(self, conv: int, text: str, decided: tuple[Decision, np.ndarray | None]) -> bool:
        """Whether ``text`` (decided as ``decided``: the decision and the message's vector, None when deciding
        failed) is about the conversation's resolved ticket and reopens it."""
        d, vec = decided
        ticket = self.steps.handoff.awaiting_rating(conv)
        reported = self.reported(ticket.id, ticket.subject) if ticket is not None else []
        if recurs(text) and same_trouble_again(text, reported):
            return True  # "again", "또 그래요": the same trouble is back, however the vote read the words
        if ticket is not None and self.answers_agent(ticket, text, d, reported):
            return True  # "서울시 마포구 월드컵로 12, 3층이요" right after "what's the delivery address?"
        if d.action == "answer" or (d.action == "reply" and d.label != UNSURE):
            return False  # a usage question, thanks: the bot answers it, the ticket stays resolved
        if d.why is Why.ASKS_PERSON or chases(text) or is_vague(text) or ticket is None:
            return True
        if something_else(text) or other_trouble(text, reported):
            return False  # "by the way my doorbell battery died too": a new first message
        if d.action == "escalate" and d.label in self.fault_labels:
            return True  # a fault naming no other trouble: "2 more cameras are broken now"
        if vec is None or self.new_issue_similarity <= 0:
            return True
        known = self.steps.route(text)[0].encode([reported[0], *reported[1:][-20:]])  # in the space of ``vec``
        return float((known @ vec).max()) >= self.new_issue_similarity

    def reported(self, ticket_id: int, subject: str) -> list[str]:
        """What the ticket is about: its subject and what the customer said on it."""
        said = [m.text for m in self.steps.handoff.transcript(ticket_id)
                if m.author == "customer" and m.text != "[attachment]"]
        return [subject, *said]

    def agent_asked(self, ticket: TicketView) -> bool:
        """Whether the agent's last words to the customer on ``ticket`` end with a question
        (:func:`ends_asking`): the resolution note, or the agent's last reply when the note was not written
        ("resolved by ann", the default when the agent wrote nothing)."""
        note = (ticket.resolution or "").strip()
        if note and not note.startswith("resolved by "):
            return ends_asking(note)
        said = [m.text for m in self.steps.handoff.transcript(ticket.id) if m.author == "agent"]
        return bool(said) and ends_asking(said[-1])

    def answers_agent(self, ticket: TicketView, text: str, d: Decision, reported: list[str]) -> bool:
        """Whether ``text`` (decided as ``d``) plainly answers the agent's last question on the resolved
        ``ticket`` (:meth:`agent_asked`): it asks nothing, is no thanks, greeting or bare "ok", at most
        ``ANSWER_WORDS`` words, and brings up no other trouble than ``reported`` (the ticket's words)."""
        if asks(text) or "?" in text or "？" in text or acknowledges(text) or len(text.split()) > ANSWER_WORDS:
            return False
        if d.action == "reply" and d.label != UNSURE or d.why in (Why.ABOUT_BOT, Why.ASKS_PERSON):
            return False  # thanks, a greeting: answered as such; a person asked for reopens it anyway
        if something_else(text) or other_trouble(text, reported):
            return False
        return self.agent_asked(ticket)
