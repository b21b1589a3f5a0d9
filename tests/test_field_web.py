"""Field cases met through the web chat's HTTP API: what a customer sends, what they get back."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.adapters.web_access import identity_hash
from bot.feedback import answer_verdicts

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


# -- what the customer asked for, and what an answer's verdict is about ---------------------------


def say(client, customer: str, text: str) -> dict:
    r = client.post("/api/messages", json={"customer": customer, "text": text})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("text", ["hw do i cancl my subscripton", "hw do i chnge my emial"])
def test_a_typod_question_is_not_taken_for_a_request_for_a_person(client, app, text) -> None:
    body = say(client, "typo", text)
    assert body["reason"] != "the customer asks for a person" and body["label"] != "human"
    assert app.replies.render("escalated_human", ticket_id=body["ticket_id"] or "", priority="normal",
                              back_at="", back_at_local="") not in body["replies"][0]["text"]


def test_a_verdict_on_an_answer_is_recorded_only_when_the_message_is_about_it(client, app) -> None:
    since = app.handoff.now() - timedelta(minutes=1)
    assert say(client, "v1", "how do I reset my password?")["action"] == "answer"
    say(client, "v1", "hw do i cancl my subscripton")  # a new question typed under the answer
    assert answer_verdicts(app.sessions, since) == {}
    assert say(client, "v2", "how do I reset my password?")["action"] == "answer"
    out = say(client, "v2", "that didn't help, I want to talk to a person")
    assert out["action"] == "escalate" and out["reason"] == "the customer asks for a person"
    assert list(answer_verdicts(app.sessions, since).values()) == ["human"]


# -- an open ticket does not swallow what the bot can answer, nor hide a new fault ---------------


def test_while_a_ticket_is_open_a_question_is_answered_and_a_new_fault_is_flagged(client, app) -> None:
    first = say(client, "open1", "the app crashes every time I upload a photo")
    ticket = first["ticket_id"]
    assert first["action"] == "escalate"
    q = say(client, "open1", "also how do I download a video?")
    assert q["action"] == "answer" and q["case_id"] == "download-recording" and q["ticket_id"] == ticket
    on_ticket = [(m.author, m.text) for m in app.handoff.transcript(ticket)]
    assert ("customer", "also how do I download a video?") in on_ticket  # the agent sees it
    assert any(a == "bot" and "download" in t.lower() for a, t in on_ticket)
    same = say(client, "open1", "it still crashes when I upload pictures")
    assert same["action"] == "joined" and "flagged" not in same["reason"]
    new = say(client, "open1", "also the doorbell makes no sound when someone rings")
    assert new["action"] == "joined" and new["ticket_id"] == ticket and "flagged" in new["reason"]
    notes = [m.text for m in app.handoff.transcript(ticket) if m.author == "note"]
    assert len(notes) == 1 and "doorbell" in notes[0] and "new issue" in notes[0]
    assert "separate issue" in new["replies"][0]["text"]


# -- urgency from what is at stake; an unclear first message gets a question ---------------------


@pytest.mark.parametrize("vague", ["it doesnt work", "It doesn’t work!!", "still broken", "help, not working"])
def test_an_unclear_first_message_gets_a_question_before_a_ticket_unless_the_customer_insists(
        client, app, vague) -> None:
    asked = say(client, "vague", vague)
    assert asked["action"] == "reply" and asked["ticket_id"] is None
    assert asked["replies"][0]["text"] == app.replies.render("ask_what")
    again = say(client, "vague", vague)  # insisting: a ticket, with both messages
    assert again["action"] == "escalate" and again["ticket_id"]
    said = [m.text for m in app.handoff.transcript(again["ticket_id"]) if m.author == "customer"]
    assert said == [vague, vague]


def test_an_answer_to_the_question_opens_the_ticket_with_the_whole_story(client, app) -> None:
    assert say(client, "story", "it doesnt work")["action"] == "reply"
    out = say(client, "story", "the app closes when I upload a photo")
    assert out["action"] == "escalate"
    said = [m.text for m in app.handoff.transcript(out["ticket_id"]) if m.author == "customer"]
    assert said == ["it doesnt work", "the app closes when I upload a photo"]


def test_urgency_comes_from_what_is_at_stake_not_from_again_or_today(client, app) -> None:
    routine = say(client, "u1", "the app crashed again today")
    assert routine["action"] == "escalate" and routine["priority"] != "urgent"
    assert not [a for a in app.handoff.alerts() if a.severity == "critical"]
    for customer, text in (("u2", "my camera is smoking and smells burnt"),
                           ("u3", "someone logged into my account and changed the password"),
                           ("u4", "the app deleted all my recordings")):
        out = say(client, customer, text)
        assert out["action"] == "escalate" and out["priority"] == "urgent", (text, out)
    charged = say(client, "u5", "I was charged twice for my subscription this month")
    assert charged["action"] == "escalate"
    assert charged["priority"] in ("high", "urgent")
