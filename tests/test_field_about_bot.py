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
        "r u a robot", "봇이에요?", "챗봇인가요?", "지금 사람이랑 얘기하는 건가요?"]


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
