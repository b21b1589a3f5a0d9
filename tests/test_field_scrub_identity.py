"""Field case: who and where the customer is never reaches a draft case (and through it other customers'
"did you mean" buttons): "I'm Kim Minsu", "my address is 12 Baker St", a device serial "LM4K-77A9-XQ21",
"제 이름은 홍길동입니다", "주소는 서울시 강남구 테헤란로 123이에요" kept their words after the scrubber, and an order
number "#LU-2024-88812" came out as "#LU-[phone]". The problem they state stays."""

from __future__ import annotations

import pytest

from bot.app import Aftercare
from kb.scrub import scrub
from tests.desk_support import Cli, draft_words_after

OPENINGS = [  # (the message that opens the ticket, words that must not reach the draft, words that stay)
    ("I'm Kim Minsu and the app crashes every time I upload a photo", ["Kim", "Minsu"], ["app crashes"]),
    ("the app crashes every time I upload a photo, my address is 12 Baker St, London", ["Baker", "London"],
     ["app crashes"]),
    ("the app crashes every time I upload a photo on camera serial LM4K-77A9-XQ21", ["LM4K", "XQ21"],
     ["app crashes"]),
    ("제 이름은 홍길동입니다. 앱이 실시간 화면을 열 때마다 꺼져요", ["홍길동"], ["실시간 화면을 열 때마다 꺼져요"]),
    ("앱이 실시간 화면을 열 때마다 꺼져요. 주소는 서울시 강남구 테헤란로 123이에요", ["테헤란로", "강남구"],
     ["실시간 화면을 열 때마다 꺼져요"]),
]


@pytest.mark.parametrize(("opening", "gone", "kept"), OPENINGS)
def test_a_draft_keeps_no_name_address_or_serial(ac: Aftercare, cli: Cli, opening: str, gone: list[str],
                                                  kept: list[str]) -> None:
    customer = f"id{[o[0] for o in OPENINGS].index(opening)}"
    draft_words_after(ac, cli, customer, opening, "Update the app to 4.2; it fixes the crash.", gone=gone, kept=kept)


@pytest.mark.parametrize(("text", "want"), [
    ("my order #LU-2024-88812 never arrived", "my order [number] never arrived"),
    ("I'm having trouble logging in", "I'm having trouble logging in"),
    ("I am Locked out of my account", "I am Locked out of my account"),
    ("저는 학생입니다 할인 되나요?", "저는 학생입니다 할인 되나요?"),
    ("the address bar in the web app is empty", "the address bar in the web app is empty"),
])
def test_order_numbers_go_whole_and_ordinary_words_stay(text: str, want: str) -> None:
    assert scrub(text) == want
    assert scrub(scrub(text)) == scrub(text)
