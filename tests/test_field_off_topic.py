"""Field case (a fresh user's tryout): off-topic questions and a lone letter opened high-priority fault
tickets ("x", "what's the weather in Seoul?", "who won the world cup?"): the classifier head's weak lean to
the fault examples labelled a question no case answers as a fault. A question naming no trouble now goes to
a person as a question at normal priority; a lone letter is asked about; real faults asked as questions
keep their priority."""

from __future__ import annotations

import pytest

from tests.webchat import web_client


@pytest.mark.parametrize("text", ["who won the world cup?", "what's the weather in Seoul?",
                                  "can you recommend a good pizza place near me?", "서울 날씨 어때요?"])
def test_an_off_topic_question_is_no_fault(app, text: str) -> None:
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "ot", "text": text}).json()
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
