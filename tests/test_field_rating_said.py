"""Field case: after a resolution the customer rates it in a sentence ("I'd say a solid four", "a solid 4",
"I’d give it a four" with a typed apostrophe): a new ticket opened. After rating 2, "actually make that a 4" was not
understood ("sorry I meant 3 stars" was). They are read as the rating and as its correction."""

from __future__ import annotations

import pytest

from tests.desk_support import resolved_ticket

FAULT = "my camera will not power on at all"
SAID = [("I'd say a solid four", 4), ("a solid 4", 4), ("I’d give it a four", 4), ("a strong five!", 5),
        ("I’d say a solid 3", 3)]
CORRECTED = [("actually make that a 4", 4), ("oh wait, actually make it a 5", 5), ("sorry I meant 3 stars", 3)]


def _resolved(client, app, customer: str) -> str:
    return resolved_ticket(client, app, customer, FAULT)


@pytest.mark.parametrize(("typed", "score"), SAID)
def test_a_rating_said_in_a_sentence_is_stored(client, app, typed: str, score: int) -> None:
    customer = f"r{SAID.index((typed, score))}"
    tid = _resolved(client, app, customer)
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "rated" and r["ticket_id"] == tid, r
    assert app.handoff.rating(tid) == score and len(app.handoff.list(status=None)) == 1


@pytest.mark.parametrize(("typed", "score"), CORRECTED)
def test_a_correction_after_a_rating_replaces_it(client, app, typed: str, score: int) -> None:
    customer = f"c{CORRECTED.index((typed, score))}"
    tid = _resolved(client, app, customer)
    assert client.post("/api/messages", json={"customer": customer, "text": "2"}).json()["action"] == "rated"
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["ticket_id"] == tid and app.handoff.rating(tid) == score, r
    assert len(app.handoff.list(status=None)) == 1 and app.handoff.get(tid).status == "resolved"
