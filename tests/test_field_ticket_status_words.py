"""Field case: after their ticket was resolved, the customer asks after it without the full id ("what about
ticket 000003", "ticket 46 status", "#46", "티켓 46번 어떻게 됐어요?") or without any number ("what happened with my
ticket?", "내 티켓 어떻게 됐어요?"): the ticket was reopened ("added to your ticket") or flagged "a separate issue", and
right after a rating the question was kept as a rating comment. It gets the ticket's status and reopens nothing."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket
from tests.desk_support import resolved_ticket

FAULT = {"en": "my camera will not power on at all", "ko": "카메라 전원이 아예 안 켜져요"}
ASKING = [("en", "what about ticket {n6}"), ("en", "ticket {n} status"), ("en", "#{n}"),
          ("ko", "티켓 {n}번 어떻게 됐어요?"), ("en", "what happened with my ticket?"),
          ("ko", "내 티켓 어떻게 됐어요?"), ("en", "any news on my ticket?")]


def _resolved(client, app, customer: str, lang: str) -> str:
    return resolved_ticket(client, app, customer, FAULT[lang], agent="ann", note="Power board replaced")


def _ask(client, customer: str, form: str, tid: str) -> dict:
    n = int(tid.split("-")[1])
    return client.post("/api/messages", json={"customer": customer,
                                              "text": form.format(n=n, n6=f"{n:06d}")}).json()


@pytest.mark.parametrize("rated_first", [False, True])
@pytest.mark.parametrize(("lang", "form"), ASKING)
def test_asking_after_a_resolved_ticket_gets_its_status_and_reopens_nothing(client, app, lang: str, form: str,
                                                                            rated_first: bool) -> None:
    customer = f"s{ASKING.index((lang, form))}{int(rated_first)}"
    tid = _resolved(client, app, customer, lang)
    if rated_first:
        r = client.post("/api/messages", json={"customer": customer, "text": "4"}).json()
        assert app.handoff.rating(tid) == 4, r
    r = _ask(client, customer, form, tid)
    text = r["replies"][0]["text"]
    assert r["action"] == "reply" and r["ticket_id"] == tid, r
    assert "Power board replaced" in text and tid in text, text
    assert app.handoff.get(tid).status == "resolved"
    assert len(app.handoff.list(status=None)) == 1


def test_a_number_not_theirs_is_not_found_and_words_on_an_open_ticket_join_it(client, app) -> None:
    tid = _resolved(client, app, "other", "en")
    r = _ask(client, "me", "ticket {n} status", tid)
    assert r["action"] == "reply" and not r["ticket_id"] and "can't find" in r["replies"][0]["text"], r
    opened = client.post("/api/messages", json={"customer": "open", "text": FAULT["en"]}).json()
    r = client.post("/api/messages", json={"customer": "open", "text": "what happened with my ticket?"}).json()
    assert r["action"] == "joined" and r["ticket_id"] == opened["ticket_id"], r


@pytest.mark.parametrize(("lang", "form", "mine"), [("en", "{a}?", False), ("ko", "{b} 어떻게 됐어요?", True),
                                                    ("en", "any update on {a}", False)])
def test_a_merged_customer_gets_the_status_of_the_ticket_theirs_went_into(client, app, lang: str, form: str,
                                                                           mine: bool) -> None:
    a = client.post("/api/messages", json={"customer": "ma", "text": "the app crashes every time I upload a photo"})
    b = client.post("/api/messages", json={"customer": "mb", "text": "uploading a picture makes the app crash"})
    ta, tb = a.json()["ticket_id"], b.json()["ticket_id"]
    app.handoff.merge(tb, ta, "ann", confirm=True)
    resolve_ticket(app, ta, "ann", "Fixed in app 4.2.", propose=False)
    r = client.post("/api/messages", json={"customer": "mb", "text": form.format(a=ta, b=tb)}).json()
    text = r["replies"][0]["text"]
    assert r["action"] == "reply" and r["ticket_id"] == (tb if mine else ta), r
    assert "Fixed in app 4.2." in text and "handled there" not in text and "처리되고 있습니다" not in text, text
    assert len(app.handoff.list(status="open")) == 0
