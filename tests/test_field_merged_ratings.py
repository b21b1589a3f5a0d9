"""Field case: an agent merges two customers' tickets and resolves the target. The other customer's notice came
with no rating buttons, and whichever customer rated last overwrote the other's rating of the one ticket. Each
customer now rates their own ticket: both notices carry buttons rating the customer's own ticket, a press or a
typed score stores that ticket's rating, and neither replaces the other's."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket


def _merged_and_resolved(client, app) -> tuple[str, str]:
    a = client.post("/api/messages", json={"customer": "ma", "text": "the app crashes every time I upload a photo"})
    b = client.post("/api/messages", json={"customer": "mb", "text": "uploading a picture makes the app crash"})
    ta, tb = a.json()["ticket_id"], b.json()["ticket_id"]
    assert ta and tb and ta != tb
    app.handoff.merge(tb, ta, "ann", confirm=True)
    resolve_ticket(app, ta, "ann", "Fixed in app 4.2.", propose=False)
    return ta, tb


def _notice_buttons(client, customer: str) -> list[str]:
    shown = client.get("/api/messages", params={"customer": customer}).json()["messages"]
    [notice] = [m for m in shown if "Fixed in app 4.2." in m["text"]]
    return [b["action"] for b in notice["buttons"]]


def test_each_merged_customer_rates_their_own_ticket_with_the_buttons(client, app) -> None:
    ta, tb = _merged_and_resolved(client, app)
    assert _notice_buttons(client, "ma") == [f"rate:{ta}:{n}" for n in range(1, 6)]
    assert _notice_buttons(client, "mb") == [f"rate:{tb}:{n}" for n in range(1, 6)]
    assert client.post("/api/buttons", json={"customer": "mb", "action": f"rate:{tb}:4"}).status_code == 200
    assert client.post("/api/buttons", json={"customer": "ma", "action": f"rate:{ta}:2"}).status_code == 200
    assert (app.handoff.rating(ta), app.handoff.rating(tb)) == (2, 4)
    assert _notice_buttons(client, "mb") == []  # rated: the buttons are gone, as under one's own notice


@pytest.mark.parametrize(("said_a", "said_b", "scores"), [("2", "5", (2, 5)), ("별 네 개", "1점이요", (4, 1)),
                                                          ("5 stars", "3", (5, 3))])
def test_each_merged_customer_types_the_rating_of_their_own_ticket(client, app, said_a: str, said_b: str,
                                                                  scores: tuple[int, int]) -> None:
    ta, tb = _merged_and_resolved(client, app)
    rb = client.post("/api/messages", json={"customer": "mb", "text": said_b}).json()
    ra = client.post("/api/messages", json={"customer": "ma", "text": said_a}).json()
    assert (ra["action"], ra["ticket_id"], rb["action"], rb["ticket_id"]) == ("rated", ta, "rated", tb)
    assert (app.handoff.rating(ta), app.handoff.rating(tb)) == scores
