"""A customer message soon after their ticket was resolved (within the reopen window): does it reopen the
ticket? Only a message about the same issue does: the trouble is back ("again", "it's back", "또 그래요",
"재발했어요", "또 꺼졌어요" on a ticket about the camera going offline), it is still there, it did not help, a
person is asked for, the ticket is chased, or the message is close in meaning to what the ticket is about. A
different question ("is there a student discount?") or another fault ("the app crashes when I upload a
photo" after a ticket about the camera going offline) is a first message of its own, and so is what the bot
answers itself (a usage question, thanks)."""

from __future__ import annotations

import numpy as np

from bot.flow.steps import Steps
from classifier.router import UNSURE, Decision, Why
from classifier.specifics import chases, is_vague
from classifier.troubles import other_trouble, recurs, same_trouble_again, something_else


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
