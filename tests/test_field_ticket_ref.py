"""Field case: the customer types a ticket number in the web chat ("AC-000001" alone, "AC-000005 어떻게 됐어요?"):
it opened a new ticket with the number as its subject. Their own ticket's status is told (open, resolved with
its resolution); another customer's ticket, or one that does not exist, is "can't find that ticket among
yours", the same words for both and nothing of the other's ticket; no ticket opens either way."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket

MINE = {"en": "my camera will not power on at all", "ko": "카메라 전원이 아예 안 켜져요"}
THEIRS = "the app crashes every time I upload a photo of my passport"
ASKING = [("en", "{id}"), ("ko", "{id} 어떻게 됐어요?"), ("en", "any update on {short}?"),
          ("ko", "티켓 {id} 진행 상황 알려주세요"), ("en", "what's the status of {id}")]
UNKNOWN = {"en": "can't find ticket", "ko": "찾을 수 없어요"}


def _opened(client, customer: str, text: str) -> str:
    r = client.post("/api/messages", json={"customer": customer, "text": text}).json()
    assert r["action"] == "escalate" and r["ticket_id"], r
    return str(r["ticket_id"])


@pytest.mark.parametrize(("lang", "form"), ASKING)
def test_a_ticket_number_gets_its_status_for_its_customer_only(client, app, lang: str, form: str) -> None:
    mine = _opened(client, f"me{ASKING.index((lang, form))}", MINE[lang])
    customer = f"me{ASKING.index((lang, form))}"
    theirs = _opened(client, f"them{ASKING.index((lang, form))}", THEIRS)
    ask = lambda tid: client.post("/api/messages", json={  # noqa: E731
        "customer": customer, "text": form.format(id=tid, short=tid.replace("-00000", "-").lower())}).json()
    r = ask(mine)
    text = r["replies"][0]["text"]
    assert r["action"] == "reply" and r["ticket_id"] == mine and mine in text, r
    assert ("open" if lang == "en" else "처리") in text, text
    for other in (theirs, "AC-000099"):
        r = ask(other)
        text = r["replies"][0]["text"]
        assert r["action"] == "reply" and not r["ticket_id"] and UNKNOWN[lang] in text, r
        assert "passport" not in text and "photo" not in text, text
    resolve_ticket(app, mine, "ann", "Power board replaced", propose=False)
    r = ask(mine)
    assert r["ticket_id"] == mine and "Power board replaced" in r["replies"][0]["text"], r
    assert app.handoff.get(mine).status == "resolved"
    assert len(app.handoff.list(status=None)) == 2  # no ticket opened for a number
