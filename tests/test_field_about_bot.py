"""Field case: "are you a bot?" (or "is this a real person?", "봇이에요?") opened a complaint ticket at high
priority. The customer only asks what they are talking to: they are told it is the team's automated assistant
and how to reach a person, in their language, and no ticket is opened. A product question that starts alike is
still answered, and asking for a person still gets one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import Aftercare
from kb.embedder import Embedder
from tests.conftest import app_builder
from tests.webchat import web_client


@pytest.fixture
def ko_app(tmp_path: Path, embedder: Embedder, seeded_dir: Path) -> Iterator[Callable[..., Aftercare]]:
    """Apps of the default configuration (English and Korean) on copies of the demo data dir."""
    with app_builder(tmp_path, embedder, seeded_dir, prefix="bot") as factory:
        yield factory

ASKS = ["are you a bot?", "Is this a real person?", "who am I talking to?", "hey, am I chatting with a human or a bot?",
        "r u a robot", "봇이에요?", "챗봇인가요?", "지금 사람이랑 얘기하는 건가요?",
        # a fresh user's tryout: these opened tickets
        "you're a bot, aren't you?", "real person?", "are you real?", "is it a human?",
        "Is this a person or a bot I'm talking to?", "사람 맞아요?", "진짜 사람이에요?", "상담원이세요?",
        "상담원이세요 아니면 봇이에요?"]


@pytest.mark.parametrize("text", ASKS)
def test_asking_whether_it_is_a_bot_is_answered_and_opens_no_ticket(ko_app: Callable[..., Aftercare],
                                                                    text: str) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "curious", "text": text}).json()
    assert body["action"] == "reply" and not body.get("ticket_id"), body
    said = body["replies"][0]["text"]
    if any("\uac00" <= ch <= "\ud7a3" for ch in text):
        assert "챗봇" in said and "/human" in said
    else:
        assert "bot" in said and "/human" in said
    assert ac.handoff.open_ticket(ac.handoff.conversation("web", "curious")) is None


def test_a_question_that_starts_alike_is_answered_and_a_person_is_still_a_person(
        ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "c1", "text": "are you open on sundays?"}).json()
        assert body["action"] == "answer" and body["case_id"] == "contact-hours"
        body = http.post("/api/messages", json={"customer": "c2", "text": "can I talk to a human"}).json()
        assert body["action"] == "escalate" and body["ticket_id"]
        body = http.post("/api/messages", json={"customer": "c3", "text": "상담원 연결해 주세요"}).json()
        assert body["action"] == "escalate" and body["ticket_id"]


@pytest.mark.parametrize("text", ["is that a person?", "what is this?"])
def test_a_question_about_something_else_gets_no_bot_disclosure(ko_app: Callable[..., Aftercare], text: str) -> None:
    # "is that a person?" (someone on the camera), "what is this?" (a charge, a notice): not about the bot
    ac = ko_app()
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "other", "text": text}).json()
    assert body["label"] != "about_bot", body
    assert not any("automated assistant" in r["text"] for r in body["replies"]), body


def test_asking_whether_it_is_a_bot_and_a_question_gets_both_answers(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "both",
                                                "text": "are you a bot? also how do I reset my password?"}).json()
    assert body["action"] == "answer" and not body.get("ticket_id"), body
    said = body["replies"][0]["text"]
    assert "automated assistant" in said and ac.kb.get("reset-password").answer in said


@pytest.mark.parametrize(("text", "korean"), [("are you a bot?", False), ("봇이에요?", True)])
def test_asking_whether_it_is_a_bot_while_a_ticket_is_open_is_told_a_person_has_it(
        ko_app: Callable[..., Aftercare], text: str, korean: bool) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        opened = http.post("/api/messages", json={"customer": "waiting", "text": "상담원 연결해 주세요" if korean
                                                  else "can I talk to a human"}).json()
        assert opened["action"] == "escalate" and opened["ticket_id"], opened
        body = http.post("/api/messages", json={"customer": "waiting", "text": text}).json()
    assert body["action"] == "reply" and body["ticket_id"] == opened["ticket_id"], body
    said = body["replies"][0]["text"]
    assert opened["ticket_id"] in said
    if korean:
        assert "챗봇" in said and "담당자" in said and "추가했습니다" not in said
    else:
        assert "bot" in said and "person" in said and "added this to your ticket" not in said
