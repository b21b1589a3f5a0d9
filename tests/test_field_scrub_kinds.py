"""Field cases of the scrubber on the way from a resolved ticket to a draft case: a secret of several words
after "password:", "passphrase" or "비밀번호:" goes whole (to the end of its clause), a login name ("my login
is jsmith", "username: jsmith", "아이디는 jsmith123", "I log in as jsmith") goes, and a Korean message that
is mostly the customer's personal data ("제 핸드폰 번호는 ... 이니까 연락 주세요") is no phrasing, as in English."""

from __future__ import annotations

import pytest

from bot.app import Aftercare
from kb.personal import mostly_personal
from kb.scrub import scrub
from tests.desk_support import Cli, draft_words_after

SECRETS = [  # (what the customer opens the ticket with, words that must not reach the draft, words that stay)
    ("the camera app says wrong password every time, password: correct horse battery staple",
     ["correct", "horse", "battery", "staple"], ["says wrong password every time"]),
    ("the camera app says wrong password every time, my passphrase is purple monkey dishwasher",
     ["purple", "monkey", "dishwasher"], ["says wrong password every time"]),
    ("the camera will not join the wifi, wifi password: blue sky green grass and the camera is offline",
     ["blue", "sky", "grass"], ["will not join the wifi", "camera is offline"]),
    ("앱이 실시간 화면을 열 때마다 꺼져요, 비밀번호: correct horse battery staple 인데요",
     ["horse", "battery", "staple"], ["실시간 화면을 열 때마다 꺼져요"]),
    ("앱이 실시간 화면을 열 때마다 꺼져요, 비번은 red fox jumps 인데요", ["red", "fox", "jumps"],
     ["실시간 화면을 열 때마다 꺼져요"]),
    ("the camera app says wrong password every time, my password is purple monkey dishwasher if you need it",
     ["purple", "monkey", "dishwasher"], ["says wrong password every time"]),
    ("the camera app says wrong password every time, the password I use is blue sky over paris",
     ["blue", "sky", "paris"], ["says wrong password every time"]),
    ("the camera app says wrong password every time, my login is jsmith", ["jsmith"],
     ["says wrong password every time"]),
    ("the camera app says wrong password every time I log in as kim_88", ["kim_88"], ["says wrong password"]),
    ("앱이 실시간 화면을 열 때마다 꺼져요, 아이디는 jsmith123 인데요", ["jsmith123"],
     ["실시간 화면을 열 때마다 꺼져요"]),
]


@pytest.mark.parametrize(("opening", "gone", "kept"), SECRETS)
def test_a_draft_keeps_no_word_of_a_secret_or_a_login_name(ac: Aftercare, cli: Cli, opening: str, gone: list[str],
                                                           kept: list[str]) -> None:
    customer = f"sk{[s[0] for s in SECRETS].index(opening)}"
    draft_words_after(ac, cli, customer, opening, "Reset the account's password from the web portal.", gone=gone,
                      kept=kept)


@pytest.mark.parametrize(("text", "gone"), [
    ("password: correct horse battery staple", ["horse", "battery", "staple"]),
    ("passphrase: red fox jumps over", ["fox", "jumps"]),
    ("비밀번호: correct horse battery staple", ["horse", "battery", "staple"]),
    ("my login is jsmith", ["jsmith"]), ("login: jsmith", ["jsmith"]), ("user: jsmith", ["jsmith"]),
    ("username: jsmith", ["jsmith"]), ("아이디는 jsmith123", ["jsmith123"]), ("I sign in as jsmith", ["jsmith"]),
])
def test_each_kind_is_scrubbed_whole_and_once(text: str, gone: list[str]) -> None:
    out = scrub(text)
    assert all(g not in out for g in gone), out
    assert scrub(out) == out


@pytest.mark.parametrize("text", ["password: not working anymore", "my login is failing", "the login page is blank",
                                  "log in as usual", "password: correct", "비밀번호 변경이 안 돼요",
                                  "my login is broken since the update"])
def test_words_about_a_password_or_login_stay(text: str) -> None:
    assert scrub(text) == text


KOREAN_PERSONAL = ["제 핸드폰 번호는 010-1234-5678 이니까 연락 주세요",
                   "제 이메일은 minji@example.com 이에요, 여기로 연락 부탁드려요",
                   "제 번호 010-9876-5432 로 문자 주시면 됩니다"]


@pytest.mark.parametrize("said", KOREAN_PERSONAL)
def test_a_korean_message_that_is_mostly_personal_data_is_no_phrasing(ac: Aftercare, cli: Cli, said: str) -> None:
    clean = scrub(said)
    ac.kb.add_case("ticket-ac-000071", ["카메라 앱 로그인이 계속 실패해요", clean],
                   "웹 포털에서 비밀번호를 재설정하세요.", state="draft", source="ticket", source_ref="AC-000071")
    out = cli("kb", "review", "approve", "ticket-ac-000071", code=1)
    assert "not approved" in out and "personal data" in out and clean in out, out
    assert ac.kb.get("ticket-ac-000071").state == "draft"


@pytest.mark.parametrize("said", ["카드 [number] 로 결제하면 앱이 꺼져요",
                                  "비밀번호를 [password] 로 바꿨는데 제품 등록 화면이 멈춰요"])
def test_a_korean_problem_with_personal_data_in_it_is_still_a_phrasing(said: str) -> None:
    assert not mostly_personal(said)
