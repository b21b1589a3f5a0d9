"""Field report: a customer who wrote again under an answer, in words near the same case ("that didn't help,
there is no invoices menu in my app"), got the very same answer a second time. The same case's answer is
never sent twice in a row: a person takes it, and the answer counts as not helpful for the editors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.clock import ManualClock
from tests.conftest import FakeChannel

FOLLOW_UPS = [
    ("where can I find my invoices?", "download-invoice",
     "that didn't help, there is no billing history in my app, where are my invoices"),
    ("how do I reset my password?", "reset-password",
     "I did that but I never got the password reset email, how do I reset my password"),
    ("비밀번호를 어떻게 재설정하나요?", "reset-password", "말씀하신 대로 했는데 비밀번호 재설정 메일이 안 와요"),
]


def test_the_same_answer_is_never_sent_twice_in_a_row(chat: FakeChannel) -> None:
    for i, (question, case, again) in enumerate(FOLLOW_UPS):
        who = f"again-{i}"
        first = chat.push(question, customer=who)
        assert first.action == "answer" and first.case_id == case, (question, first.reason)
        out = chat.push(again, customer=who)
        assert not (out.action == "answer" and out.case_id == case), (again, out.reason)
        assert out.action == "escalate" and out.ticket_id, (again, out.action, out.reason)
    # a new question after an answer is still answered
    chat.push("where can I find my invoices?", customer="other")
    assert chat.push("how do I reset my password?", customer="other").case_id == "reset-password"


def test_a_hurried_message_without_a_question_is_asked_what_is_wrong(chat: FakeChannel) -> None:
    """"빨리 좀 해주세요 급해요" (hurry up please, it's urgent) got "안녕하세요!" back: no greeting to someone in a
    hurry; they are asked what is wrong, in their language."""
    for i, text in enumerate(["빨리 좀 해주세요 급해요", "urgent!!! please help asap"]):
        out = chat.push(text, customer=f"hurry-{i}")
        reply = out.replies[0].text
        assert "안녕하세요" not in reply and not reply.lower().startswith(("hi", "hello")), (text, reply)
        assert out.action in ("reply", "escalate"), out
        if out.action == "reply":
            assert "?" in reply, reply
    assert chat.push("thanks!!!", customer="glad").label == "thanks"
    assert chat.push("hi!!!", customer="loud").label == "greeting"


def test_more_of_the_same_case_or_the_same_question_days_later_is_answered(make_app: Any) -> None:
    """Not every second message about a case says the answer failed: "great, and how far can it see at night?"
    asks more of it, and the same question three days later is a customer who forgot the steps. Both are
    answered again; neither counts against the answer."""
    clock = ManualClock(datetime.now(UTC) - timedelta(days=3))
    chat = FakeChannel(make_app(clock=clock))
    first = chat.push("does the camera have night vision?", customer="pleased")
    assert first.action == "answer", first.reason
    out = chat.push("great, and how far can it see at night?", customer="pleased")
    assert out.action == "answer" and out.case_id == first.case_id, out.reason
    assert chat.push("how do I rename my camera?", customer="forgot").action == "answer"
    clock.advance(hours=72)
    again = chat.push("how do I rename my camera?", customer="forgot")
    assert again.action == "answer", again.reason


def test_while_a_ticket_is_open_the_same_answer_is_not_sent_again(chat: FakeChannel) -> None:
    """With a ticket open, a question the bot answers is answered; "I did that but the camera name doesn't
    change" right under that answer got the rename how-to again. It joins the ticket for its person."""
    assert chat.push("I want to talk to a person please", customer="open").ticket_id
    first = chat.push("how do I rename my camera?", customer="open")
    assert first.action == "answer", first.reason
    out = chat.push("I did that but the camera name doesn't change, how do I rename my camera", customer="open")
    assert out.action != "answer", out.reason


def test_ok_under_an_answer_is_acknowledged(chat: FakeChannel) -> None:
    """"ok" under an answer got "Sorry, I'm not sure what you mean", and "네" got "안녕하세요!": an acknowledgement
    is acknowledged, with the way back if the answer does not work out; no ticket."""
    for who, question, ack, said in (("ok-en", "how do I reset my password?", "ok", "If it doesn't work out"),
                                     ("ok-ko", "비밀번호를 어떻게 재설정하나요?", "네", "잘 안 되면")):
        assert chat.push(question, customer=who).action == "answer"
        out = chat.push(ack, customer=who)
        assert out.action == "reply" and not out.ticket_id and said in out.replies[0].text, out
