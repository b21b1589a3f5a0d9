"""Field cases with the database away (PostgreSQL behind a TCP proxy the test cuts): every web-chat call
answers 503 with the reason, never a 500 or a half-written state, and works again when it is back."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from tests.tcp_proxy import proxied

TORN = "how do I change my plan or cancel"


def test_every_web_chat_call_says_503_while_the_database_is_away_and_works_after(make_app, pg_url: str) -> None:
    proxy, url = proxied(pg_url)
    seeded = make_app(db_url=pg_url)
    seeded.warm()
    ac = make_app(db_url=url, data_dir=seeded.data_dir, database={"connect_retries": 2, "retry_delay_s": 0.1},
                  web={"customer_messages_per_minute": 0})
    ac.warm()
    try:
        with TestClient(create_web_app(ac), raise_server_exceptions=False) as http:
            key = {"Authorization": f"Bearer {http.post('/api/session', json={}).json()['key']}"}
            answered = http.post("/api/messages", json={"text": "how do I reset my password?"}, headers=key).json()
            helped, human = [b["action"] for m in answered["messages"] for b in m["buttons"]]
            torn = http.post("/api/messages", json={"text": TORN}, headers=key).json()
            pick = [b["action"] for m in torn["messages"] for b in m["buttons"]][0]
            proxy.stop()
            calls = {
                "session": lambda: http.post("/api/session", json={}),
                "message": lambda: http.post("/api/messages", json={"text": "my order never arrived"}, headers=key),
                "poll": lambda: http.get("/api/messages?after=0", headers=key),
                "history": lambda: http.get("/api/history", headers=key),
                "helped": lambda: http.post("/api/buttons", json={"action": helped}, headers=key),
                "human": lambda: http.post("/api/buttons", json={"action": human}, headers=key),
                "pick": lambda: http.post("/api/buttons", json={"action": pick}, headers=key),
                "health": lambda: http.get("/healthz"),
            }
            for name, call in calls.items():
                r = call()
                assert r.status_code == 503, (name, r.status_code, r.text)
                assert r.json().get("error") or r.json().get("database"), (name, r.text)
            proxy.start()
            for name in ("pick", "human", "message"):  # the same presses and message again: each done once
                r = calls[name]()
                assert r.status_code == 200, (name, r.text)
            customer = answered["messages"][0]
            who = http.get("/api/history", headers=key).json()["customer"]
            picked = [m for m in ac.handoff.history("web", who) if m.meta.get("picked_from")]
            assert len(picked) == 1 and customer
            assert len([t for t in ac.handoff.list(status=None)]) == 1  # one ticket: the person asked for
    finally:
        proxy.stop()
