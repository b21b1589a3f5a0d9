"""Field cases of alerts to agents: a secret the customer pasted never leaves in an alert (scrubbed as
the Unanswered page shows it) nor in the Slack post of the ticket; the ticket keeps the customer's words
for the agent; urgency words inside a pasted command or URL do not raise a critical alert."""

from __future__ import annotations

from bot.adapters.slack.blocks import ticket_post, transcript_line

TOKEN = "sk-abc123def456ghi789jkl012"


def test_an_urgent_message_with_a_pasted_secret_alerts_without_the_secret(client, app) -> None:
    text = f"URGENT our production is down, every request fails with Authorization: Bearer {TOKEN}"
    r = client.post("/api/messages", json={"customer": "sec-1", "text": text})
    assert r.status_code == 200 and r.json()["ticket_id"], r.text
    alerts = [a for a in app.handoff.alerts(0) if a.ticket == r.json()["ticket_id"]]
    assert alerts and all(TOKEN not in a.text and "abc123" not in a.text for a in alerts), alerts
    assert any("[secret]" in a.text for a in alerts), alerts
    ticket = app.handoff.get(r.json()["ticket_id"])
    said = [m for m in app.handoff.customer_messages("web", "sec-1", with_own=True) if m.author == "customer"]
    assert TOKEN in said[0].text  # the ticket keeps the customer's words for the agent, as before
    lines = [transcript_line(m, ticket) for m in said]
    title, blocks = ticket_post(ticket, lines, [], note_marker="!note", case_marker="!case")
    assert TOKEN not in str(blocks) and "[secret]" in str(blocks)  # the agents' Slack post


def test_a_pasted_curl_command_is_not_an_emergency(client, app) -> None:
    text = ("How do I use my API key? I ran curl -X POST https://api.example.com/v1/alerts/emergency "
            f"-H \"Authorization: Bearer {TOKEN}\" -d '{{\"priority\":\"urgent\"}}' and got a 401 error back")
    r = client.post("/api/messages", json={"customer": "sec-2", "text": text})
    assert r.status_code == 200, r.text
    assert r.json()["priority"] != "urgent", r.json()
    assert not [a for a in app.handoff.alerts(0) if a.severity == "critical"]
