"""Tickets: atomic claim, audit trail, satisfaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from handoff.errors import HandoffError
from tests.conftest import FakeChannel


def _ticket(chat: FakeChannel) -> str:
    out = chat.push("the app crashes every time I upload a photo")
    assert out.ticket_id
    return out.ticket_id


def test_two_agents_claim_at_once_one_wins(chat: FakeChannel) -> None:
    tid = _ticket(chat)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda a: chat.ac.handoff.claim(tid, a), ["ann", "bob"]))
    winners = [r for r in results if r.won]
    assert len(winners) == 1
    loser = next(r for r in results if not r.won)
    assert loser.owner == winners[0].owner
    assert chat.ac.handoff.get(tid).assignee == winners[0].owner


def test_claim_on_postgres_many_workers(make_app, pg_url: str) -> None:
    ac = make_app(db_url=pg_url)
    tid = _ticket(FakeChannel(ac))
    agents = [f"agent{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda a: ac.handoff.claim(tid, a), agents))
    assert sum(r.won for r in results) == 1
    assert len({r.owner for r in results}) == 1


def test_audit_trail_and_rating(chat: FakeChannel) -> None:
    ac = chat.ac
    tid = _ticket(chat)
    ac.handoff.claim(tid, "ann")
    ac.handoff.note(tid, "ann", "looks like the upload service")
    ac.handoff.reply(tid, "ann", "Fixed on our side, please retry.")
    with pytest.raises(HandoffError, match="not resolved"):
        ac.handoff.rate(tid, 4)
    ac.handoff.resolve(tid, "ann", "Upload service restarted", notice="resolved")
    ac.handoff.rate(tid, 4, comment="quick")
    assert ac.handoff.rating(tid) == 4
    with pytest.raises(HandoffError, match="1 to 5"):
        ac.handoff.rate(tid, 9)
    kinds = [e.kind for e in ac.handoff.events(tid)]
    assert kinds == ["created", "claimed", "note", "replied", "resolved", "rated"]
    assert all(e.actor for e in ac.handoff.events(tid))


def test_the_customer_sees_the_agents_reply_and_the_resolution_each_once(chat: FakeChannel) -> None:
    """What reaches the customer after the bot's immediate reply: the agent's words, then the
    resolution notice with the rating buttons; a second pop has nothing new."""
    from bot.workflows import resolve_ticket

    out = chat.push("the app crashes every time I upload a photo")
    assert out.action == "escalate" and out.ticket_id
    assert chat.pop() == []
    chat.ac.handoff.reply(out.ticket_id, "ann", "Which version of the app?")
    chat.ac.handoff.note(out.ticket_id, "ann", "probably the uploader")
    [agent] = chat.pop()
    assert "Which version of the app?" in agent.text and agent.kind == "agent"
    resolve_ticket(chat.ac, out.ticket_id, "ann", "Fixed in 4.2.1", propose=False)
    [notice] = chat.pop()
    assert "Fixed in 4.2.1" in notice.text and len(notice.buttons) == 5
    assert chat.pop() == []
