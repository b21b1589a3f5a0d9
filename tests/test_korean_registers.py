"""Korean customers write in every register: bare keywords ("요금제 가격"), casual banmal, the formal
hapsyo-che of a written request ("요금제 변경을 원합니다"), chat with dropped spaces ("카메라 공유하는법좀"),
and they name a person as a topic ("사람 감지", "고객센터 운영 시간") or a case's topic in a fault ("인증 문자가
안 와요"). Met through the web chat, with the DEFAULT configuration (config.yaml: the language-routed pair,
USE multilingual v3 for Korean) and the demo KB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import Aftercare
from kb.embedder import Embedder
from kb.korean_chat import standard_korean
from tests.conftest import app_builder
from tests.webchat import web_client


@pytest.fixture
def ko_app(tmp_path: Path, embedder: Embedder, seeded_dir: Path) -> Iterator[Callable[..., Aftercare]]:
    """Apps of the default configuration on copies of the demo data dir."""
    with app_builder(tmp_path, embedder, seeded_dir, prefix="kr") as factory:
        yield factory


def test_korean_questions_in_every_register_get_their_answer(ko_app: Callable[..., Aftercare]) -> None:
    """Keywords only, a formal request and chat without its spaces: each gets its case's Korean answer, not a
    ticket (the demo KB's Korean phrasings were all polite questions; a customer's register was read as
    another case or as no case at all)."""
    ac = ko_app()
    with web_client(ac) as http:
        for i, (text, case) in enumerate([("요금제 가격", "subscription-plans"),
                                          ("요금제 변경을 원합니다", "change-plan"),
                                          ("카메라 공유하는법좀", "share-camera-access")]):
            body = http.post("/api/messages", json={"customer": f"r{i}", "text": text}).json()
            assert body["action"] == "answer" and body["case_id"] == case, (text, body)
            assert body["language"] == "ko" and body["replies"][0]["text"] == ac.kb.get(case).translations["ko"]


def test_a_person_named_as_a_topic_is_no_request_for_a_person(ko_app: Callable[..., Aftercare]) -> None:
    """"사람" is also the person the camera detects, "고객센터" and "상담" also the desk whose hours are asked:
    such a question is answered from its case; asking for a person still reaches one."""
    ac = ko_app()
    with web_client(ac) as http:
        for i, (text, case) in enumerate([("사람 감지 알림만 오게 하고 싶습니다", "person-detection"),
                                          ("상담 시간 알려 주십시오", "contact-hours")]):
            body = http.post("/api/messages", json={"customer": f"t{i}", "text": text}).json()
            assert body["action"] == "answer" and body["case_id"] == case, (text, body)
        body = http.post("/api/messages", json={"customer": "t9", "text": "상담원이랑 얘기할래"}).json()
        assert body["action"] == "escalate" and body["label"] == "human" and body["ticket_id"]


def test_a_korean_fault_naming_a_cases_topic_opens_a_ticket(ko_app: Callable[..., Aftercare]) -> None:
    """"2단계 인증 문자가 안 와요" names what the 2FA case answers, and reports that it fails: a ticket, not the
    how-to answer; asking what to do when it fails is still a question the case answers."""
    ac = ko_app()
    with web_client(ac) as http:
        for i, text in enumerate(["비밀번호 재설정 메일이 안 옴", "2단계 인증 문자가 안 와요",
                                  "카메라 이름 바꿨는데 저장이 안됨"]):
            body = http.post("/api/messages", json={"customer": f"f{i}", "text": text}).json()
            assert body["action"] == "escalate" and body["label"] == "fault" and body["ticket_id"], (text, body)
            assert "티켓" in body["replies"][0]["text"]
        asked = "비밀번호 재설정 메일이 안 오면 어떻게 해요?"
        body = http.post("/api/messages", json={"customer": "q", "text": asked}).json()
        assert body["action"] == "answer" and body["case_id"] == "reset-password"


def test_chat_korean_gets_its_spaces_and_words_back() -> None:
    """What the multilingual encoder reads of chat Korean: the dropped spaces before 싶다, 수 있다, 때, 법,
    되다, 좀 and after 어떻게/어디서 put back; 캠 read as 카메라 (with its particle), 어플 as 앱. Standard Korean
    and words that merely start alike (캠핑, 어떻게든) are left as they are."""
    assert standard_korean("와이프도 캠 보게 공유하고싶음") == "와이프도 카메라 보게 공유하고 싶어요"
    assert standard_korean("첨에 공짜로 써볼수있나여") == "처음에 공짜로 써볼 수 있나요"
    assert standard_korean("캠으로 말하기 기능 있음?") == "카메라로 말하기 기능 있어요?"
    assert standard_korean("로그인할때 인증번호 받는법좀") == "로그인할 때 인증번호 받는 법 좀"
    assert standard_korean("어플 업뎃 어케함") == "앱 업데이트 어떻게 해요"
    assert standard_korean("전원선 꼭 꽂아야됨?") == "전원선 꼭 꽂아야 돼요?"
    for text in ("캠핑 가서 써도 되나요?", "어떻게든 해 주세요", "카메라를 공유하고 싶어요",
                 "화면 설정은 어디서 해요?"):
        assert standard_korean(text) == text
