"""Field cases of idempotency keys (Stripe's contract): a key reused with a different message is refused
with a clear error, never answered with the old reply; a true replay, however many arrive at once, gets
the reply the first one got; a platform update handled twice tells the customer the first reply."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from bot.adapters.web import create_web_app
from tests.serving import serving
from tests.webchat import SITE_SECRET, key_over_http

FAULT = "my camera will not power on at all"


def test_a_key_reused_with_a_different_message_is_refused_and_the_first_stands(client, app) -> None:
    first = client.post("/api/messages", json={"customer": "idem-1", "text": FAULT},
                        headers={"Idempotency-Key": "m-1"})
    assert first.status_code == 200 and first.json()["ticket_id"]
    other = client.post("/api/messages", json={"customer": "idem-1", "text": "how do I reset my password?"},
                        headers={"Idempotency-Key": "m-1"})
    assert other.status_code == 422, other.text
    assert "Idempotency-Key" in other.json()["error"] and "different" in other.json()["error"]
    ticket = app.handoff.get(first.json()["ticket_id"])
    said = [m.text for m in app.handoff.customer_messages("web", "idem-1", with_own=True)]
    assert "how do I reset my password?" not in said and ticket is not None
    replay = client.post("/api/messages", json={"customer": "idem-1", "text": FAULT},
                         headers={"Idempotency-Key": "m-1"})
    assert replay.status_code == 200 and replay.json()["replies"] == first.json()["replies"]


def test_concurrent_retries_of_one_message_all_get_the_first_reply(app) -> None:
    web = create_web_app(app, identity_secret=SITE_SECRET)
    with serving(web) as base:
        key = key_over_http(base, "idem-2")
        results: list[dict[str, Any]] = []
        start = threading.Barrier(3)

        def send() -> None:
            start.wait()
            r = httpx.post(f"{base}/api/messages", json={"customer": "idem-2", "text": FAULT}, timeout=120,
                           headers={"Idempotency-Key": "retry-1", "Authorization": f"Bearer {key}"})
            results.append({"status": r.status_code, **r.json()})

        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    assert [r["status"] for r in results] == [200, 200, 200], results
    texts = {r["replies"][0]["text"] for r in results}
    assert len(texts) == 1, texts
    assert "passed this" in texts.pop()
    assert {r["ticket_id"] for r in results} == {app.handoff.list()[0].public_id}
    said = [(m.author, m.text) for m in app.handoff.customer_messages("web", "idem-2", with_own=True)]
    assert [a for a, _ in said] == ["customer", "bot"], said
