"""Field case: after a ticket was resolved, the customer writes again in the web chat. A message saying
the same trouble is back ("again", "same problem again", "it's back", "또 그래요", "다시 그래요", "재발했어요",
"또 꺼졌어요" on a ticket about the camera going offline) reopens the ticket and joins it as the same report
(no greeting, no "you're welcome", no "separate issue"); a different question or another fault is a first
message of its own: answered, or a new ticket, and the resolved ticket stays resolved."""

from __future__ import annotations

import pytest

from tests.desk_support import resolved_ticket

OFFLINE = {"en": "my camera keeps going offline", "ko": "카메라가 계속 오프라인이 돼요"}
ALERTS = "도어벨 알림이 안 와요"
AGAIN = ["same problem again", "again", "happening again :(", "it's back", "it came back", "the problem is back",
         "same issue again today", "다시 그래요", "또 그래요", "또요", "또 그래요 ㅠㅠ", "재발했어요", "또 재발했네요"]
OTHER = ["is there a student discount?", "how much is the Plus plan?", "학생 할인 있나요?",
         "by the way my doorbell battery died too", "the app crashes when I upload a photo",
         "앱에서 사진을 올리면 앱이 튕겨요"]


def _resolved(client, app, customer: str, first: str) -> str:
    return resolved_ticket(client, app, customer, first, note="Router channel changed")


def _joined_as_the_same_report(app, r: dict, tid: str, said: str) -> None:
    assert r["action"] == "joined" and r["ticket_id"] == tid, r
    text = r["replies"][0]["text"] if r["replies"] else ""
    assert "separate" not in text and "별도의 문제" not in text and "welcome" not in text, text
    assert "천만에요" not in text and "Hello" not in text and "안녕하세요" not in text, text
    assert app.handoff.get(tid).status != "resolved"
    said_on_it = [m.text for m in app.handoff.transcript(tid) if m.author == "customer"]
    assert said in said_on_it
    assert not [m.text for m in app.handoff.transcript(tid) if m.author == "note"]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("again", AGAIN)
def test_a_short_recurrence_reopens_the_resolved_ticket(client, app, lang: str, again: str) -> None:
    customer = f"r-{lang}-{AGAIN.index(again)}"
    tid = _resolved(client, app, customer, OFFLINE[lang])
    r = client.post("/api/messages", json={"customer": customer, "text": again}).json()
    _joined_as_the_same_report(app, r, tid, again)


@pytest.mark.parametrize("again", ["또 그래요", "again", "다시 그래요", "it's back"])
def test_a_short_recurrence_reopens_a_resolved_alerts_ticket(client, app, again: str) -> None:
    customer = f"al-{again}"
    tid = _resolved(client, app, customer, ALERTS)
    r = client.post("/api/messages", json={"customer": customer, "text": again}).json()
    _joined_as_the_same_report(app, r, tid, again)


@pytest.mark.parametrize("again", ["또 꺼졌어요", "it turned off again", "it went off again"])
def test_off_again_on_an_offline_ticket_is_the_same_report(client, app, again: str) -> None:
    customer = f"off-{again}"
    tid = _resolved(client, app, customer, OFFLINE["ko"])
    r = client.post("/api/messages", json={"customer": customer, "text": again}).json()
    _joined_as_the_same_report(app, r, tid, again)


@pytest.mark.parametrize("other", OTHER)
def test_a_different_question_or_fault_does_not_reopen_the_resolved_ticket(client, app, other: str) -> None:
    customer = f"o-{OTHER.index(other)}"
    tid = _resolved(client, app, customer, OFFLINE["en"])
    r = client.post("/api/messages", json={"customer": customer, "text": other}).json()
    assert app.handoff.get(tid).status == "resolved", r
    assert r["ticket_id"] != tid and r["action"] in ("answer", "clarify", "escalate", "reply"), r
    text = " ".join(x["text"] for x in r["replies"])
    assert "added" not in text and "추가" not in text, text
    assert other not in [m.text for m in app.handoff.transcript(tid)]


def test_a_question_after_a_rating_leaves_the_rated_ticket_alone(client, app) -> None:
    tid = _resolved(client, app, "rated", OFFLINE["en"])
    assert client.post("/api/messages", json={"customer": "rated", "text": "4"}).json()["action"] == "rated"
    r = client.post("/api/messages", json={"customer": "rated", "text": "how much is the Plus plan?"}).json()
    assert app.handoff.get(tid).status == "resolved" and r["ticket_id"] != tid, r
    assert "reopened" not in [e.kind for e in app.handoff.events(tid)]
