"""Field cases met through the web chat's HTTP API: what a customer sends, what they get back."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.adapters.web_access import identity_hash
from tests.webchat import web_client


@pytest.fixture
def client(app):
    with web_client(app) as c:
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


# -- who may read and write a conversation (issue 14, case 1) ----------------------------------


def test_a_conversation_is_read_and_written_only_with_the_key_the_server_issued(app) -> None:
    with TestClient(create_web_app(app, identity_secret="")) as c:
        s = c.post("/api/session").json()
        alice, key = s["customer"], s["key"]
        assert alice.startswith("web-") and len(key) >= 40
        auth = {"Authorization": f"Bearer {key}"}
        body = c.post("/api/messages", json={"text": "the app crashes every time I upload a photo"},
                      headers=auth).json()
        assert body["action"] == "escalate"
        app.handoff.reply(body["ticket_id"], "sam", "Which phone do you use?")
        # knowing alice's id is not enough: no key, a made-up key, another customer's key
        mallory = {"Authorization": f"Bearer {c.post('/api/session').json()['key']}"}
        for headers in ({}, {"Authorization": "Bearer not-a-key"}, mallory):
            r = c.get("/api/messages", params={"customer": alice}, headers=headers)
            assert r.status_code in (401, 403), (headers, r.text)
            r = c.post("/api/messages", json={"customer": alice, "text": "me too"}, headers=headers)
            assert r.status_code in (401, 403)
        # what mallory wrote went nowhere near alice's ticket; her own key reads her conversation
        assert [m.text for m in app.handoff.transcript(body["ticket_id"]) if m.author == "customer"] == [
            "the app crashes every time I upload a photo"]
        polled = c.get("/api/messages", params={"after": body["last_id"]}, headers=auth).json()["messages"]
        assert [m["text"] for m in polled] == ["Which phone do you use?"]
        # the site's own users: only with the hash the site computes; none without a secret set
        r = c.post("/api/session", json={"user_id": "u-42", "user_hash": identity_hash("s3cret", "u-42")})
        assert r.status_code == 403 and "WEB_IDENTITY_SECRET" in r.json()["error"]


def test_the_embedding_site_binds_its_own_user_with_an_hmac(app) -> None:
    with TestClient(create_web_app(app, identity_secret="s3cret")) as c:
        good = identity_hash("s3cret", "u-42")
        assert good == hmac.new(b"s3cret", b"u-42", hashlib.sha256).hexdigest()
        for bad in ("", "0" * 64, identity_hash("other", "u-42"), identity_hash("s3cret", "u-43")):
            r = c.post("/api/session", json={"user_id": "u-42", "user_hash": bad})
            assert r.status_code == 403
        phone = c.post("/api/session", json={"user_id": "u-42", "user_hash": good}).json()
        laptop = c.post("/api/session", json={"user_id": "u-42", "user_hash": good.upper()}).json()
        assert phone["customer"] == laptop["customer"] == "u-42" and phone["key"] != laptop["key"]
        c.post("/api/messages", json={"text": "how do I reset my password?"},
               headers={"Authorization": f"Bearer {phone['key']}"})
        seen = c.get("/api/history", headers={"Authorization": f"Bearer {laptop['key']}"}).json()
        assert [m["author"] for m in seen["messages"]] == ["customer", "bot"]
