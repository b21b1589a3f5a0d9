"""Field case: out of business hours a critical ticket (a theft, a breach: urgent; or wide impact) opened in the
web chat was told "the team is away right now and back Monday at 09:00", like any ticket. With ``sla.on_call``
the customer is told it went to the on-call person; without it the hours stay, and the reply says the ticket is
marked critical and first in the queue. A ticket that is not critical is told the hours as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handoff.clock import ManualClock
from tests.webchat import web_client

SATURDAY = datetime(2025, 11, 8, 10, 0, tzinfo=UTC)
CRITICAL = [("en", "someone stole my camera"), ("ko", "카메라를 도난당했어요"),
            ("en", "someone logged into my account and changed my password")]
SAID = {  # (on call, language): what the reply says
    (True, "en"): "on-call person", (True, "ko"): "당직 담당자",
    (False, "en"): "marked critical: it is first in the queue", (False, "ko"): "긴급 티켓으로 분류되어 가장 먼저",
}
BACK = {"en": "back Monday at 09:00", "ko": "월요일 09:00"}


@pytest.mark.parametrize("on_call", [True, False])
@pytest.mark.parametrize(("lang", "text"), CRITICAL)
def test_a_critical_ticket_out_of_hours_is_told_who_takes_it(make_app, lang: str, text: str, on_call: bool) -> None:
    # no round-the-clock response team: critical tickets stay with the support team (09:00-17:00, Mon-Fri)
    app = make_app(clock=ManualClock(SATURDAY), assignment={"response_team": ""}, sla={"on_call": on_call})
    with web_client(app) as client:
        r = client.post("/api/messages", json={"customer": "crit", "text": text}).json()
        assert r["action"] == "escalate" and r["priority"] == "urgent", r
        said = r["replies"][0]["text"]
        assert SAID[(on_call, lang)] in said, said
        assert (BACK[lang] in said) is not on_call, said
        fault = "the app crashes every time I upload a photo"
        plain = client.post("/api/messages", json={"customer": "plain", "text": fault}).json()["replies"][0]["text"]
        assert "back Monday at 09:00" in plain and "critical" not in plain and "on-call" not in plain, plain
