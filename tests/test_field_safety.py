"""Field case: a customer reports a physical hazard from the device in the web chat ("smoke is coming out of
my camera and it smells burnt!!", "충전기에서 타는 냄새가 나요", "the battery is swollen"). Before this they got
only "a person will reply" (out of hours: tomorrow). Now the reply says first what to do this minute (unplug,
move it away from what burns, emergency number), in their language, and the ticket is critical; said on a
ticket already open, the same advice comes and the ticket is raised. A question about a hazard ("can the
battery explode?", "연기가 나면 어떻게 해요?") gets no advice."""

from __future__ import annotations

import pytest

HAZARDS = [("en", "smoke is coming out of my camera and it smells burnt!!"), ("ko", "충전기에서 타는 냄새가 나요"),
           ("en", "the battery is swollen and the case is cracked"), ("ko", "카메라 배터리가 부풀었어요"),
           ("en", "the power adapter got really hot to the touch and melted"), ("ko", "어댑터에서 불꽃이 튀었어요"),
           # the everyday words: 탄내 (a burnt smell), 연기나요 without its space, 스파크, a battery gone 빵빵, puffy
           ("ko", "충전기에서 탄내가 나요"), ("ko", "카메라에서 연기나요"),
           ("ko", "카메라 충전기에서 스파크가 튀었어요"), ("ko", "카메라 배터리가 빵빵하게 부풀어 올랐습니다"),
           ("en", "the battery looks puffy and the case is bulging"),
           ("ko", "카메라 만져보니까 엄청 뜨거워요"), ("en", "oh no it's sparking now")]
ADVICE = {"en": "unplug the device", "ko": "전원을 뽑아"}


@pytest.mark.parametrize(("lang", "text"), HAZARDS)
def test_a_hazard_gets_safety_advice_first_and_a_critical_ticket(client, app, lang: str, text: str) -> None:
    r = client.post("/api/messages", json={"customer": f"h{HAZARDS.index((lang, text))}", "text": text}).json()
    assert r["action"] == "escalate" and r["ticket_id"], r
    reply = r["replies"][0]["text"]
    assert reply.index(ADVICE[lang]) < reply.index(r["ticket_id"]), reply
    assert app.handoff.get(r["ticket_id"]).priority == "urgent"


@pytest.mark.parametrize("text", ["can the battery explode?", "연기가 나면 어떻게 해요?",
                                  "does it have a smoke alarm mode?"])
def test_a_question_about_a_hazard_gets_no_advice(client, text: str) -> None:
    r = client.post("/api/messages", json={"customer": "asks", "text": text}).json()
    assert all(ADVICE["en"] not in x["text"] and ADVICE["ko"] not in x["text"] for x in r["replies"]), r


def test_a_hazard_said_on_an_open_ticket_gets_the_advice_and_raises_it(client, app) -> None:
    opened = client.post("/api/messages", json={"customer": "open", "text": "the camera keeps rebooting"}).json()
    assert opened["action"] == "escalate", opened
    assert app.handoff.get(opened["ticket_id"]).priority != "urgent"
    r = client.post("/api/messages", json={"customer": "open", "text": "now smoke is coming out of it"}).json()
    assert r["ticket_id"] == opened["ticket_id"] and ADVICE["en"] in r["replies"][0]["text"], r
    t = app.handoff.get(opened["ticket_id"])
    assert t.priority == "urgent"
    assert any("Safety hazard" in e.text for e in app.handoff.transcript(t.id) if e.author != "customer")
