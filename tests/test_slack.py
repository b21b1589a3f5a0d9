"""Slack: the real Bolt AsyncApp against a local Web API; signed HTTP events (forged and stale refused),
retries dropped by event id, agents' Claim / Resolve / thread replies, and Socket Mode over a WebSocket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from bot.adapters.web import create_web_app
from bot.http import channel_services
from tests.fakes.common import AppServer, eventually
from tests.fakes.slack_api import FakeSlack, block_action, event_callback

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
AGENTS = "CAGENTS01"
DM = "DCUST0001"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(users={"UCUST": "Cora", "UDANA": "Dana", "UEVAN": "Evan"})
    await fake.start()
    yield fake
    await fake.stop()


class Signed:
    """Posts to /slack/events signed like Slack does, over the exact body bytes."""

    def __init__(self, http: httpx.AsyncClient, secret: str = SECRET) -> None:
        self.http = http
        self.verifier = SignatureVerifier(secret)

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry: int | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or self.verifier.generate_signature(timestamp=ts, body=body),
        }
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return await self.http.post("/slack/events", content=body, headers=headers)

    async def event(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        return await self.post(json.dumps(payload).encode(), "application/json", **kw)

    async def action(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded")


@pytest.fixture
async def http_mode(make_app: Any, slack: FakeSlack) -> AsyncIterator[tuple[Any, FakeSlack, Signed]]:
    ac = make_app(slack={"api_url": slack.api_url, "agents_channel": AGENTS}, outbox={"poll_interval_s": 0.2})
    services = channel_services(ac, env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET})
    server = AppServer(create_web_app(ac, services=services))
    url = await server.start()
    async with httpx.AsyncClient(base_url=url) as http:
        yield ac, slack, Signed(http)
    await server.stop()


def dm(text: str, *, user: str = "UCUST") -> dict[str, Any]:
    return {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "event_ts": f"{time.time():.6f}",
    }


async def test_signature_and_timestamp_are_checked(http_mode: tuple[Any, FakeSlack, Signed]) -> None:
    _ac, _slack, signed = http_mode
    challenge = {"token": "legacy", "challenge": "abc123", "type": "url_verification"}
    ok = await signed.event(challenge)
    assert ok.status_code == 200 and "abc123" in ok.text
    forged = await signed.event(challenge, signature="v0=" + "0" * 64)
    assert forged.status_code == 401
    stale = await signed.event(challenge, timestamp=int(time.time()) - 600)
    assert stale.status_code == 401
    other_secret = await Signed(signed.http, "not-the-secret").event(challenge)
    assert other_secret.status_code == 401


async def test_dm_answered_once_even_when_slack_retries(http_mode: tuple[Any, FakeSlack, Signed]) -> None:
    ac, slack, signed = http_mode
    payload = event_callback(dm("how do I reset my password?"))
    first = await signed.event(payload)
    assert first.status_code == 200
    again = await signed.event(payload, retry=1)
    assert again.status_code == 200
    posted = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM)
    buttons = [
        e["text"]["text"] for b in posted[0]["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["That helped", "Talk to a person"]
    said = await eventually(lambda: [m for m in ac.handoff.customer_messages("slack", f"UCUST@{DM}")])
    assert len([m for m in said if m.author == "bot"]) == 1, "a retried event is handled once"


async def test_mention_answered_in_thread_and_agents_work_the_ticket(
    http_mode: tuple[Any, FakeSlack, Signed],
) -> None:
    ac, slack, signed = http_mode
    ts = "1700000000.000100"
    mention = {
        "type": "app_mention",
        "channel": "CGENERAL",
        "user": "UCUST",
        "ts": ts,
        "event_ts": ts,
        "text": "<@UBOT0001> the app crashes every time I upload a photo",
    }
    assert (await signed.event(event_callback(mention))).status_code == 200
    ack = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == "CGENERAL")
    assert ack[0]["thread_ts"] == ts and "AC-" in ack[0]["text"]
    ticket = ac.handoff.list()[0]
    post = (await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
    fields = " ".join(f["text"] for b in post["blocks"] for f in b.get("fields", []))
    for part in (ticket.public_id, ticket.priority, ticket.label, ticket.impact, "Cora", "slack"):
        assert part in fields
    assert "upload a photo" in json.dumps(post["blocks"])
    actions = [e["action_id"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["claim", "resolve"]

    # two agents press Claim at once: one wins, the other is told who has it
    r1, r2 = await asyncio.gather(
        signed.action(block_action("UDANA", AGENTS, "claim", ticket.public_id)),
        signed.action(block_action("UEVAN", AGENTS, "claim", ticket.public_id)),
    )
    assert r1.status_code == r2.status_code == 200
    told = (await slack.wait_for("chat.postEphemeral", lambda p: "already claimed by" in p["text"]))[0]
    winner = ac.handoff.get(ticket.public_id).assignee
    assert winner in ("Dana", "Evan") and winner in told["text"]
    assert told["user"] == ("UEVAN" if winner == "Dana" else "UDANA")
    agent_user = "UDANA" if winner == "Dana" else "UEVAN"

    # the thread is the conversation: a reply reaches the customer's thread, a // note stays inside
    def in_thread(text: str, *, user: str = agent_user) -> dict[str, Any]:
        return event_callback(
            {
                "type": "message",
                "channel": AGENTS,
                "user": user,
                "text": text,
                "ts": f"{time.time():.6f}",
                "thread_ts": post["_ts"],
                "channel_type": "channel",
            }
        )

    await signed.event(in_thread("// customer is on the old app version"))
    await signed.event(in_thread("Please update the app to 4.2, that fixes the upload crash."))
    reply = (
        await slack.wait_for(
            "chat.postMessage", lambda p: p.get("channel") == "CGENERAL" and "(support)" in p["text"]
        )
    )[0]
    assert reply["thread_ts"] == ts and reply["text"].startswith(f"{winner} (support): Please update")
    transcript = ac.handoff.transcript(ticket.public_id)
    assert [m.author for m in transcript if "old app version" in m.text] == ["note"]
    assert not [p for p in slack.posts("CGENERAL") if "old app version" in p["text"]]
    assert not [p for p in slack.posts(AGENTS, thread_ts=post["_ts"]) if "Please update" in p["text"]], (
        "an agent's own thread reply is not echoed back into the thread"
    )

    # a customer message of the ticket appears in the agents' thread
    follow = dict(mention, text="<@UBOT0001> ok updating now", ts="1700000000.000200", thread_ts=ts)
    await signed.event(event_callback(follow))
    await slack.wait_for(
        "chat.postMessage", lambda p: p.get("thread_ts") == post["_ts"] and "updating now" in p["text"]
    )

    # Resolve: the customer is told in their thread and rates with buttons
    await signed.action(block_action(agent_user, AGENTS, "resolve", ticket.public_id, message_ts=post["_ts"]))
    notice = (
        await slack.wait_for(
            "chat.postMessage", lambda p: p.get("channel") == "CGENERAL" and "resolved" in p["text"]
        )
    )[0]
    rate = {
        e["text"]["text"]: e["value"]
        for b in notice["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    assert list(rate) == ["1", "2", "3", "4", "5"]
    await signed.action(block_action("UCUST", "CGENERAL", rate["5"], rate["5"], thread_ts=ts))
    await slack.wait_for("chat.postMessage", lambda p: "rated" in p["text"])
    assert ac.handoff.rating(ticket.public_id) == 5


async def test_socket_mode_acks_and_answers(make_app: Any, slack: FakeSlack) -> None:
    ac = make_app(slack={"api_url": slack.api_url}, outbox={"poll_interval_s": 0.2})
    services = channel_services(ac, env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"})
    assert [s.name for s in services] == ["slack", "outbox"] and services[0].mode == "socket"
    assert services[0].http_routes() == []
    for s in services:
        await s.start()
    try:
        assert slack.of("apps.connections.open")[0]["_auth"] == "Bearer xapp-test"
        envelope = await slack.socket_send("events_api", event_callback(dm("how do I reset my password?")))
        await slack.wait_for("socket:ack", lambda p: p.get("envelope_id") == envelope)
        posted = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM)
        assert posted[0]["_auth"] == "Bearer xoxb-test"
    finally:
        for s in reversed(services):
            await s.stop()


async def test_agents_post_suggests_a_solved_case_near_the_customers_words(
    http_mode: tuple[Any, FakeSlack, Signed],
) -> None:
    ac, slack, signed = http_mode
    text = "the night vision on my camera stopped working, the image is black at night"
    assert (await signed.event(event_callback(dm(text, user="UNIGHT")))).status_code == 200
    post = (await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
    shown = json.dumps(post["blocks"])
    assert "Solved cases that may answer this" in shown and "`night-vision`" in shown
    assert ac.kb.get("night-vision").answer[:40] in shown

    def in_thread(text: str) -> dict[str, Any]:
        return event_callback({"type": "message", "channel": AGENTS, "user": "UDANA", "text": text,
                               "ts": f"{time.time():.6f}", "thread_ts": post["_ts"], "channel_type": "channel"})

    # "!case <id>" sends that case's answer, after the agent's own words; the thread shows what was sent
    await signed.event(in_thread("!case `night-vision` Hi! This usually fixes it:"))
    sent = (await slack.wait_for("chat.postMessage",
                                 lambda p: p.get("channel") == DM and "(support)" in p.get("text", "")))[0]
    assert "Hi! This usually fixes it:" in sent["text"] and "infrared night vision" in sent["text"]
    await slack.wait_for("chat.postMessage",
                         lambda p: p.get("thread_ts") == post["_ts"] and "infrared night vision" in p.get("text", ""))
    # an unknown case is refused to the agent alone; nothing reaches the customer
    await signed.event(in_thread("!case no-such-case"))
    told = (await slack.wait_for("chat.postEphemeral", lambda p: "no-such-case" in p["text"]))[0]
    assert told["text"].startswith("Not sent") and told["user"] == "UDANA"
    ticket = ac.handoff.list()[0]
    assert [m.text for m in ac.handoff.transcript(ticket.public_id) if "no-such-case" in m.text] == []


async def test_did_you_mean_offers_cases_as_buttons_and_a_pick_answers(
        http_mode: tuple[Any, FakeSlack, Signed]) -> None:
    ac, slack, signed = http_mode
    assert (await signed.event(event_callback(dm("how do I change my plan or cancel")))).status_code == 200
    posted = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM and "Did you mean" in p["text"])
    offered = [(e["text"]["text"], e["value"]) for b in posted[0]["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert offered[-1][0] == "None of these — talk to a person" and 3 <= len(offered) <= 4
    assert ac.kb.get("change-plan").questions[0] in [label for label, _ in offered]
    label, value = offered[1]
    assert (await signed.action(block_action("UCUST", DM, value, value))).status_code == 200
    answer = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM and p.get("blocks")
                                  and "Did you mean" not in p["text"])
    case = next(c for c in (ac.kb.get("change-plan"), ac.kb.get("cancel-subscription")) if c.questions[0] == label)
    assert case.answer[:30] in answer[0]["text"]
    assert ac.handoff.list() == []
    # "None of these" under the same set, pressed after the pick: nothing more happens
    await signed.action(block_action("UCUST", DM, offered[-1][1], offered[-1][1]))
    assert ac.handoff.list() == []
