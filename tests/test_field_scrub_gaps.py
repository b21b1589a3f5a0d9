"""Field cases of the draft-case scrubber: a password written in Hangul words ("비밀번호: 우리집 고양이 나비
인데") reached the draft, a bank account number ("계좌번호 110-123-456789") was labelled a phone number, and the
customer's name in the agent's answer ("김민수 고객님, ...", "Hi Minsu Kim, ...") reached the draft answer."""

from __future__ import annotations

import pytest

from bot.app import Aftercare
from kb.scrub import scrub
from tests.desk_support import Cli, draft_words_after, open_ticket
from tests.webchat import web_client

FAULT_KO = "앱이 실시간 화면을 열 때마다 꺼져요"


@pytest.mark.parametrize(("said", "gone"), [
    ("비밀번호: 우리집 고양이 나비 인데", ["우리집", "고양이", "나비"]),
    ("비번은 사랑해 우리 강아지 입니다", ["사랑해", "강아지"]),
    ("와이파이 비번은 행복한 우리집 이에요", ["행복한", "우리집"]),
])
def test_a_password_of_hangul_words_leaves_no_word_in_the_draft(ac: Aftercare, cli: Cli, said: str,
                                                                gone: list[str]) -> None:
    draft_words_after(ac, cli, f"pw{len(said)}", f"{FAULT_KO}, {said}", "Update the app to 4.2; it fixes the crash.",
                      gone=gone, kept=["실시간 화면을 열 때마다 꺼져요"])


@pytest.mark.parametrize("text", ["비밀번호는 기억이 안 나요", "비밀번호를 바꿨는데 로그인이 안돼요",
                                  "비밀번호는 영문 숫자 조합이에요", "비밀번호는 문제가 아니에요"])
def test_words_about_a_password_stay(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize(("said", "number"), [
    ("환불은 계좌번호 110-123-456789 로 부탁드려요", "110-123-456789"),
    ("환불 계좌는 국민은행 123456-01-234567 입니다", "123456-01-234567"),
    ("please refund to my bank account 12345678", "12345678"),
])
def test_a_bank_account_number_is_labelled_an_account(ac: Aftercare, cli: Cli, said: str, number: str) -> None:
    text = draft_words_after(ac, cli, f"acct{len(said)}", f"the camera will not power on at all, {said}",
                             "Replace the power adapter.", gone=[number], kept=["will not power on"])
    assert "[account]" in text and "[phone]" not in text, text


@pytest.mark.parametrize(("name", "resolution", "gone"), [
    ("김민수", "김민수 고객님, 전원 어댑터를 교체해 주세요.", ["김민수"]),
    ("김민수", "민수님, 전원 어댑터를 교체해 주세요.", ["민수"]),
    ("Minsu Kim", "Hi Minsu Kim, replace the power adapter.", ["Minsu", "Kim"]),
    ("Minsu Kim", "Hi Minsu, replace the power adapter. Thanks, Ann", ["Minsu"]),
])
def test_the_customers_name_leaves_the_draft_answer(ac: Aftercare, cli: Cli, name: str, resolution: str,
                                                    gone: list[str]) -> None:
    with web_client(ac) as client:
        client.post("/api/messages", json={"customer": "named", "name": name, "text": "hello"})
        tid = open_ticket(client, "named")
        cli("tickets", "resolve", tid, resolution, "--agent", "ann")
    answer = ac.kb.get(f"ticket-{tid.lower()}").answer
    assert all(g not in answer for g in gone) and "[name]" in answer and "power adapter" in answer or \
        "어댑터" in answer, answer
    assert all(g not in answer for g in gone), answer
