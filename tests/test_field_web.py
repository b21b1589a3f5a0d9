"""Field cases met through the web chat's HTTP API: what a customer sends, what they get back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app


@pytest.fixture
def client(app):
    with TestClient(create_web_app(app)) as c:
        yield c


INVISIBLE = [
    "\u3164",  # Hangul filler
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\uffa0 \u3164\u3164",  # halfwidth filler and spaces
    "\u200b",  # zero-width space
    "\u200c\u200d\u2060",  # zero-width non-joiner, joiner, word joiner
    "\ufeff",  # byte-order mark
    "\u200e\u200f\u202a\u202c",  # bidirectional marks
    "\u00ad",  # soft hyphen
    "\u2800\u3000\u00a0",  # blank Braille pattern, ideographic and no-break spaces
    "\ufe0f\u0301",  # a variation selector and a combining accent with nothing to sit on
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_a_message_with_nothing_visible_is_asked_for_words_and_opens_no_ticket(client, app, text) -> None:
    r = client.post("/api/messages", json={"customer": "blank", "text": text})
    assert r.status_code == 200
    body = r.json()
    assert body["action"] == "refused" and body["ticket_id"] is None
    assert body["replies"][0]["text"] == app.replies.render("empty")
    assert app.handoff.list(status="all") == []


def test_invisible_characters_inside_words_do_not_change_the_decision(client, app) -> None:
    plain = client.post("/api/messages", json={"customer": "zw1", "text": "how do I reset my password?"}).json()
    hidden = "\ufeffhow do I re\u00adset my pass\u200bword?\u3164"
    r = client.post("/api/messages", json={"customer": "zw2", "text": hidden}).json()
    assert r["action"] == plain["action"] == "answer" and r["case_id"] == plain["case_id"]
    # the transcript keeps what the customer sent
    said = [m.text for m in app.handoff.history("web", "zw2") if m.author == "customer"]
    assert said == [hidden.strip()]
