"""Field case of a corrected rating: a low rating's alert leaves the agents' list (the console's alerts)
when the customer corrects the rating upward in the chat."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.workflows import resolve_ticket
from tests.conftest import FakeChannel
from tests.console_support import add_users, login


def test_a_low_rating_corrected_upward_leaves_the_alerts(chat: FakeChannel) -> None:
    ac = chat.ac
    add_users(ac)
    tid = chat.push("my camera will not power on at all", customer="rater").ticket_id
    assert tid
    resolve_ticket(ac, tid, "ann", "Battery replaced", propose=False)
    assert chat.push("1", customer="rater").action == "rated"
    assert any(a.kind == "low_rating" and a.ticket == tid for a in ac.handoff.recent_alerts(50))
    with TestClient(create_web_app(ac)) as client:
        login(client, "ann")
        assert f"{tid} rated 1/5" in client.get("/console").text
    assert chat.push("I meant 5", customer="rater").action == "rated"
    assert ac.handoff.rating(tid) == 5
    assert not any(a.kind == "low_rating" and a.ticket == tid for a in ac.handoff.recent_alerts(50))
    with TestClient(create_web_app(ac)) as client:
        login(client, "ann")
        queue = client.get("/console")
        assert queue.status_code == 200 and f"{tid} rated 1/5" not in queue.text
