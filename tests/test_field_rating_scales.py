"""Field case: the customer answers the rating request in the web chat on another scale or in other words: a
percentage ("70%" was read as a new message and reopened the ticket), a count out of a total ("다섯 개 중에 네 개",
"five out of five!"), a Korean number word alone ("다섯" was greeted), a half ("별 네 개 반" gave 4 while "4.5" gave
5) or points out of 100 ("100점"). Each is stored scaled to 1-5, rounded half up as "4.5" is, and the ticket stays
resolved. A rating typed when nothing awaits one ("5점 드릴게요" opened a ticket) is told there is nothing to rate."""

from __future__ import annotations

import pytest

from tests.desk_support import resolved_ticket

FAULTS = {"en": "the app crashes every time I upload a photo", "ko": "앱이 실시간 화면을 열 때마다 꺼져요"}
STORED = [  # (language, typed, score)
    ("en", "70%", 4), ("en", "90%", 5), ("en", "50 percent", 3), ("ko", "80퍼센트요", 4),
    ("ko", "다섯 개 중에 네 개", 4), ("ko", "다섯 개 중에 다섯 개요", 5), ("ko", "10개 중 8개", 4),
    ("ko", "열 개 중에 일곱 개", 4), ("ko", "별 다섯 개 중에 네 개", 4), ("ko", "5개 중 3개요", 3),
    ("en", "five out of five!", 5), ("en", "four out of five", 4), ("en", "three of five, slow", 3),
    ("ko", "다섯", 5), ("ko", "넷이요", 4), ("ko", "셋", 3),
    ("ko", "별 네 개 반", 5), ("ko", "세 개 반이요", 4), ("ko", "별 4개 반", 5), ("en", "four and a half stars", 5),
    ("en", "3 and a half", 4), ("ko", "100점", 5), ("ko", "90점이요", 5), ("ko", "80점 드릴게요", 4),
    ("ko", "70점", 4), ("en", "85/100", 4),
]
NOTHING = [("ko", "5점 드릴게요"), ("en", "5 stars"), ("en", "I'd give you 4 out of 5"), ("ko", "100점"),
           ("ko", "별 다섯 개요"), ("en", "70%")]


def _resolved(client, app, customer: str, lang: str) -> str:
    return resolved_ticket(client, app, customer, FAULTS[lang])


@pytest.mark.parametrize(("lang", "typed", "score"), STORED)
def test_a_rating_on_another_scale_or_with_a_half_is_stored_half_up(client, app, lang: str, typed: str,
                                                                   score: int) -> None:
    customer = f"s{STORED.index((lang, typed, score))}"
    tid = _resolved(client, app, customer, lang)
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "rated" and r["ticket_id"] == tid, r
    assert app.handoff.rating(tid) == score and app.handoff.get(tid).status == "resolved", typed
    assert len(app.handoff.list(status=None)) == 1


@pytest.mark.parametrize(("lang", "typed"), NOTHING)
@pytest.mark.parametrize("before", ["nothing", "chat"])
def test_a_rating_with_nothing_to_rate_is_told_so(client, app, lang: str, typed: str, before: str) -> None:
    customer = f"n{NOTHING.index((lang, typed))}{before}"
    if before == "chat":  # the conversation exists, nothing was resolved in it
        client.post("/api/messages", json={"customer": customer, "text": "hello"})
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "reply" and not r["ticket_id"], r
    text = r["replies"][0]["text"]
    assert ("nothing to rate" if lang == "en" else "평가하실 티켓이 없어요") in text, text
    assert app.handoff.list(status=None) == []
