"""Field cases of what is at stake, in the web chat: a theft said in Korean is critical as in English (an
urgent ticket and a critical alert), not when it is a condition or a question; a deadline ("I'm leaving
for vacation tomorrow", "내일 출국해요") raises a fault one step, as the README says, to urgent, while
"asap!!!" alone says how the customer feels and stops at high."""

from __future__ import annotations

import pytest

THEFT = ["내 카메라 도둑맞았어요", "누가 카메라를 훔쳐갔어요", "카메라를 도난당했어요", "카메라 도둑 맞은 것 같아요",
         "현관 카메라를 누가 훔쳐 갔어요", "someone stole my camera", "my camera was stolen last night"]
NOT_THEFT = ["도둑맞으면 어떻게 해요?", "카메라를 훔쳐가면 알림이 오나요?", "도난 방지 기능이 있나요?",
             "what happens if my camera gets stolen?"]
DEADLINE = ["asap!!! my camera is offline and I'm leaving for vacation tomorrow",
            "my camera keeps going offline and my flight is tonight",
            "카메라가 계속 오프라인이에요 내일 여행 가요", "출국하기 전에 카메라 연결 좀 고쳐주세요 자꾸 끊겨요"]


def _critical(app, tid: str) -> bool:
    return any(a.severity == "critical" and a.ticket == tid for a in app.handoff.alerts(0))


@pytest.mark.parametrize("text", THEFT)
def test_a_theft_is_critical_in_korean_as_in_english(client, app, text: str) -> None:
    r = client.post("/api/messages", json={"customer": "t1", "text": text}).json()
    assert r["action"] == "escalate" and r["priority"] == "urgent", (text, r)
    assert _critical(app, r["ticket_id"]), text


@pytest.mark.parametrize("text", NOT_THEFT)
def test_a_theft_that_could_happen_is_no_alarm(client, app, text: str) -> None:
    r = client.post("/api/messages", json={"customer": "t2", "text": text}).json()
    assert r["priority"] != "urgent", (text, r)
    assert not [a for a in app.handoff.alerts(0) if a.severity == "critical"], text


@pytest.mark.parametrize("text", DEADLINE)
def test_a_deadline_raises_a_fault_one_step_to_urgent(client, app, text: str) -> None:
    r = client.post("/api/messages", json={"customer": "d1", "text": text}).json()
    assert r["action"] == "escalate" and r["priority"] == "urgent", (text, r)


def test_pressing_alone_stops_at_high(client, app) -> None:
    r = client.post("/api/messages", json={"customer": "d2", "text": "asap!!! my camera is offline"}).json()
    assert r["action"] == "escalate" and r["priority"] == "high", r
    routine = client.post("/api/messages", json={"customer": "d3", "text": "the app crashed again today"}).json()
    assert routine["priority"] != "urgent", routine
