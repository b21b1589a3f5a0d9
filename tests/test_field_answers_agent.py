"""Field case: the agent asks the customer something ("What's the delivery address?",
"배송받으실 주소를 알려주시겠어요?") and resolves the ticket; the customer's next message in the web chat
answers it ("서울시 마포구 월드컵로 12, 3층이요", "it's the 2nd floor, unit 5"). It goes to that ticket
(reopened, the answer on it, "added to your ticket"), never opening a new ticket with the address as its
subject. A new question, thanks, or an answer after a resolution note that asks nothing go their usual way."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket

FAULTS = {"en": "my camera will not power on at all", "ko": "카메라 전원이 아예 안 켜져요"}
ASKED = {"en": "We'll send you a replacement camera. What's the delivery address?",
         "ko": "교체 카메라를 보내 드리겠습니다. 배송받으실 주소를 알려주시겠어요?"}
ANSWERS = [("ko", "서울시 마포구 월드컵로 12, 3층이요"), ("en", "it's the 2nd floor, unit 5"),
           ("en", "221B Baker Street, London NW1 6XE"), ("ko", "부산시 해운대구 우동 123-4 101동 202호입니다"),
           ("en", "Flat 3, 14 Queen's Road, Bristol"), ("ko", "경기도 성남시 분당구 판교역로 235 에이치스퀘어 N동 7층")]


def _asked_and_resolved(client, app, customer: str, lang: str, *, asked: str, in_note: bool) -> str:
    opened = client.post("/api/messages", json={"customer": customer, "text": FAULTS[lang]}).json()
    assert opened["action"] == "escalate" and opened["ticket_id"], opened
    tid = opened["ticket_id"]
    if in_note:  # the agent's question is the resolution note itself
        resolve_ticket(app, tid, "ann", asked, propose=False)
    else:  # the agent asked in a reply, then resolved with its words
        app.handoff.reply(tid, "ann", asked)
        resolve_ticket(app, tid, "ann", None, propose=False)
    return tid


@pytest.mark.parametrize("in_note", [False, True])
@pytest.mark.parametrize(("lang", "answer"), ANSWERS)
def test_an_answer_to_the_agents_last_question_goes_to_that_ticket(client, app, lang: str, answer: str,
                                                                  in_note: bool) -> None:
    customer = f"a{ANSWERS.index((lang, answer))}{int(in_note)}"
    tid = _asked_and_resolved(client, app, customer, lang, asked=ASKED[lang], in_note=in_note)
    r = client.post("/api/messages", json={"customer": customer, "text": answer}).json()
    assert r["action"] == "joined" and r["ticket_id"] == tid, r
    assert len(app.handoff.list(status=None)) == 1  # no ticket with the address as its subject
    assert app.handoff.get(tid).status != "resolved"
    assert answer in [m.text for m in app.handoff.transcript(tid) if m.author == "customer"]
    text = r["replies"][0]["text"]
    assert tid in text and ("added" in text or "추가" in text), text


@pytest.mark.parametrize(("lang", "other"), [("en", "is there a student discount?"), ("ko", "학생 할인 있나요?"),
                                             ("en", "thanks!"), ("ko", "감사합니다")])
def test_a_question_or_thanks_after_the_agents_question_is_no_answer_to_it(client, app, lang: str,
                                                                          other: str) -> None:
    customer = f"q{lang}{len(other)}"
    tid = _asked_and_resolved(client, app, customer, lang, asked=ASKED[lang], in_note=False)
    r = client.post("/api/messages", json={"customer": customer, "text": other}).json()
    assert r["action"] != "joined" and app.handoff.get(tid).status == "resolved", r


def test_a_resolution_note_after_the_question_is_the_agents_last_word(client, app) -> None:
    opened = client.post("/api/messages", json={"customer": "later", "text": FAULTS["en"]}).json()
    app.handoff.reply(opened["ticket_id"], "ann", ASKED["en"])
    resolve_ticket(app, opened["ticket_id"], "ann", "Replacement shipped to the address on file.", propose=False)
    r = client.post("/api/messages", json={"customer": "later", "text": "it's the 2nd floor, unit 5"}).json()
    assert r["ticket_id"] != opened["ticket_id"] and app.handoff.get(opened["ticket_id"]).status == "resolved", r
