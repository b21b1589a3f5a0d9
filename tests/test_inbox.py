"""Platform updates are stored before they are acknowledged and processed from the store: a resent
update is stored once, and what a stopped worker acknowledged is finished by the next start.
Real python-telegram-bot and Bolt against the local fake APIs, over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from bot.adapters.web import create_web_app
from bot.http import channel_services
from bot.inbox import InboundUpdate
from handoff.models import Conversation, Message
from tests.fakes.common import AppServer, eventually
from tests.fakes.slack_api import FakeSlack, block_action, event_callback
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.test_slack import AGENTS, DM, Signed, dm
from tests.test_slack import SECRET as SLACK_SECRET

CHAT = 5151
SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}


def _webhook_app(make_app: Any, bot_api: FakeBotAPI, **kw: Any) -> Any:
    return make_app(telegram={"api_url": bot_api.url, "mode": "webhook"}, outbox={"poll_interval_s": 0.2}, **kw)


def _services(ac: Any) -> list[Any]:
    return channel_services(ac, env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "s3cret"})


def _customer_messages(ac: Any, customer: str) -> list[str]:
    with ac.sessions() as s:
        return list(s.scalars(select(Message.text).join(Conversation, Conversation.id == Message.conversation_id)
                              .where(Conversation.customer_ref == customer, Message.author == "customer")))


async def test_the_same_update_sent_three_times_is_stored_and_answered_once(make_app, bot_api) -> None:
    ac = _webhook_app(make_app, bot_api)
    server = AppServer(create_web_app(ac, services=_services(ac)))
    url = await server.start()
    try:
        update = bot_api.update_text(CHAT, "how do I reset my password?")
        async with httpx.AsyncClient(base_url=url) as http:
            for _ in range(3):
                assert (await http.post("/telegram/webhook", json=update, headers=SECRET)).status_code == 200
        await bot_api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT)
        await eventually(lambda: len(_customer_messages(ac, str(CHAT))) == 1)
        with ac.sessions() as s:
            assert s.scalar(select(func.count()).select_from(InboundUpdate)) == 1
    finally:
        await server.stop()
    assert _customer_messages(ac, str(CHAT)) == ["how do I reset my password?"]
    assert len(bot_api.texts_to(CHAT)) == 1


async def test_an_acknowledged_update_is_finished_by_the_next_start(make_app, bot_api) -> None:
    ac = _webhook_app(make_app, bot_api)
    services = _services(ac)
    server = AppServer(create_web_app(ac, services=services))
    url = await server.start()
    try:
        await services[0].inbox.stop()  # this worker stops processing (as a killed one would) ...
        async with httpx.AsyncClient(base_url=url) as http:
            update = bot_api.update_text(CHAT + 1, "the app crashes every time I upload a photo")
            assert (await http.post("/telegram/webhook", json=update, headers=SECRET)).status_code == 200
        assert _customer_messages(ac, str(CHAT + 1)) == []  # ... after answering 200: the update is stored only
        with ac.sessions() as s:
            assert s.scalar(select(InboundUpdate.status)) == "pending"
    finally:
        await server.stop()
    restarted = AppServer(create_web_app(ac, services=_services(ac)))
    await restarted.start()
    try:
        sent = await bot_api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT + 1)
        assert "AC-" in sent[0]["text"]
        assert _customer_messages(ac, str(CHAT + 1)) == ["the app crashes every time I upload a photo"]
    finally:
        await restarted.stop()


BAD_UPDATES = [b"[]", b"null", b"1", b"{}", b'{"update_id": "x"}', b'{"update_id": true}',
               b"[" * 5000 + b"]" * 5000, b'{"update_id": 1, "x": ' + b"[" * 100 + b"]" * 100 + b"}",
               b'{"update_id": NaN}', b'{"update_id": Infinity}', b'{"update_id": 1e999}',
               b'{"update_id": 7, "message": {"text": "\\ud800"}}',
               b'{"update_id": 8, "message": {"text": "a\\u0000"}}',
               b"\xff\xfe", b'{"update_id": 99999999999999999999999}']


async def test_a_body_that_is_not_an_update_gets_400_and_nothing_is_stored(make_app, bot_api) -> None:
    ac = _webhook_app(make_app, bot_api)
    server = AppServer(create_web_app(ac, services=_services(ac)))
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            for body in BAD_UPDATES:
                r = await http.post("/telegram/webhook", content=body,
                                    headers={**SECRET, "content-type": "application/json"})
                assert r.status_code == 400, (body[:60], r.text)
                assert r.json()["error"].startswith("not a Telegram update")
        with ac.sessions() as s:
            assert s.scalar(select(func.count()).select_from(InboundUpdate)) == 0
    finally:
        await server.stop()


# -- Slack ------------------------------------------------------------------------------------------


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


def _slack_app(make_app: Any, slack: FakeSlack) -> Any:
    return make_app(slack={"api_url": slack.api_url, "agents_channel": AGENTS}, outbox={"poll_interval_s": 0.2})


def _slack_services(ac: Any) -> list[Any]:
    return channel_services(ac, env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SLACK_SECRET})


async def test_slack_events_are_stored_once_and_finished_by_the_next_start(make_app, slack) -> None:
    ac = _slack_app(make_app, slack)
    services = _slack_services(ac)
    server = AppServer(create_web_app(ac, services=services))
    url = await server.start()
    payload = event_callback(dm("the app crashes every time I upload a photo"))
    try:
        await services[0].inbox.stop()  # this worker stops processing after the 200, as a killed one would
        async with httpx.AsyncClient(base_url=url) as http:
            signed = Signed(http, SLACK_SECRET)
            assert (await signed.event(payload)).status_code == 200
            assert (await signed.event(payload, retry=1)).status_code == 200
            assert (await signed.event(payload, retry=2)).status_code == 200
        with ac.sessions() as s:
            assert s.scalar(select(func.count()).select_from(InboundUpdate)) == 1
        assert _customer_messages(ac, f"UCUST@{DM}") == []
    finally:
        await server.stop()
    restarted = AppServer(create_web_app(ac, services=_slack_services(ac)))
    await restarted.start()
    try:
        said = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM)
        assert "AC-" in said[0]["text"]
        assert _customer_messages(ac, f"UCUST@{DM}") == ["the app crashes every time I upload a photo"]
    finally:
        await restarted.stop()


async def test_claim_and_resolve_act_only_for_mapped_agents_and_once_per_press(make_app, slack) -> None:
    ac = _slack_app(make_app, slack)
    server = AppServer(create_web_app(ac, services=_slack_services(ac)))
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            signed = Signed(http, SLACK_SECRET)
            assert (await signed.event(event_callback(dm("the app crashes every time I upload a photo")))
                    ).status_code == 200
            await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS)
            ticket = ac.handoff.list()[0]
            # a signed press from a customer's DM (not the agents channel): nothing changes
            await signed.action(block_action("UCUST", DM, "claim", ticket.public_id))
            await signed.action(block_action("UCUST", DM, "resolve", ticket.public_id))
            await slack.wait_for("chat.postEphemeral", lambda p: "Only the support team" in p["text"])
            await eventually(lambda: len([p for p in slack.of("chat.postEphemeral")
                                          if "Only the support team" in p["text"]]) == 2)
            t = ac.handoff.get(ticket.public_id)
            assert t.assignee is None and t.status == "new"
            # one press replayed three times (same trigger): claimed and announced once
            press = block_action("UDANA", AGENTS, "claim", ticket.public_id)
            for _ in range(3):
                body = urlencode({"payload": json.dumps(press)}).encode()
                assert (await signed.post(body, "application/x-www-form-urlencoded")).status_code == 200
            await eventually(lambda: ac.handoff.get(ticket.public_id).assignee is not None)
            await eventually(lambda: [p for p in slack.of("chat.postMessage") if "has taken" in p.get("text", "")])
            with ac.sessions() as s:
                assert s.scalar(select(func.count()).select_from(InboundUpdate)
                                .where(InboundUpdate.external_id.like("action:%"))) == 3
        assert len([p for p in slack.of("chat.postMessage") if "has taken" in p.get("text", "")]) == 1
    finally:
        await server.stop()


async def test_slack_bad_timestamps_and_bodies_get_400_with_the_reason(make_app, slack) -> None:
    ac = _slack_app(make_app, slack)
    server = AppServer(create_web_app(ac, services=_slack_services(ac)))
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            for ts in ("abc", "1e9", "-5", "99999999999999999999", "١٢٣".encode()):
                r = await http.post("/slack/events", content=b"{}", headers={
                    "content-type": "application/json", "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": "v0=" + "0" * 64})
                assert r.status_code == 400 and "Timestamp" in r.json()["error"], (ts, r.text)
            signed = Signed(http, SLACK_SECRET)
            for body in (b"[]", b"null", b'{"type": "event_callback", "event_id": NaN}', b"[" * 3000 + b"]" * 3000,
                         b'{"type": "event_callback", "event_id": "Ev1", "event": {"text": "\\ud800"}}'):
                r = await signed.post(body, "application/json")
                assert r.status_code == 400 and r.json()["error"].startswith("not a Slack request"), (body[:40], r.text)
        with ac.sessions() as s:
            assert s.scalar(select(func.count()).select_from(InboundUpdate)) == 0
    finally:
        await server.stop()


async def test_a_split_message_whose_second_piece_failed_sends_the_first_only_once(make_app, bot_api) -> None:
    ac = _webhook_app(make_app, bot_api)
    server = AppServer(create_web_app(ac, services=_services(ac)))
    url = await server.start()
    chat = CHAT + 7
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            update = bot_api.update_text(chat, "the app crashes every time I upload a photo")
            assert (await http.post("/telegram/webhook", json=update, headers=SECRET)).status_code == 200
        await bot_api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == chat and "AC-" in p["text"])
        ticket = ac.handoff.list()[0]
        bot_api.fail_next(500, after=1)  # piece 1 arrives, piece 2 fails once
        ac.handoff.reply(ticket.public_id, "Dana", "Please try this. " * 330)  # 5,610 characters: two pieces
        await bot_api.wait_for("failed:sendMessage", lambda p: int(p["chat_id"]) == chat)
        pieces = await bot_api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == chat and "try this" in p["text"],
                                        count=2)
        await asyncio.sleep(1.5)  # a wrong third send would show up now
    finally:
        await server.stop()
    sent = [p["text"] for p in bot_api.of("sendMessage") if int(p["chat_id"]) == chat and "try this" in p["text"]]
    assert len(sent) == 2 and sent[0] != sent[1], [len(t) for t in sent]
    assert pieces[0]["text"].startswith("Dana (support): Please try this.")
