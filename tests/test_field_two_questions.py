"""Field case: a message asking two things ("how do I reset my password? also how do I cancel my
subscription?") split the vote between two cases and opened a fault ticket at high priority. Each question is
now answered, under its own words, in one reply; when one of them is a fault or unknown, the ticket opens as
before (a person reads the whole message)."""

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
    with app_builder(tmp_path, embedder, seeded_dir, prefix="two") as factory:
        yield factory


@pytest.mark.parametrize(("text", "cases"), [
    ("how do I reset my password? also how do I cancel my subscription?", ["reset-password", "cancel-subscription"]),
    ("how do I reset my password?\nand how do I turn on two-factor authentication?", ["reset-password", "enable-2fa"]),
    ("비밀번호를 어떻게 재설정하나요? 그리고 구독은 어떻게 해지하나요?", ["reset-password", "cancel-subscription"]),
])
def test_two_questions_in_one_message_are_both_answered(ko_app: Callable[..., Aftercare], text: str,
                                                        cases: list[str]) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "two", "text": text}).json()
    assert body["action"] == "answer" and not body.get("ticket_id"), body
    said = body["replies"][0]["text"]
    lang = "ko" if body["language"] == "ko" else None
    for case_id in cases:
        case = ac.kb.get(case_id)
        answer = case.translations.get(lang, case.answer) if lang else case.answer
        assert answer in said, (case_id, said)


def test_a_question_with_a_fault_still_opens_a_ticket(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        body = http.post("/api/messages", json={
            "customer": "mixed", "text": "how do I reset my password? also my camera keeps going offline every night"
        }).json()
    assert body["action"] == "escalate" and body["ticket_id"], body
