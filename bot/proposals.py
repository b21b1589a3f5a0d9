"""A resolved ticket becomes a draft solved case: the customer's question, the agent's resolution."""

from __future__ import annotations

import re

from bot.app import Aftercare
from handoff.errors import HandoffError
from kb.service import CaseView

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_CARD = re.compile(r"\b(?:\d[ -]?){12,19}\b")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{7,}\d")
_ACCOUNT = re.compile(r"\b(account|acct|order|iban|customer)\s*(no\.?|number|#|id)?\s*[:#]?\s*[A-Z0-9-]{5,}\b", re.I)


def scrub(text: str) -> str:
    """Remove personal data: e-mail addresses, card, phone and account numbers."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub("[number]", text)
    text = _PHONE.sub("[phone]", text)
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)} [number]", text)
    return text


def propose_from_ticket(ac: Aftercare, ref: str) -> CaseView:
    t = ac.handoff.get(ref)
    if t.status not in ("resolved", "closed") or not t.resolution:
        raise HandoffError(f"ticket {t.public_id} is {t.status}: only resolved tickets can be proposed")
    questions = [scrub(m.text) for m in ac.handoff.transcript(t.id) if m.author == "customer"][:3]
    if not questions:
        questions = [scrub(t.subject)]
    case_id = ac.kb.next_case_id(f"ticket-{t.public_id.lower()}")
    return ac.kb.add_case(case_id, questions, scrub(t.resolution), tags=[t.label] if t.label else [],
                          state="draft", source="ticket", source_ref=t.public_id)
