"""Field case: the customer answers the rating request in the web chat with a half score ("3.5", "4.5", "3,5",
"4.5/5", "4.5점"), on a scale of 100 said in Korean words ("백점 만점에 80점") or English words ("eight out of ten"):
it is stored, rounded half up, the reply says how it was read, and the ticket stays resolved (a half score
reopened it as a new message, "백점 만점에 80점" opened a fault). A number off the 1-5 scale in words ("여섯 개",
"six stars") or with a decimal ("5.5") is asked again, never read as a greeting or a fault."""

from __future__ import annotations

import pytest

from tests.desk_support import resolved_ticket

FAULTS = {"en": "the app crashes every time I upload a photo", "ko": "앱이 실시간 화면을 열 때마다 꺼져요"}
STORED = [  # (language, typed, score, shown in the reply)
    ("en", "3.5", 4, '"3.5" read as 4'), ("en", "4.5", 5, '"4.5" read as 5'), ("en", "3,5", 4, '"3,5" read as 4'),
    ("en", "4.5/5", 5, '"4.5" read as 5'), ("en", "4.5 stars, quick fix", 5, '"4.5" read as 5'),
    ("ko", "4.5점", 5, '"4.5"를 5점 척도의 5점'), ("ko", "3.5점이요", 4, '"3.5"를 5점 척도의 4점'),
    ("ko", "백점 만점에 80점", 4, '"80/100"을 5점 척도의 4점'), ("ko", "십점 만점에 8점", 4, '"8/10"을'),
    ("en", "8/10", 4, '"8/10" read as 4'), ("en", "80 out of 100", 4, '"80/100" read as 4'),
    ("en", "eight out of ten", 4, '"8/10" read as 4'),
]
ASKED_AGAIN = [("ko", "여섯 개"), ("ko", "여섯 개요"), ("ko", "일곱 개"), ("ko", "열 개요"), ("ko", "영점"),
               ("en", "six stars"), ("en", "six"), ("en", "zero"), ("en", "5.5"), ("en", "0.5")]


def _resolved(client, app, customer: str, lang: str) -> str:
    return resolved_ticket(client, app, customer, FAULTS[lang])


@pytest.mark.parametrize(("lang", "typed", "score", "shown"), STORED)
def test_a_half_score_or_a_score_out_of_ten_or_a_hundred_is_stored(client, app, lang: str, typed: str, score: int,
                                                                   shown: str) -> None:
    customer = f"h{STORED.index((lang, typed, score, shown))}"
    tid = _resolved(client, app, customer, lang)
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "rated" and r["ticket_id"] == tid, r
    assert app.handoff.rating(tid) == score and app.handoff.get(tid).status == "resolved", typed
    assert shown in r["replies"][0]["text"], r["replies"][0]["text"]
    assert len(app.handoff.list(status=None)) == 1  # no new ticket either


@pytest.mark.parametrize(("lang", "typed"), ASKED_AGAIN)
def test_a_number_off_the_scale_in_words_is_asked_again(client, app, lang: str, typed: str) -> None:
    customer = f"o{ASKED_AGAIN.index((lang, typed))}"
    tid = _resolved(client, app, customer, lang)
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "reply" and r["ticket_id"] == tid, r
    text = r["replies"][0]["text"]
    assert ("from 1 (poor) to 5 (great)" if lang == "en" else "1(불만족)부터 5(매우 만족)") in text, text
    assert app.handoff.get(tid).status == "resolved" and app.handoff.rating(tid) is None
    assert len(app.handoff.list(status=None)) == 1
