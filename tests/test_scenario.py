"""End to end: a Telegram customer reports a fault -> ticket -> posted to the agents' Slack channel ->
an agent claims and replies in the thread -> the customer receives it on Telegram -> the agent resolves
-> the customer gets the notice and rates 4 -> the rating is stored. Real clients, local peers."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from bot.adapters.web import create_web_app
from bot.http import channel_services
from tests.fakes.common import AppServer
from tests.fakes.slack_api import FakeSlack, block_action, event_callback
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.test_slack import SECRET, Signed

CHAT = 9001
AGENTS = "CAGENTS01"


def keyboard(params: dict[str, Any]) -> dict[str, str]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def test_telegram_customer_slack_agent_round_trip(make_app: Any) -> None:
    tg, slack = FakeBotAPI(TOKEN), FakeSlack(users={"UDANA": "Dana"})
    await tg.start()
    await slack.start()
    ac = make_app(
        telegram={"api_url": tg.url, "poll_timeout_s": 1},
        slack={"api_url": slack.api_url, "agents_channel": AGENTS},
        outbox={"poll_interval_s": 0.2},
    )
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET}
    services = channel_services(ac, env=env)
    assert [s.name for s in services] == ["telegram", "slack", "outbox"]
    server = AppServer(create_web_app(ac, services=services))
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            signed = Signed(http)
            # 1. the customer reports a fault on Telegram and gets a ticket id
            tg.push(tg.update_text(CHAT, "the app crashes every time I upload a photo"))
            ack = (await tg.wait_for("sendMessage", lambda p: "AC-" in p["text"]))[0]
            ticket = ac.handoff.list()[0]
            assert ticket.public_id in ack["text"] and ticket.channel == "telegram"

            # 2. the escalation is posted to the agents' channel
            post = (await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
            assert ticket.public_id in post["text"] and "upload a photo" in json.dumps(post["blocks"])

            # 3. an agent claims it and replies in the thread
            await signed.action(
                block_action("UDANA", AGENTS, "claim", ticket.public_id, message_ts=post["_ts"])
            )
            await slack.wait_for("chat.postMessage", lambda p: "Dana has taken" in p["text"])
            assert ac.handoff.get(ticket.public_id).assignee == "Dana"
            reply = {
                "type": "message",
                "channel": AGENTS,
                "user": "UDANA",
                "channel_type": "channel",
                "text": "Sorry about that! Update to 4.2 and the upload works again.",
                "ts": f"{time.time():.6f}",
                "thread_ts": post["_ts"],
            }
            assert (await signed.event(event_callback(reply))).status_code == 200

            # 4. the customer receives it on Telegram, marked as from a person
            got = (await tg.wait_for("sendMessage", lambda p: "(support)" in p["text"]))[0]
            assert (
                got["text"] == "Dana (support): Sorry about that! Update to 4.2 and the upload works again."
            )

            # 5. the agent resolves; the customer is told and asked to rate 1-5
            await signed.action(
                block_action("UDANA", AGENTS, "resolve", ticket.public_id, message_ts=post["_ts"])
            )
            notice = (await tg.wait_for("sendMessage", lambda p: "has been resolved" in p["text"]))[0]
            rate = keyboard(notice)
            assert list(rate) == ["1", "2", "3", "4", "5"]
            assert ac.handoff.get(ticket.public_id).status == "resolved"

            # 6. the customer rates 4; the rating is stored
            tg.push(tg.update_button(CHAT, rate["4"]))
            await tg.wait_for("sendMessage", lambda p: "4 out of 5" in p["text"])
            assert ac.handoff.rating(ticket.public_id) == 4

            # every message reached Telegram exactly once
            texts = tg.texts_to(CHAT)
            assert len(texts) == len(set(texts))
    finally:
        await server.stop()
        await slack.stop()
        await tg.stop()
