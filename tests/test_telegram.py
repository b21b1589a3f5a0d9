"""Telegram: the real python-telegram-bot Application against a local Bot API server, polling and webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.adapters.telegram import to_html_pieces
from bot.adapters.web import create_web_app
from bot.feedback import AnswerFeedback
from bot.http import channel_services
from bot.outbox.models import Delivery
from tests.fakes.common import AppServer, eventually
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

CHAT = 4242


def _to(chat: int) -> Any:
    return lambda p: int(p["chat_id"]) == chat


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


@pytest.fixture
async def polling(make_app: Any, bot_api: FakeBotAPI) -> AsyncIterator[tuple[Any, FakeBotAPI, Any]]:
    ac = make_app(telegram={"api_url": bot_api.url, "poll_timeout_s": 1}, outbox={"poll_interval_s": 0.2})
    services = channel_services(ac, env={"TELEGRAM_BOT_TOKEN": TOKEN})
    for s in services:
        await s.start()
    try:
        yield ac, bot_api, services[-1]
    finally:
        for s in reversed(services):
            # each stop as a task of its own, bounded: awaited directly in pytest-asyncio's finalizer, the
            # polling service's stop could wait forever after some tests (not seen in `aftercare run`)
            await asyncio.wait_for(asyncio.ensure_future(s.stop()), 60)


async def test_polling_answers_with_feedback_buttons(polling: tuple[Any, FakeBotAPI, Any]) -> None:
    ac, api, outbox = polling
    assert api.of("getMe") and api.of("deleteWebhook"), "start_polling deletes the webhook first"
    api.push(api.update_text(CHAT, "/start"))
    await api.wait_for("sendMessage", _to(CHAT))
    api.push(api.update_text(CHAT, "how do I reset my password?"))
    sent = await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and bool(buttons(p)))
    answer = sent[0]
    assert answer["parse_mode"] == "HTML"
    labels = [label for label, _ in buttons(answer)]
    assert labels == ["That helped", "Talk to a person"]
    helped = dict(buttons(answer))["That helped"]
    api.push(api.update_button(CHAT, helped))
    await api.wait_for("sendMessage", lambda p: "Thanks for letting us know" in p["text"])
    api.push(api.update_button(CHAT, helped))  # pressed again: thanked again, stored once
    await api.wait_for("sendMessage", lambda p: "Thanks for letting us know" in p["text"], count=2)
    with ac.sessions() as s:
        rows = s.scalars(select(AnswerFeedback)).all()
    assert [(r.channel, r.customer_ref, r.value) for r in rows] == [("telegram", str(CHAT), "helped")]
    assert api.of("answerCallbackQuery")
    api.push(api.update_text(CHAT, "/help"))
    await api.wait_for("sendMessage", lambda p: "/human" in p["text"])


async def test_attachments_never_crash_and_join_the_ticket(polling: tuple[Any, FakeBotAPI, Any]) -> None:
    ac, api, outbox = polling
    api.push(api.update_sticker(CHAT))
    await api.wait_for("sendMessage", lambda p: "only read text" in p["text"])
    api.push(api.update_text(CHAT, "/human"))
    ack = (await api.wait_for("sendMessage", lambda p: "AC-" in p["text"]))[0]
    ticket = ac.handoff.list()[0]
    assert ticket.public_id in ack["text"] and ticket.channel == "telegram"
    api.push(api.update_photo(CHAT))
    await api.wait_for("sendMessage", lambda p: "added to ticket" in p["text"])
    refs = [a for m in ac.handoff.transcript(ticket.public_id) for a in m.meta.get("attachments", [])]
    # the sticker sent before the ticket went into it too
    assert [(a["type"], a.get("file_id")) for a in refs][-1] == ("photo", "PHOTO-big")
    assert [a["type"] for a in refs] == ["sticker", "photo"]


async def test_person_replies_long_text_split_and_escaped_and_no_ack_spam(
    polling: tuple[Any, FakeBotAPI, Any],
) -> None:
    ac, api, outbox = polling
    api.push(api.update_text(CHAT, "/human"))
    await api.wait_for("sendMessage", lambda p: "AC-" in p["text"])
    ticket = ac.handoff.list()[0]
    long = "Step <1> & more. " * 600  # about 10 000 characters, with HTML specials
    ac.handoff.reply(ticket.public_id, "Dana", long)
    pieces = await api.wait_for("sendMessage", lambda p: "Step &lt;1&gt; &amp; more." in p["text"], count=3)
    assert all(len(p["text"]) <= 4096 for p in pieces)
    assert pieces[0]["text"].startswith("Dana (support): Step &lt;1&gt;")
    for text in ("still broken", "any news?", "hello?"):
        api.push(api.update_text(CHAT, text))

    def arrived() -> bool:
        said = [m.text for m in ac.handoff.transcript(ticket.public_id) if m.author == "customer"]
        return said[-3:] == ["still broken", "any news?", "hello?"]

    await eventually(arrived)
    await outbox.run_once()
    assert outbox.pending() == 0
    # every message reached the ticket; after the person's reply the bot stays silent
    assert not [t for t in api.texts_to(CHAT) if "added this to your ticket" in t]


async def test_webhook_secret_checked_and_update_handled(make_app: Any, bot_api: FakeBotAPI) -> None:
    ac = make_app(
        telegram={
            "api_url": bot_api.url,
            "mode": "webhook",
            "webhook_url": "https://support.example.com/telegram/webhook",
        },
        outbox={"poll_interval_s": 0.2},
    )
    services = channel_services(ac, env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "s3cret"})
    server = AppServer(create_web_app(ac, services=services))
    url = await server.start()
    try:
        assert bot_api.webhook["url"] == "https://support.example.com/telegram/webhook"
        assert bot_api.webhook["secret_token"] == "s3cret"
        update = bot_api.update_text(CHAT, "how do I reset my password?")
        async with httpx.AsyncClient(base_url=url) as http:
            wrong = await http.post(
                "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            assert wrong.status_code == 403
            missing = await http.post("/telegram/webhook", json=update)
            assert missing.status_code == 403
            ok = await http.post(
                "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            )
            assert ok.status_code == 200
        sent = await bot_api.wait_for("sendMessage", _to(CHAT))
        assert buttons(sent[0]), "the answer came with its feedback buttons"
        assert not bot_api.of("getUpdates")
    finally:
        await server.stop()


async def test_did_you_mean_offers_cases_as_inline_buttons_and_a_pick_answers(
        polling: tuple[Any, FakeBotAPI, Any]) -> None:
    ac, api, outbox = polling
    api.push(api.update_text(CHAT, "how do I change my plan or cancel"))
    sent = await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "Did you mean" in p["text"])
    offered = buttons(sent[0])
    labels = [label for label, _ in offered]
    assert labels[-1] == "None of these — talk to a person" and 3 <= len(offered) <= 4
    by_label = {c.questions[0]: c for c in (ac.kb.get("change-plan"), ac.kb.get("cancel-subscription"))}
    assert set(by_label) <= set(labels)
    first_label, first_action = offered[0]
    api.push(api.update_button(CHAT, first_action))
    answer = await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and bool(buttons(p))
                                and buttons(p)[0][0] == "That helped")
    case = ac.kb.get(ac.handoff.customer_messages("telegram", str(CHAT))[-1].meta["case_id"])
    assert case.questions[0] == first_label and case.answer.split("\n")[0][:40] in answer[0]["text"]
    assert api.of("editMessageReplyMarkup"), "the choices are taken off once one is pressed"
    api.push(api.update_button(CHAT, offered[-1][1]))  # pressed late: the set was answered already
    api.push(api.update_text(CHAT, "/help"))
    await api.wait_for("sendMessage", lambda p: "/human" in p["text"])
    assert ac.handoff.list() == []


async def test_did_you_mean_none_of_these_opens_a_ticket_with_the_options(
        polling: tuple[Any, FakeBotAPI, Any]) -> None:
    ac, api, outbox = polling
    api.push(api.update_text(CHAT, "how do I change my plan or cancel"))
    sent = await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "Did you mean" in p["text"])
    api.push(api.update_button(CHAT, buttons(sent[0])[-1][1]))
    await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "AC-" in p["text"])
    [ticket] = ac.handoff.list()
    assert "change-plan" in ticket.reason and ticket.subject == "how do I change my plan or cancel"


async def test_every_message_joining_a_ticket_is_acknowledged_until_a_person_writes(
        polling: tuple[Any, FakeBotAPI, Any]) -> None:
    """Follow-ups on an open ticket each get "added to your ticket" (the second and third were stored as
    the bot's replies but never sent: the customer met silence); once a person writes, the bot says
    nothing, and records nothing the customer would not see."""
    ac, api, outbox = polling
    api.push(api.update_text(CHAT, "/human"))
    await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "AC-" in p["text"])
    [ticket] = ac.handoff.list()
    follow_ups = ["you keep ignoring my emails, this is unacceptable", "알겠습니다 수고하세요",
                  "how can I contact support"]
    for n, text in enumerate(follow_ups, start=2):
        api.push(api.update_text(CHAT, text))
        await api.wait_for("sendMessage", _to(CHAT), count=n)  # one reply per message, in turn
    acks = api.texts_to(CHAT)[1:]
    assert all(ticket.public_id in t for t in acks), acks
    ac.handoff.reply(ticket.public_id, "Dana", "Sorry about that, I'm on it now.")
    await api.wait_for("sendMessage", lambda p: _to(CHAT)(p) and "Dana (support)" in p["text"])
    api.push(api.update_text(CHAT, "ok, thank you"))

    def joined() -> bool:
        return [m.text for m in ac.handoff.transcript(ticket.public_id) if m.author == "customer"][-1] == \
            "ok, thank you"

    await eventually(joined)
    await outbox.run_once()
    assert outbox.pending() == 0
    # what the customer was sent is exactly what the conversation says the bot and the person told them
    told = [m.text for m in ac.handoff.customer_messages("telegram", str(CHAT))]
    assert len(told) == len(api.texts_to(CHAT)) == 5, (told, api.texts_to(CHAT))


async def test_a_slow_chat_holds_up_only_itself_and_its_messages_keep_their_order(
        polling: tuple[Any, FakeBotAPI, Any]) -> None:
    """Chats are processed side by side: while the bot's greeting to one chat hangs on the platform, another
    chat is answered; the slow chat's next message waits for its greeting and is answered after it."""
    ac, api, outbox = polling
    slow, other = CHAT, CHAT + 1
    api.push(api.update_text(other, "/start"))  # everything loaded and warm before the slow chat starts
    await api.wait_for("sendMessage", _to(other))
    api.hold(slow)
    try:
        api.push(api.update_text(slow, "/start"))
        await api.wait_for("held:sendMessage", _to(slow))  # the greeting is on its way, and hangs there
        api.push(api.update_text(slow, "how do I reset my password?"))
        api.push(api.update_text(other, "how do I reset my password?"))
        await api.wait_for("sendMessage", lambda p: _to(other)(p) and bool(buttons(p)))
        # the slow chat's question waits behind its greeting: not even recorded yet
        assert [m for m in ac.handoff.customer_messages("telegram", str(slow), with_own=True)
                if m.author == "customer"] == []
    finally:
        api.release(slow)
    await api.wait_for("sendMessage", lambda p: _to(slow)(p) and bool(buttons(p)))
    said = api.texts_to(slow)
    greeting = to_html_pieces(ac.replies.render("label_greeting", language="en"))[0]
    assert greeting in said[:-1] and said[-1] != greeting, said  # the greeting first, then the answer


async def test_a_reply_hanging_on_the_platform_holds_up_only_its_chat(
        polling: tuple[Any, FakeBotAPI, Any]) -> None:
    """The outbox sends to several chats at once: while one chat's answer hangs on the platform, another
    chat's answer is sent, and the hanging one has not been given up or retried meanwhile."""
    ac, api, outbox = polling
    slow, other = CHAT, CHAT + 1
    api.push(api.update_text(other, "/start"))
    await api.wait_for("sendMessage", _to(other))
    api.hold(slow)
    try:
        api.push(api.update_text(slow, "how do I reset my password?"))
        await api.wait_for("held:sendMessage", _to(slow))
        api.push(api.update_text(other, "how do I reset my password?"))
        await api.wait_for("sendMessage", lambda p: _to(other)(p) and bool(buttons(p)))
        conv = ac.handoff.conversation("telegram", str(slow))
        with ac.sessions() as s:
            hanging = s.scalars(select(Delivery).where(Delivery.key == f"c{conv}")).all()
        assert [(d.status, d.attempts) for d in hanging] == [("sending", 0)]
        assert not api.texts_to(slow)
    finally:
        api.release(slow)
    await api.wait_for("sendMessage", lambda p: _to(slow)(p) and bool(buttons(p)))
