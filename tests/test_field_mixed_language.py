"""Field cases of the conversation's language, in the web chat: any Hangul in a message mixed with English
reads as Korean whatever the share of English words (the reply, its template and ``language`` are Korean);
a Japanese message, a language without reply templates, is answered in the app's language as the README
says, and the agent is shown the customer's own language."""

from __future__ import annotations

import pytest

from tests.test_korean import korean

MIXED = [("how do I 비밀번호 reset?", "reset-password"), ("how to change 와이파이?", "change-wifi-network"),
         ("password 재설정 어떻게 해요?", "reset-password"), ("my 카메라 is offline again and again", None)]


@pytest.mark.parametrize(("text", "case"), MIXED)
def test_any_hangul_in_a_mixed_message_reads_as_korean(client, app, text: str, case: str | None) -> None:
    r = client.post("/api/messages", json={"customer": "mix", "text": text}).json()
    assert r["language"] == "ko", (text, r)
    assert korean(r["replies"][0]["text"]), (text, r["replies"][0]["text"])
    if case is not None:
        assert r["action"] in ("answer", "clarify"), (text, r)
    # the conversation speaks Korean from then on: an "ok" keeps it
    assert client.post("/api/messages", json={"customer": "mix", "text": "ok"}).json()["language"] == "ko"


def test_a_japanese_customer_is_answered_in_the_apps_language_and_shown_as_japanese(client, app, cli) -> None:
    r = client.post("/api/messages", json={"customer": "jp", "text": "カメラが接続できません"}).json()
    assert r["language"] == "en" and not korean(r["replies"][0]["text"]), r
    if r["ticket_id"]:
        shown = cli("tickets", "show", r["ticket_id"])
        assert "language: Japanese (no reply templates in Japanese" in shown, shown
    # an English message after it speaks English; Hangul after it speaks Korean
    assert client.post("/api/messages", json={"customer": "jp2", "text": "how do I 비밀번호 reset?"}).json()[
        "language"] == "ko"
