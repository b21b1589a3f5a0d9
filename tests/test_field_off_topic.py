"""Field case (a fresh user's tryout): off-topic questions and a lone letter opened high-priority fault
tickets ("x", "what's the weather in Seoul?", "who won the world cup?"): the classifier head's weak lean to
the fault examples labelled a question no case answers as a fault. A question about the business naming no
trouble goes to a person as a question at normal priority; a message about something else altogether ("tell me
a joke", "농담 하나 해줘", "what is the capital of France") is told what the desk answers, with the way to a
person, and opens nothing; a lone letter is asked about; real faults asked as questions keep their priority."""

from __future__ import annotations

import pytest

from tests.webchat import web_client


@pytest.mark.parametrize(("text", "language"), [
    ("who won the world cup?", "en"), ("what's the weather in Seoul?", "en"), ("what is the capital of France", "en"),
    ("can you recommend a good pizza place near me?", "en"), ("tell me a joke", "en"), ("who wrote Hamlet?", "en"),
    ("what's the population of Tokyo", "en"), ("농담 하나 해줘", "ko"), ("재밌는 농담 좀 해봐", "ko"),
    ("한국의 수도는 어디예요?", "ko"), ("저녁 메뉴 추천 좀", "ko"),
])
def test_an_off_topic_message_is_told_what_the_desk_does_and_opens_nothing(app, text: str, language: str) -> None:
    """Neither a ticket nor a greeting or "you're welcome": a short reply in the customer's language that the
    desk answers questions about the products and services, with the way to a person."""
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "ot", "text": text}).json()
    assert body["action"] == "reply" and body["label"] == "off_topic" and not body.get("ticket_id"), body
    said = body["replies"][0]["text"]
    assert "/human" in said and ("products and services" in said if language == "en" else "제품과 서비스" in said), said
    assert app.handoff.list() == []


@pytest.mark.parametrize(("text", "person"), [("what's the weather in Seoul?", "I want to talk to a person"),
                                              ("농담 하나 해줘", "상담원 연결해 주세요")])
def test_asking_for_a_person_after_an_off_topic_reply_opens_a_ticket(app, text: str, person: str) -> None:
    with web_client(app) as http:
        http.post("/api/messages", json={"customer": "ot-person", "text": text})
        body = http.post("/api/messages", json={"customer": "ot-person", "text": person}).json()
    assert body["action"] == "escalate" and body["ticket_id"], body
    [ticket] = app.handoff.list()
    assert ticket.label == "human" and ticket.priority == "normal", ticket


@pytest.mark.parametrize("text", ["do you sell doorbells?", "can I get a discount?", "where is my order?"])
def test_a_question_about_the_business_no_case_covers_goes_to_a_person_as_a_question(app, text: str) -> None:
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "uncovered", "text": text}).json()
    assert body["action"] == "escalate" and body["ticket_id"], body
    [ticket] = app.handoff.list()
    assert ticket.label == "question" and ticket.priority == "normal", ticket


@pytest.mark.parametrize("text", ["x", "a?", " Q "])
def test_a_lone_letter_is_asked_about_and_opens_nothing(app, text: str) -> None:
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "letter", "text": text}).json()
    assert body["action"] == "reply" and not body.get("ticket_id"), body
    assert app.handoff.list() == []


@pytest.mark.parametrize("text", ["why does my camera keep rebooting?", "my camera is offline?"])
def test_a_fault_asked_as_a_question_keeps_its_priority(app, text: str) -> None:
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "fq", "text": text}).json()
    assert body["action"] == "escalate", body
    [ticket] = app.handoff.list()
    assert ticket.label == "fault" and ticket.priority == "high", ticket
