"""What an editor must see about a draft case before approving it, and which draft a resolved ticket's words
go to.

A draft proposed from a ticket that was reopened since (its customer said the fix did not work) holds a fix
that failed: approval is refused unless the editor confirms it, and resolving the ticket again puts the new
resolution in that same draft (never a second draft). An answer that still holds a placeholder of scrubbed
personal data ("Call [phone] if needed.") would reach customers as is: approval is refused until the answer
is edited. Another ticket of the same problem resolved with a different answer never overwrites the problem's
draft: it is proposed as a draft of its own, and both drafts name each other.
"""

from __future__ import annotations

from bot.app import Aftercare
from handoff.errors import HandoffError
from handoff.views import TicketView
from kb.errors import KBError
from kb.scrub import PLACEHOLDER
from kb.service import CaseView

__all__ = ["answer_placeholders", "check_approvable", "draft_for", "draft_warnings", "reopened_ticket",
           "same_problem_drafts"]


def answer_placeholders(answer: str) -> list[str]:
    """The scrub placeholders (``[phone]``, ``[email]``, ...: :data:`kb.scrub.PLACEHOLDER`) left in ``answer``,
    each once, in order; empty when there is none."""
    found: list[str] = []
    for p in PLACEHOLDER.findall(answer):
        if p not in found:
            found.append(p)
    return found


def reopened_ticket(ac: Aftercare, case: CaseView) -> TicketView | None:
    """The ticket draft ``case`` was proposed from when it is open again (reopened after the resolution the
    draft's answer holds: that fix did not solve it); None otherwise, or when the case is not from a ticket."""
    if case.source != "ticket" or not case.source_ref:
        return None
    try:
        t = ac.handoff.get(case.source_ref)
    except HandoffError:
        return None
    return t if t.is_open else None


def same_problem_drafts(ac: Aftercare, case: CaseView) -> list[CaseView]:
    """The other drafts proposed from tickets of the same problem as ``case``'s ticket (each with an answer of
    its own: the editor approves one, rejects the rest); empty when its ticket is linked to no problem."""
    if case.source != "ticket" or not case.source_ref:
        return []
    try:
        t = ac.handoff.get(case.source_ref)
        refs = ac.handoff.problem(t.problem_id).tickets if t.problem_id is not None else []
    except HandoffError:
        return []
    return [c for ref in refs for c in ac.kb.list(source_ref=ref)
            if c.source == "ticket" and c.state == "draft" and c.id != case.id]


def draft_warnings(ac: Aftercare, case: CaseView) -> list[str]:
    """What the editor is told about draft ``case`` before approving it (the Review page, ``kb review list``):
    its ticket was reopened, its answer holds scrub placeholders, another draft of the same problem answers
    differently. Each a sentence; empty when there is nothing to warn about."""
    out: list[str] = []
    t = reopened_ticket(ac, case)
    if t is not None:
        out.append(f"Ticket {t.public_id} was reopened after this answer was proposed: the fix may not have "
                   "worked. Resolving the ticket again puts its new resolution here; approving now needs a "
                   "confirmation.")
    holders = answer_placeholders(case.answer)
    if holders:
        out.append(f"The answer still holds {', '.join(holders)} where personal data was removed: customers "
                   "would read it as is. Edit the answer before approving.")
    others = same_problem_drafts(ac, case)
    if others:
        out.append("Same problem as draft " + ", ".join(f"{c.id} (answer: “{c.answer[:80]}”)" for c in others)
                   + ": approve the one whose answer is right and reject the other.")
    return out


def check_approvable(ac: Aftercare, case: CaseView, answer: str, *, confirm: bool = False) -> None:
    """Raise KBError (starting "not approved") when draft ``case`` with ``answer`` (the answer it would be
    published with) must not be published as is: the answer holds a scrub placeholder (always refused: edit
    it), or its ticket is open again and the editor did not ``confirm``. Returns None otherwise."""
    holders = answer_placeholders(answer)
    if holders:
        raise KBError(f"not approved: the answer of {case.id} still holds {', '.join(holders)} (personal data "
                      "scrubbed from the ticket): customers would read it as is. Edit the answer first "
                      f"(aftercare kb review edit {case.id} -a \"...\", or on its case page).")
    t = reopened_ticket(ac, case)
    if t is not None and not confirm:
        raise KBError(f"not approved: ticket {t.public_id} was reopened after {case.id}'s answer was proposed, "
                      "so that fix may not have worked. Resolve the ticket again (its new resolution updates "
                      "this draft), reject the draft, or approve it anyway with a confirmation (aftercare kb review "
                      f"approve {case.id} --confirm, or the tick on the Review page).")


def draft_for(ac: Aftercare, ticket: TicketView, answer: str) -> tuple[CaseView | None, bool]:
    """Where resolved ``ticket``'s words go, with its (scrubbed) resolution ``answer``: ``(case, take_answer)``.

    The ticket's own draft (proposed when it was resolved before, then reopened): take the new resolution.
    Else a draft of another ticket of its problem whose answer is ``answer`` already: add the phrasings, keep
    the answer. Else, when the problem has a published case: that case (nothing is proposed). Else
    ``(None, False)``: a new draft (also when the problem's draft answers differently: never overwritten)."""
    own = [c for c in ac.kb.list(source_ref=ticket.public_id) if c.source == "ticket" and c.state == "draft"]
    if own:
        return own[-1], True
    if ticket.problem_id is None:
        return None, False
    siblings = [ref for ref in ac.handoff.problem(ticket.problem_id).tickets if ref != ticket.public_id]
    cases = [c for ref in siblings for c in ac.kb.list(source_ref=ref) if c.source == "ticket"]
    same = next((c for c in cases if c.state == "draft" and c.answer.strip() == answer.strip()), None)
    if same is not None:
        return same, False
    return next((c for c in cases if c.state == "published"), None), False
