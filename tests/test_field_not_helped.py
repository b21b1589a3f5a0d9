"""Field case: right under the bot's answer to "how do I reset my password?", the customer says it did not
help, in any wording ("that didn't help", "still broken", "I tried that, no luck", "again", "그래도 안 돼요",
"해봤는데 여전히 안 되네요", "말씀하신 대로 했는데도 안 돼요", "또 그래요"). Every wording takes the same way:
a ticket for a person named after the question ("... — answer did not help"), at the same priority, and the
answer counts as not helpful (``kb unanswered``, the report)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.feedback import answer_verdicts

QUESTION = {"en": "how do I reset my password?", "ko": "비밀번호를 재설정하려면 어떻게 하나요?"}
SAID = {"en": " — answer did not help", "ko": " — 답변으로 해결되지 않음"}
NOT_HELPED = [("en", "that didn't help"), ("en", "still broken"), ("en", "didn't work"),
              ("en", "I tried that, no luck"), ("en", "again"), ("en", "it happened again"),
              ("en", "still doesn't work"), ("ko", "그래도 안 돼요"), ("ko", "해봤는데 여전히 안 되네요"),
              ("ko", "말씀하신 대로 했는데도 안 돼요"), ("ko", "또 그래요"), ("ko", "소용없어요"),
              ("ko", "다시 그래요")]


@pytest.mark.parametrize(("lang", "typed"), NOT_HELPED)
def test_every_did_not_help_wording_takes_the_same_way(client, app, cli, lang: str, typed: str) -> None:
    since = app.handoff.now() - timedelta(minutes=1)
    customer = f"nh{NOT_HELPED.index((lang, typed))}"
    answered = client.post("/api/messages", json={"customer": customer, "text": QUESTION[lang]}).json()
    assert answered["action"] == "answer", answered
    r = client.post("/api/messages", json={"customer": customer, "text": typed}).json()
    assert r["action"] == "escalate" and r["ticket_id"], r
    t = app.handoff.get(r["ticket_id"])
    assert t.subject.startswith(QUESTION[lang] + SAID[lang]), t.subject
    assert (t.label, t.priority) == ("human", "normal"), (t.label, t.priority)
    answer = next(m for m in app.handoff.customer_messages("web", customer) if m.meta.get("kind") == "answer")
    assert answer_verdicts(app.sessions, since).get(answer.id) == "human"
    assert QUESTION[lang] in cli("kb", "unanswered")


def test_a_new_trouble_under_an_answer_is_its_own_ticket(client, app) -> None:
    since = app.handoff.now() - timedelta(minutes=1)
    assert client.post("/api/messages", json={"customer": "new", "text": QUESTION["en"]}).json()["action"] == "answer"
    new = "the camera still won't connect to wifi"
    r = client.post("/api/messages", json={"customer": "new", "text": new}).json()
    assert r["action"] == "escalate" and app.handoff.get(r["ticket_id"]).subject == new
    assert answer_verdicts(app.sessions, since) == {}
