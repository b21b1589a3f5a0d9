"""A message while a ticket is open (a person owns the conversation; the message is on the ticket
already): a usage question the bot answers confidently is answered (the agent sees question and answer
on the ticket); a fault unlike anything the customer said on the ticket is flagged to the agent with
an internal note; everything else (follow-ups, chasing "any update?", answers to the agent) joins it.
What a message puts at stake (urgency, wide impact) raises the ticket's priority whatever else happens."""

from __future__ import annotations

import numpy as np

from bot.flow.steps import Steps, dmeta
from bot.messages import Outcome, Reply
from classifier.impact import hazard
from classifier.router import Decision, Why
from classifier.specifics import chases, goes_on
from classifier.troubles import same_trouble_again
from handoff.models import NEW_ISSUE, NEW_ISSUE_NOTE, MessageKind
from handoff.views import TicketView


class OpenTicket:
    """The open-ticket branch. While a ticket is open, a fault message this far (cosine under
    ``new_issue_similarity``, 0 to turn it off) from the ticket's subject and everything the customer
    said on it is a different issue; ``fault_labels`` are the labels that count as faults. "Are you a bot?" is
told so, and that a person has the ticket (``about_bot_ticket``)."""

    def __init__(self, steps: Steps, *, fault_labels: tuple[str, ...], new_issue_similarity: float) -> None:
        self.steps = steps
        self.fault_labels = fault_labels
        self.new_issue_similarity = new_issue_similarity

    def takes(self, conv: int, ticket: TicketView, text: str, message_id: int,
              decided: tuple[Decision, np.ndarray | None], *, key: str = "", lang: str = "") -> Outcome:
        """The Outcome of customer message ``message_id`` (``text``, decided as ``decided``: the decision
        and the message's vector, None when deciding failed) on the open ``ticket``."""
        s = self.steps
        d, vec = decided
        if d.urgency != "normal" or d.impact == "wide":
            # "someone is in my account right now", "사무실 전체가 안 돼요" said after the ticket opened: the
            # one priority rule (Router.priority_of) applies to what the ticket is about now; never lowered
            pr = s.router().priority_of(ticket.label, "escalate", d.stakes)
            s.handoff.raise_stakes(ticket.id, pr, d.impact, reason=f"the customer wrote: {text[:300]}")
        if hazard(text):
            # "now there's smoke coming out of it": what to do this minute, the ticket raised to critical above
            # and a note the agent cannot miss; the message is on the ticket already
            s.handoff.note(ticket.id, "Aftercare", f"Safety hazard reported; safety advice sent: {text[:500]}")
            out = f"{s.replies.render('safety', language=lang or None)}\n\n" \
                  f"{s.replies.render('joined', ticket_id=ticket.public_id, language=lang or None)}"
            s.reply(conv, out, ticket_id=ticket.id, meta={**dmeta(d), "kind": MessageKind.REPLY}, key=key)
            return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined", label=d.label,
                           ticket_id=ticket.public_id, message_id=message_id, confidence=d.confidence,
                           reason=f"a safety hazard on {ticket.public_id}: safety advice sent, the ticket is critical")
        if d.why is Why.ABOUT_BOT:
            # "are you a bot?" while a ticket is open: told so, and that a person has the ticket
            out = s.replies.render("about_bot_ticket", ticket_id=ticket.public_id, language=lang or None)
            s.reply(conv, out, ticket_id=ticket.id, meta={**dmeta(d), "kind": MessageKind.REPLY}, key=key)
            return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="reply", label=d.label,
                           ticket_id=ticket.public_id, message_id=message_id, confidence=d.confidence,
                           reason=f"asks whether this is a bot while {ticket.public_id} is open: told so, and that "
                                  f"a person has the ticket")
        if d.action == "answer" and d.case_id is not None and not chases(text) \
                and not s.answered_right_before(conv, message_id, d.case_id, text):
            # (the same answer right before: it did not help; the message joins the ticket for its person)
            # (chasing the ticket, "언제 고쳐지나요?", is about it, never a question for a case: it joins)
            return s.answer(conv, d, message_id, key=key, lang=lang, ticket=ticket, text=text)
        if d.action == "escalate" and d.label in self.fault_labels and vec is not None \
                and self.new_issue_similarity > 0:
            before = [m for m in s.handoff.transcript(ticket.id) if m.id != message_id]
            # the last word on the ticket is the agent's: the customer is answering it ("version 4.2 on
            # Android" to "which version?"), whatever it looks like
            answering = next((m.author for m in reversed(before) if m.author in ("customer", "agent")), "") == "agent"
            said = [m.text for m in before if m.author == "customer" and m.text != "[attachment]"]
            known = s.route(text)[0].encode([ticket.subject, *said[-20:]])  # in the space of ``vec``
            closest = float((known @ vec).max())
            # "it crashed again just now" goes on about the report in other words: only a message far
            # from everything said (half the similarity) is flagged then
            floor = self.new_issue_similarity * (0.5 if goes_on(text) else 1.0)
            # "it dropped again", "또 끊겼어요" on a ticket about the camera dropping off the wifi: the same
            # report, never a new issue
            again = same_trouble_again(text, [ticket.subject, *said])
            if not answering and not again and closest < floor:
                s.handoff.note(ticket.id, "Aftercare", f"{NEW_ISSUE_NOTE}, unlike this ticket's subject "
                               f"(similarity {closest:.2f}): {text}")
                out = s.replies.render("joined_new_issue", ticket_id=ticket.public_id, language=lang or None)
                # the flagged message is another issue: never a phrasing of this ticket's draft (bot.proposals)
                s.reply(conv, out, ticket_id=ticket.id, key=key, meta={NEW_ISSUE: message_id})
                return Outcome(replies=[Reply(out, ticket_id=ticket.public_id)], action="joined",
                               ticket_id=ticket.public_id, label=d.label, message_id=message_id,
                               reason=f"a different issue while {ticket.public_id} is open: flagged to the agent")
        return s.joined(conv, ticket, message_id, key=key, lang=lang)
