"""Field case: "또 끊겼어요" / "it dropped again" on a ticket about the camera dropping off the wifi is the same
report, in the web chat: it joins the ticket without "a separate issue" for the customer or a "possibly a
new issue" note for the agent, while the ticket is open and after its resolution (where it reopens it)."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket

KO = "카메라가 와이파이에서 자꾸 끊겨요"
EN = "my camera keeps disconnecting from wifi every hour"
AGAIN = [(KO, "또 끊겼어요"), (KO, "또다시 끊겼네요"), (KO, "여전히 연결이 안 돼요"), (KO, "다시 끊겼어요"),
         (EN, "it dropped again"), (EN, "still offline"), (EN, "it went offline once more"),
         (EN, "the wifi cut out again"), (EN, "it happened again")]


def _notes(app, tid: str) -> list[str]:
    return [m.text for m in app.handoff.transcript(tid) if m.author == "note"]


def _joined_as_the_same_report(r: dict, tid: str) -> None:
    assert r["action"] == "joined" and r["ticket_id"] == tid, r
    assert "flagged" not in r["reason"], r
    text = r["replies"][0]["text"] if r["replies"] else ""
    assert "separate" not in text and "별도의 문제" not in text, text


@pytest.mark.parametrize(("first", "again"), AGAIN)
def test_it_happened_again_is_the_same_report_on_an_open_ticket(client, app, first: str, again: str) -> None:
    opened = client.post("/api/messages", json={"customer": "a1", "text": first}).json()
    tid = opened["ticket_id"]
    assert opened["action"] == "escalate" and tid, opened
    r = client.post("/api/messages", json={"customer": "a1", "text": again}).json()
    _joined_as_the_same_report(r, tid)
    assert _notes(app, tid) == []


@pytest.mark.parametrize(("first", "again"), [(KO, "또 끊겼어요"), (EN, "it dropped again")])
def test_it_happened_again_after_the_resolution_reopens_the_same_report(client, app, first: str,
                                                                        again: str) -> None:
    tid = client.post("/api/messages", json={"customer": "a2", "text": first}).json()["ticket_id"]
    resolve_ticket(app, tid, "sam", "Router channel changed", propose=False)
    r = client.post("/api/messages", json={"customer": "a2", "text": again}).json()
    _joined_as_the_same_report(r, tid)
    assert app.handoff.get(tid).status != "resolved" and _notes(app, tid) == []


@pytest.mark.parametrize(("first", "other"), [(KO, "또 다른 문제인데 앱이 계속 튕겨요"),
                                              (EN, "again, and now the doorbell makes no sound")])
def test_another_trouble_said_with_again_is_still_flagged(client, app, first: str, other: str) -> None:
    assert client.post("/api/messages", json={"customer": "a3", "text": first}).json()["ticket_id"]
    r = client.post("/api/messages", json={"customer": "a3", "text": other}).json()
    assert r["action"] == "joined" and "flagged" in r["reason"], r
