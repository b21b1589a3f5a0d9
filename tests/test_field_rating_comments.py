"""Field case: right after rating a resolved ticket in the web chat, the customer says what they thought of
the service ("it took a bit long though", "좀 느렸어요", "terrible", "the agent was very kind"). It is kept with
the rating for the team and thanked; the ticket stays resolved (its SLA clock does not restart) and no ticket
is opened. A correction after it still corrects; a trouble named or a failure stated after it still reopens
the ticket or starts a new one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.workflows import resolve_ticket
from handoff.models import Satisfaction

FAULTS = {"en": "the app crashes every time I upload a photo", "ko": "앱이 실시간 화면을 열 때마다 꺼져요"}
COMMENTS = [("en", "4", "it took a bit long though"), ("ko", "3", "좀 느렸어요"), ("en", "4", "terrible"),
            ("en", "5", "the agent was very kind"), ("ko", "5", "상담원분이 친절했어요"), ("ko", "4", "별로예요"),
            ("en", "2", "actually the replacement process was slow"), ("ko", "3", "처리가 너무 늦었어요")]


def _resolved_and_rated(client, app, customer: str, lang: str, score: str) -> str:
    opened = client.post("/api/messages", json={"customer": customer, "text": FAULTS[lang]}).json()
    assert opened["action"] == "escalate" and opened["ticket_id"], opened
    resolve_ticket(app, opened["ticket_id"], "alice", "Fixed in app 4.2", propose=False)
    assert client.post("/api/messages", json={"customer": customer, "text": score}).json()["action"] == "rated"
    return opened["ticket_id"]


def _comment(app, tid: str) -> str | None:
    with app.sessions() as s:
        t = app.handoff.get(tid)
        return s.scalar(select(Satisfaction.comment).where(Satisfaction.ticket_id == t.id))


@pytest.mark.parametrize(("lang", "score", "said"), COMMENTS)
def test_a_comment_after_the_rating_is_kept_with_it(client, app, lang: str, score: str, said: str) -> None:
    customer = f"c{COMMENTS.index((lang, score, said))}"
    tid = _resolved_and_rated(client, app, customer, lang, score)
    tickets_before = len(app.handoff.list())
    r = client.post("/api/messages", json={"customer": customer, "text": said}).json()
    assert r["action"] == "rated" and r["ticket_id"] == tid, r
    assert app.handoff.get(tid).status == "resolved" and app.handoff.rating(tid) == int(score)
    assert said in (_comment(app, tid) or "") and len(app.handoff.list()) == tickets_before
    assert "reopened" not in [e.kind for e in app.handoff.events(tid)]
    assert ("added that to your rating" if lang == "en" else "평가") in r["replies"][0]["text"], r


def test_a_correction_after_a_comment_corrects_and_a_trouble_still_reopens(client, app) -> None:
    tid = _resolved_and_rated(client, app, "fix", "ko", "4")
    assert client.post("/api/messages", json={"customer": "fix", "text": "좀 느렸어요"}).json()["action"] == "rated"
    r = client.post("/api/messages", json={"customer": "fix", "text": "5점으로 정정할게요"}).json()
    assert r["action"] == "rated" and app.handoff.rating(tid) == 5, r
    r = client.post("/api/messages", json={"customer": "fix", "text": "앱이 또 꺼졌어요"}).json()
    assert r["action"] != "rated" and app.handoff.get(tid).status != "resolved", r


def test_a_new_failure_after_the_rating_is_not_a_comment(client, app) -> None:
    tid = _resolved_and_rated(client, app, "new", "en", "5")
    r = client.post("/api/messages", json={"customer": "new", "text": "the lens is cracked now"}).json()
    assert r["action"] != "rated" and r["label"] == "fault", r  # the way any fault after a resolution goes
    assert not _comment(app, tid)


def test_the_trouble_back_in_a_long_message_after_the_rating_reopens(client, app) -> None:
    """"it happened again last night, ..." after the rating was kept as a comment: the trouble is back."""
    tid = _resolved_and_rated(client, app, "back", "en", "4")
    text = "it happened again last night, twice, even after the update you told me about"
    r = client.post("/api/messages", json={"customer": "back", "text": text}).json()
    assert r["action"] != "rated" and app.handoff.get(tid).status != "resolved", r
    assert not _comment(app, tid)


@pytest.mark.parametrize(("lang", "said", "score"), [("en", "actually make that 5", 5),
                                                     ("en", "change my rating to 2 please", 2),
                                                     ("ko", "아 5점 말고 3점이요", 3), ("ko", "사실 2점이에요", 2)])
def test_a_new_score_said_in_words_after_the_rating_corrects_it(client, app, lang: str, said: str, score: int) -> None:
    customer = f"fix-{said}"
    tid = _resolved_and_rated(client, app, customer, lang, "4")
    r = client.post("/api/messages", json={"customer": customer, "text": said}).json()
    assert r["action"] == "rated" and app.handoff.rating(tid) == score, r
    assert app.handoff.get(tid).status == "resolved"
