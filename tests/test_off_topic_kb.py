"""The off-topic reading never takes a message a case covers: a knowledge base with a weather case and a
jokes case answers "how's the weather today?" and "tell me a joke" from them (as CLINC150's KB does), and a
message its weather case leads the vote for without winning it goes to a person, not "we can't help with that".
In the demo KB, the outdoor-use case leads the vote for Korean weather questions ("서울 날씨 어때요?"): those go
to a person too."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.importer import parse_file
from tests.webchat import web_client

ANSWERS = {"weather": "Sunny and 21 degrees.", "jokes": "Why did the camera go to school? To improve its focus."}
PHRASINGS = {
    "weather": ["what's the weather like today", "will it rain tomorrow", "what's the forecast for this weekend",
                "how cold is it outside", "what is the temperature right now", "is it sunny in Busan"],
    "jokes": ["tell me a joke", "say something funny", "do you know any jokes", "make me laugh",
              "i want to hear a joke", "got a joke for me"],
}


def with_chit_chat_cases(ac, tmp_path: Path):
    """``ac`` (the demo KB) with a weather case and a jokes case imported."""
    lines = ["case_id,question,answer,tags"] + [f'{c},"{q}","{ANSWERS[c]}",' for c, qs in PHRASINGS.items()
                                                for q in qs]
    (tmp_path / "chit.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ac.kb.import_rows(parse_file(tmp_path / "chit.csv"), source="import")
    return ac


@pytest.mark.parametrize(("text", "case"), [("how's the weather today?", "weather"),
                                            ("is it going to rain in Seoul today?", "weather"),
                                            ("tell me a joke", "jokes"), ("know any funny jokes?", "jokes")])
def test_a_kb_with_weather_and_joke_cases_answers_them(make_app, tmp_path: Path, text: str, case: str) -> None:
    ac = with_chit_chat_cases(make_app(), tmp_path)
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "chit", "text": text}).json()
    assert body["action"] == "answer" and body["case_id"] == case, body.get("reason")


@pytest.mark.parametrize(("make_kb", "text"), [(with_chit_chat_cases, "will it be sunny in Seoul tomorrow"),
                                               (lambda ac, _: ac, "서울 날씨 어때요?")])
def test_a_message_a_case_leads_the_vote_for_is_no_off_topic(make_app, tmp_path: Path, make_kb, text: str) -> None:
    ac = make_kb(make_app(), tmp_path)
    with web_client(ac) as http:
        body = http.post("/api/messages", json={"customer": "chit-lead", "text": text}).json()
    assert body["label"] != "off_topic" and body["action"] in ("answer", "escalate"), body
