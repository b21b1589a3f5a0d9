"""Field case: the customer answers the rating request in the web chat with a score said their own way ("I'd
say a 2", "give you guys a 5", "10/10 would recommend", "solid 9/10", "85/100", "다섯 개요", "4️⃣"): it is
stored and the ticket stays resolved. A number off the 1-5 scale ("0", "6 stars", "10", "10점이요") or junk
("x") is asked again, in the customer's language, and never reopens the ticket. A Korean readback uses
the right particle; a correction says it replaced the earlier score."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff.models import Satisfaction
from tests.desk_support import resolved_ticket

FAULTS = {"en": "the app crashes every time I upload a photo", "ko": "앱이 실시간 화면을 열 때마다 꺼져요"}
STORED = [  # (language, typed, score, comment)
    ("en", "I'd say a 2", 2, ""), ("en", "give you guys a 5", 5, ""), ("en", "I would say 3", 3, ""),
    ("en", "10/10 would recommend", 5, "would recommend"), ("en", "solid 9/10", 5, ""),
    ("en", "85/100", 4, ""), ("en", "60 out of 100", 3, ""), ("en", "4️⃣", 4, ""), ("en", "2️⃣ slow", 2, "slow"),
    ("ko", "다섯 개요", 5, ""), ("ko", "세 개 줄게요", 3, ""), ("ko", "4개요", 4, ""),
]
ASKED_AGAIN = [("en", "0"), ("en", "6 stars"), ("en", "10"), ("en", "x"), ("en", "I'd give you 7"),
               ("en", "11/10"), ("ko", "10점이요"), ("ko", "0점"), ("ko", "x")]


def _resolved(client, app, customer: str, lang: str) -> str:
    return resolved_ticket(client, app, customer, FAULTS[lang])


def _comment(app, tid: str) -> str | None:
    with app.sessions() as s:
        t = app.handoff.get(tid)
        return s.scalar(select(Satisfaction.comment).where(Satisfaction.ticket_id == t.id))


@pytest.mark.parametrize(("lang", "typed", "score", "comment"), STORED)
def test_a_score_said_another_way_is_stored(client, app, lang: str, typed: str, score: int, comment: str) -> None:
    customer = f"s{STORED.index((lang, typed, score, comment))}"
    tid = _resolved(client, app, customer, lang)
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "rated", r
    assert app.handoff.rating(tid) == score and app.handoff.get(tid).status == "resolved", typed
    assert _comment(app, tid) == comment


@pytest.mark.parametrize(("lang", "typed"), ASKED_AGAIN)
def test_a_number_off_the_scale_or_junk_is_asked_again_without_reopening(client, app, lang: str, typed: str) -> None:
    customer = f"a{ASKED_AGAIN.index((lang, typed))}"
    tid = _resolved(client, app, customer, lang)
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    text = r["replies"][0]["text"]
    assert r["action"] == "reply" and r["ticket_id"] == tid, r
    assert ("from 1 (poor) to 5 (great)" if lang == "en" else "1(불만족)부터 5(매우 만족)") in text, text
    assert app.handoff.get(tid).status == "resolved" and app.handoff.rating(tid) is None
    assert "reopened" not in [e.kind for e in app.handoff.events(tid)]
    # the next answer rates, in words too
    r = client.post("/api/messages", json={"customer": customer, "text": "great" if lang == "en" else "만족합니다"})
    assert r.json()["action"] == "rated" and app.handoff.rating(tid) in (4, 5)


@pytest.mark.parametrize(("typed", "shown"), [("10/10", '"10/10"을'), ("별로예요", '"별로예요"를'),
                                              ("8 out of 10", '"8/10"을')])
def test_the_korean_readback_takes_one_particle(client, app, typed: str, shown: str) -> None:
    customer = f"k{typed}"
    _resolved(client, app, customer, "ko")
    text = client.post("/api/messages", json={"customer": customer, "text": typed}).json()["replies"][0]["text"]
    assert shown in text and "을(를)" not in text, text


def test_a_correction_says_it_replaced_the_earlier_score(client, app) -> None:
    tid = _resolved(client, app, "fix", "en")
    assert client.post("/api/messages", json={"customer": "fix", "text": "2"}).json()["action"] == "rated"
    r = client.post("/api/messages", json={"customer": "fix", "text": "sorry, I meant 5"}).json()
    assert r["action"] == "rated" and app.handoff.rating(tid) == 5
    assert "replaces the 2" in r["replies"][0]["text"], r
