"""Field cases in the web chat: a rating button pressed for a ticket that does not exist, is another
customer's or is not resolved gets 400 with the reason (as the README promises), not 200 with nothing; "ok"
or "네" as a customer's first message is asked for their question, not told "you're welcome"."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket

FAULT = "my camera will not power on at all"


def test_a_rating_of_a_ticket_not_yours_is_refused_with_the_reason(client, app) -> None:
    mine = client.post("/api/messages", json={"customer": "r-a", "text": FAULT}).json()["ticket_id"]
    theirs = client.post("/api/messages", json={"customer": "r-b", "text": FAULT}).json()["ticket_id"]
    refused = client.post("/api/buttons", json={"customer": "r-a", "action": f"rate:{mine}:4"})
    assert refused.status_code == 400 and "not resolved" in refused.json()["error"], refused.text
    resolve_ticket(app, mine, "sam", "Battery replaced", propose=False)
    resolve_ticket(app, theirs, "sam", "Battery replaced", propose=False)
    for action in ("rate:AC-999999:2", "rate:XX:2", f"rate:{theirs}:2"):
        r = client.post("/api/buttons", json={"customer": "r-a", "action": action})
        ref = action.split(":")[1]
        assert r.status_code == 400 and r.json()["error"] == f"no ticket {ref} of yours to rate", (action, r.text)
    assert app.handoff.rating(theirs) is None
    r = client.post("/api/buttons", json={"customer": "r-a", "action": f"rate:{mine}:4"})
    assert r.status_code == 200 and f"rated ticket {mine} 4 out of 5" in r.json()["text"], r.text
    assert app.handoff.rating(mine) == 4


@pytest.mark.parametrize(("first", "says"), [("ok", "ask your question"), ("okay", "ask your question"),
                                             ("got it", "ask your question"), ("네", "질문하시거나")])
def test_an_acknowledgement_as_the_first_message_is_asked_for_the_question(client, app, first: str,
                                                                           says: str) -> None:
    r = client.post("/api/messages", json={"customer": f"ok-{first}", "text": first}).json()
    text = r["replies"][0]["text"]
    assert r["action"] == "reply" and r["ticket_id"] is None, r
    assert says in text and "welcome" not in text.lower() and "천만에요" not in text, text


def test_ok_under_an_answer_is_still_acknowledged(client, app) -> None:
    assert client.post("/api/messages", json={"customer": "ok-2", "text": "how do I reset my password?"}).json()[
        "action"] == "answer"
    r = client.post("/api/messages", json={"customer": "ok-2", "text": "ok"}).json()
    assert r["replies"][0]["text"] == app.replies.render("acknowledged")
