"""The web chat's JSON API and page, over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app


@pytest.fixture
def client(app):
    with TestClient(create_web_app(app)) as c:
        yield c


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
    assert client.post("/api/messages", json={"text": "hi"}).status_code == 422
    r = client.post("/api/messages", content=b"x" * 300_000, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/messages", json={"customer": "w2", "text": "a" * 5000})
    assert r.status_code == 200 and r.json()["action"] == "refused" and "too long" in r.json()["replies"][0]["text"]
