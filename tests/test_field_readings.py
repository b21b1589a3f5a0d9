"""Field cases (a user tryout with the demo KB): a refund request opened a high-priority fault ticket
("환불해 주세요", "I want a refund"); a formal Korean preamble ("안녕하세요. 문의드립니다.") steered the decision
away from the question after it; greetings in chat shorthand ("ㅎㅇ요", "ㅎㅇ!", "하이") were read as a fault,
not understood or thanked; a correction right after an answer ("아니 그거 말고 앱 업데이트요") became a high
fault ticket."""

from __future__ import annotations

import pytest

from tests.webchat import web_client


def say(app, customer: str, *texts: str) -> dict:
    """The web chat API's body for the last of ``texts``, sent in turn by ``customer``."""
    with web_client(app) as http:
        for text in texts:
            body = http.post("/api/messages", json={"customer": customer, "text": text}).json()
    return body


@pytest.mark.parametrize("text", ["환불 되나요", "환불해 주세요", "환불 받고싶어요 산지 일주일 됐어요",
                                  "환불 요청합니다", "I want a refund", "can I get my money back?",
                                  "I'd like a refund for my order"])
def test_a_refund_request_goes_to_billing_at_normal_priority(app, text: str) -> None:
    body = say(app, "refund", text)
    assert body["action"] == "escalate" and body["ticket_id"], body
    [ticket] = app.handoff.list()
    assert ticket.label == "billing" and ticket.priority == "normal", ticket


@pytest.mark.parametrize("text", ["refund please, the camera is broken", "환불해주세요 카메라가 고장났어요"])
def test_a_refund_request_stating_a_fault_stays_a_fault(app, text: str) -> None:
    say(app, "refund-fault", text)
    [ticket] = app.handoff.list()
    assert ticket.label == "fault" and ticket.priority == "high", ticket


def test_an_urgent_refund_request_is_raised_by_its_urgency(app) -> None:
    say(app, "refund-asap", "환불해 주세요 급해요")
    [ticket] = app.handoff.list()
    assert ticket.label == "billing" and ticket.priority == "high", ticket


@pytest.mark.parametrize(("text", "case"), [
    ("안녕하세요. 문의드립니다. 구독 요금제 변경을 원합니다.", "change-plan"),
    ("안녕하세요. 수고하십니다. 비밀번호를 잊어버렸어요. 재설정은 어떻게 하나요?", "reset-password"),
    ("Hi there, quick question. How do I change my plan?", "change-plan"),
    ("Hello, I have a question. How do I cancel my subscription?", "cancel-subscription"),
])
def test_a_greeting_and_preamble_do_not_steer_the_question_after_them(app, text: str, case: str) -> None:
    body = say(app, "formal", text)
    assert body["action"] == "answer" and body["case_id"] == case, body
    assert app.handoff.list() == []


@pytest.mark.parametrize("text", ["ㅎㅇ요", "ㅎㅇ!", "ㅎㅇㅎㅇ~", "하이", "하이요", "헬로", "안뇽!"])
def test_a_greeting_in_chat_shorthand_is_greeted(app, text: str) -> None:
    body = say(app, "hi-short", text)
    assert body["action"] == "reply" and body["label"] == "greeting", body
    assert "안녕하세요" in body["replies"][0]["text"], body
    assert app.handoff.list() == []


@pytest.mark.parametrize("text", ["ㄳ요", "ㄱㅅ!!"])
def test_thanks_in_chat_shorthand_with_an_ending_is_thanks(app, text: str) -> None:
    body = say(app, "thanks-short", text)
    assert body["action"] == "reply" and body["label"] == "thanks", body


@pytest.mark.parametrize(("asked", "correction"), [
    ("펌웨어 업데이트 어떻게 해요?", "아니 그거 말고 앱 업데이트요"),
    ("how do I update the firmware?", "no, not that, the app update"),
])
def test_a_correction_naming_a_subject_no_case_covers_is_a_question_not_a_fault(app, asked: str,
                                                                                correction: str) -> None:
    body = say(app, "correct", asked, correction)
    assert body["action"] == "escalate", body
    [ticket] = app.handoff.list()
    assert ticket.label == "question" and ticket.priority == "normal", ticket


@pytest.mark.parametrize(("asked", "correction", "case"), [
    ("비밀번호 재설정 어떻게 해요?", "아니요 그거 말고 이메일 변경이요", "change-email"),
    ("how do I cancel my subscription?", "not that one, I meant how do I change my plan", "change-plan"),
])
def test_a_correction_naming_a_case_is_answered_with_it(app, asked: str, correction: str, case: str) -> None:
    body = say(app, "correct-case", asked, correction)
    assert body["action"] == "answer" and body["case_id"] == case, body
    assert app.handoff.list() == []
