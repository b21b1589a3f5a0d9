"""Field cases met on Telegram, through the real python-telegram-bot Application polling a local
Bot API server."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_api import FakeBotAPI
from tests.test_telegram import CHAT, _to, polling  # noqa: F401 - fixtures


async def test_a_photo_sent_before_any_words_goes_into_the_ticket_the_next_message_opens(
    polling: tuple[Any, FakeBotAPI, Any],  # noqa: F811
) -> None:
    ac, api, _outbox = polling
    api.push(api.update_photo(CHAT))
    asked = (await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "in words" in p["text"]))[0]
    assert "attachment" in asked["text"]
    assert ac.handoff.list(status="all") == []  # no ticket for a picture alone
    api.push(api.update_text(CHAT, "my screen stays black after the update, see the photo"))
    ack = (await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "AC-" in p["text"]))[0]
    ticket = ac.handoff.list()[0]
    assert ticket.public_id in ack["text"]
    shots = [a for m in ac.handoff.transcript(ticket.public_id) for a in m.meta.get("attachments", [])]
    assert [(a["type"], a["file_id"]) for a in shots] == [("photo", "PHOTO-big")]
