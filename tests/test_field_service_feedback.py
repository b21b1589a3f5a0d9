"""Field case: after a resolution the customer complains in the web chat about how long the answer took ("why did
it take so long to reply?", "왜 이렇게 답장이 늦어요?"): it opened a new fault ticket. It is feedback on the service:
kept on the resolved ticket (with the rating's comment when it was rated, else as a note the team sees), the
customer is thanked, the ticket stays resolved and no ticket opens. A question about the product being slow is
no such feedback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.rating_comments import FEEDBACK_NOTE
from handoff.models import Satisfaction
from tests.desk_support import resolved_ticket

FAULTS = {"en": "the app crashes every time I upload a photo", "ko": "앱이 실시간 화면을 열 때마다 꺼져요"}
WAITS = [("en", "why did it take so long to reply?"), ("ko", "왜 이렇게 답장이 늦어요?"),
         ("en", "it took you 3 days to answer"), ("ko", "답변이 너무 오래 걸렸어요"),
         ("en", "why was the response so slow?"), ("ko", "응답이 왜 이렇게 느려요?"), ("ko", "너무 오래 기다렸어요")]
THANKED = {"en": "sorry the reply took so long", "ko": "답변이 늦어져 죄송합니다"}


def _resolved(client, app, customer: str, lang: str) -> str:
    return resolved_ticket(client, app, customer, FAULTS[lang])


@pytest.mark.parametrize("rated", [False, True])
@pytest.mark.parametrize(("lang", "said"), WAITS)
def test_a_complaint_about_the_response_time_is_feedback_on_the_ticket(client, app, lang: str, said: str,
                                                                      rated: bool) -> None:
    customer = f"w{WAITS.index((lang, said))}{int(rated)}"
    tid = _resolved(client, app, customer, lang)
    if rated:
        assert client.post("/api/messages", json={"customer": customer, "text": "3"}).json()["action"] == "rated"
    r = client.post("/api/messages", json={"customer": customer, "text": said}).json()
    assert r["ticket_id"] == tid, r
    if r["action"] == "rated":  # right after the rating, without "?": its comment, thanked as one
        assert rated and ("added that to your rating" in r["replies"][0]["text"] or "의견 감사합니다" in
                          r["replies"][0]["text"]), r
    else:
        assert r["action"] == "reply" and THANKED[lang] in r["replies"][0]["text"], r
    assert app.handoff.get(tid).status == "resolved" and len(app.handoff.list(status=None)) == 1
    if rated:
        with app.sessions() as s:
            comment = s.scalar(select(Satisfaction.comment))
        assert said in comment and app.handoff.rating(tid) == 3
    else:
        assert [m for m in app.handoff.transcript(tid) if m.author == "note" and said in m.text]


def test_a_slow_app_is_no_feedback_on_the_service(client, app) -> None:
    tid = _resolved(client, app, "slowapp", "en")
    r = client.post("/api/messages", json={"customer": "slowapp", "text": "why does the app take so long to load?"})
    assert THANKED["en"] not in " ".join(x["text"] for x in r.json()["replies"])
    assert not [m for m in app.handoff.transcript(tid) if m.author == "note" and FEEDBACK_NOTE in m.text]
