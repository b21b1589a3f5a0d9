"""The web chat's JSON API and page, over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.webchat import web_client


def test_healthz(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["kb_cases"] > 10


def test_chat_page_is_served_with_its_assets(client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "/static/chat.js" in r.text
    assert client.get("/static/chat.js").status_code == 200
    assert client.get("/static/chat.css").status_code == 200


def test_answer_then_escalation_then_agent_reply_by_polling(client, app) -> None:
    r = client.post("/api/messages", json={"customer": "w1", "text": "how do I reset my password?"})
    assert r.status_code == 200
    body = r.json()
    assert body["ticket_id"] is None and body["case_id"] == "reset-password" and body["action"] == "answer"
    assert body["replies"][0]["text"]
    r = client.post("/api/messages", json={"customer": "w1", "text": "the app crashes every time I upload a photo"})
    body = r.json()
    assert body["action"] == "escalate" and body["ticket_id"].startswith("AC-")
    last = body["last_id"]
    app.handoff.reply(body["ticket_id"], "sam", "Which phone do you use?")
    polled = client.get("/api/messages", params={"customer": "w1", "after": last}).json()["messages"]
    assert [(m["author"], m["text"]) for m in polled] == [("agent", "Which phone do you use?")]


def test_bad_requests_are_clear(client) -> None:
    r = client.post("/api/messages", json={"text": "hi"})  # no key: nobody to speak as
    assert r.status_code == 401 and "/api/session" in r.json()["error"]
    assert client.post("/api/messages", json={"customer": "w2", "text": ["hi"]}).status_code == 422
    r = client.post("/api/messages", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/messages", json={"customer": "w2", "text": "a" * 5000})
    assert r.status_code == 200 and r.json()["action"] == "refused" and "too long" in r.json()["replies"][0]["text"]


def test_a_flood_of_messages_is_refused_with_429_and_nothing_recorded(make_app) -> None:
    ac = make_app(web={"customer_messages_per_minute": 3, "address_messages_per_minute": 5})
    with web_client(ac) as client:
        for i in range(3):
            assert client.post("/api/messages", json={"customer": "spam", "text": f"hello {i}"}).status_code == 200
        r = client.post("/api/messages", json={"customer": "spam", "text": "the app crashes every time"})
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 61
        assert "too many messages" in r.json()["error"] and r.json()["retry_after"] == int(r.headers["Retry-After"])
        assert ac.handoff.customer_sent_since("web", "spam", ac.handoff.now() - timedelta(minutes=5))[0] == 3
        # another customer from the same address: the address limit (5 a minute) stops the sixth
        assert client.post("/api/messages", json={"customer": "other", "text": "hi"}).status_code == 200
        r = client.post("/api/messages", json={"customer": "other", "text": "hi again"})
        assert r.status_code == 429
        assert ac.handoff.customer_sent_since("web", "other", ac.handoff.now() - timedelta(minutes=5))[0] == 1


def test_sliding_window_frees_a_slot_when_the_oldest_event_leaves_it() -> None:
    from bot.ratelimit import SlidingWindow

    now = [0.0]
    w = SlidingWindow(2, 60.0, clock=lambda: now[0])
    assert w.hit("a") == 0 and w.hit("a") == 0
    now[0] = 10.0
    assert w.hit("a") == pytest.approx(50.0) and w.hit("b") == 0  # keys are apart
    now[0] = 60.5
    assert w.hit("a") == 0  # the event at 0 s left the window
    assert SlidingWindow(0).hit("a") == 0  # 0: no limit


def test_the_rate_limit_count_waits_out_a_database_blip(make_app, monkeypatch) -> None:
    """The per-customer count reads the database before the message is handled: a connection dropped
    once is retried, and the message is answered, not refused with a 500."""
    from sqlalchemy.exc import OperationalError

    ac = make_app(web={"customer_messages_per_minute": 5}, database={"retry_delay_s": 0.01})
    real = ac.handoff.customer_sent_since
    calls = []

    def flaky(*a, **kw):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return real(*a, **kw)

    monkeypatch.setattr(ac.handoff, "customer_sent_since", flaky)
    with web_client(ac) as client:
        r = client.post("/api/messages", json={"customer": "blip", "text": "how do I reset my password?"})
    assert r.status_code == 200 and r.json()["action"] == "answer" and len(calls) == 2


@pytest.mark.parametrize("typed", ["1", "none of these"])
def test_a_typed_pick_under_did_you_mean_carries_its_ids_so_the_next_poll_repeats_nothing(client, typed) -> None:
    # field case: "1" typed under "did you mean...?" came back with message_id/last_id null and no messages, so
    # the page's next poll (after the last id it knew) showed the pick and its reply a second time
    asked = client.post("/api/messages", json={"customer": "w9", "text": "how do I change my plan or cancel"}).json()
    assert asked["action"] == "clarify", asked
    body = client.post("/api/messages", json={"customer": "w9", "text": typed}).json()
    assert body["action"] in ("answer", "escalate"), body
    assert body["message_id"] is not None and body["last_id"] is not None, body
    assert body["last_id"] > body["message_id"] > asked["last_id"]
    assert [m["text"] for m in body["messages"]] == [r["text"] for r in body["replies"]]
    polled = client.get("/api/messages", params={"customer": "w9", "after": body["last_id"]}).json()["messages"]
    assert polled == []
