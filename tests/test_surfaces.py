"""Where the channels, the desk and the console meet: resolving from Slack proposes a draft case and
takes a rating, desk alerts reach the Slack agents channel once and the console's queue, a typed
1-5 in the web chat and terminal is a rating, and agents resolve problems in the console."""

from __future__ import annotations

import html
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.adapters.slack import esc
from bot.adapters.terminal import run_terminal
from bot.adapters.web import create_web_app
from bot.http import channel_services
from bot.workflows import resolve_ticket
from handoff.clock import ManualClock
from handoff.jobs import run_due
from handoff.models import Satisfaction
from tests.console_support import add_users, alogin, csrf_of, login
from tests.fakes.common import AppServer, eventually
from tests.fakes.slack_api import FakeSlack, block_action, event_callback
from tests.test_problems import BURST
from tests.test_slack import AGENTS, DM, SECRET, Signed, dm
from tests.webchat import web_client

CRASH = "the app crashes every time I upload a photo"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(users={"UCUST": "Cora", "UDANA": "Dana"})
    await fake.start()
    yield fake
    await fake.stop()


def serve(ac: Any) -> tuple[list[Any], AppServer]:
    services = channel_services(ac, env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET})
    return services, AppServer(create_web_app(ac, services=services))


async def console_login(http: httpx.AsyncClient, ac: Any, name: str = "ann") -> None:
    add_users(ac, ((name, "agent"),))
    await alogin(http, name)


def in_thread(text: str, thread_ts: str, user: str = "UDANA") -> dict[str, Any]:
    return event_callback({"type": "message", "channel": AGENTS, "user": user, "text": text,
                           "ts": f"{datetime.now().timestamp():.6f}", "thread_ts": thread_ts,
                           "channel_type": "channel"})


async def test_slack_resolve_proposes_a_draft_and_a_late_rating_press_is_stored(make_app, slack) -> None:  # type: ignore[no-untyped-def]
    ac = make_app(slack={"api_url": slack.api_url, "agents_channel": AGENTS}, outbox={"poll_interval_s": 0.2})
    _services, server = serve(ac)
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            signed = Signed(http)
            await signed.event(event_callback(dm(CRASH)))
            post = (await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
            ticket = ac.handoff.list()[0]
            await signed.event(in_thread("Update to 4.2, my email is dana@example.com", post["_ts"]))
            await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM and "(support)" in p["text"])
            await signed.action(block_action("UDANA", AGENTS, "resolve", ticket.public_id, message_ts=post["_ts"]))
            notice = (await slack.wait_for(
                "chat.postMessage", lambda p: p.get("channel") == DM and "resolved" in p["text"]))[0]
            assert notice["text"].count("Rate it from 1") == 1, "the rating question is asked once"
            # the draft is proposed beside the notice, which the outbox may deliver first
            drafts = await eventually(lambda: [c for c in ac.kb.list(state="draft", limit=100_000)
                                               if c.source_ref == ticket.public_id])
            assert len(drafts) == 1 and "Update to 4.2" in drafts[0].answer
            assert "dana@example.com" not in drafts[0].answer, "personal data scrubbed"
            assert ac.handoff.get(ticket.public_id).status == "resolved"

            # the customer says something else first (answered by the bot), then presses a rating button
            seen = ac.handoff.customer_messages("slack", f"UCUST@{DM}")[-1].id
            await signed.event(event_callback(dm("thank you!")))
            await eventually(lambda: ac.handoff.customer_messages("slack", f"UCUST@{DM}", after=seen))
            assert ac.handoff.get(ticket.public_id).status == "resolved"
            rate = {e["text"]["text"]: e["value"] for b in notice["blocks"] if b["type"] == "actions"
                    for e in b["elements"]}
            await signed.action(block_action("UCUST", DM, rate["4"], rate["4"]))
            await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM and "rated" in p["text"])
            assert ac.handoff.rating(ticket.public_id) == 4
    finally:
        await server.stop()


async def test_sla_breach_reaches_slack_once_across_a_restart_and_the_console_queue(make_app, slack) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))  # a Monday, in business hours
    ac = make_app(slack={"api_url": slack.api_url, "agents_channel": AGENTS}, outbox={"poll_interval_s": 0.2},
                  clock=clock)
    services, server = serve(ac)
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            await Signed(http).event(event_callback(dm(CRASH)))
            await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS)
            ticket = ac.handoff.list()[0]
            clock.advance(days=3)
            report = run_due(ac.handoff)  # what the jobs service runs every interval
            assert report.breaches >= 1
            breach = next(a for a in ac.handoff.alerts() if a.kind == "sla_breach" and a.ticket == ticket.public_id)
            posted = await slack.wait_for("chat.postMessage",
                                          lambda p: p.get("channel") == AGENTS and esc(breach.text) in p["text"])
            assert "CRITICAL" in posted[0]["text"] and "<!here>" in posted[0]["text"]

            # the console's queue shows it, linked to the ticket
            await console_login(http, ac)
            page = (await http.get("/console/queue")).text
            assert "Recent alerts" in page and f'href="/console/tickets/{ticket.public_id}"' in page
            assert html.escape(breach.text, quote=False) in page
    finally:
        await server.stop()
    await services[-1].run_once()  # the stopped worker's outbox has nothing left to send

    # a restart: a new worker with its own outbox posts nothing again, and a later alert once
    services, server = serve(ac)
    await server.start()
    try:
        outbox = services[-1]
        await outbox.run_once()
        run_due(ac.handoff)  # no new breach for the same targets
        await outbox.run_once()
        every = ac.handoff.alerts()
        for a in every:
            if a.created_at.replace(tzinfo=UTC) >= datetime(2026, 3, 3, tzinfo=UTC):
                assert len([p for p in slack.posts(AGENTS) if esc(a.text) in p["text"]]) == 1, a
        assert outbox.pending() == 0
    finally:
        await server.stop()


def test_web_chat_typed_rating_is_stored_without_reopening(make_app) -> None:  # type: ignore[no-untyped-def]
    ac = make_app()
    with web_client(ac) as client:
        body = client.post("/api/messages", json={"customer": "w9", "text": CRASH}).json()
        assert body["action"] == "escalate"
        tid, last = body["ticket_id"], body["last_id"]
        resolve_ticket(ac, tid, "sam", "Fixed in app 4.2")
        shown = client.get("/api/messages", params={"customer": "w9", "after": last}).json()["messages"]
        assert any("Rate it from 1" in m["text"] for m in shown), "the web chat customer is asked"
        r = client.post("/api/messages", json={"customer": "w9", "text": "4 thanks, quick fix"}).json()
        assert r["action"] == "rated" and "rated ticket" in r["replies"][0]["text"]
        assert ac.handoff.rating(tid) == 4 and ac.handoff.get(tid).status == "resolved"
        with ac.sessions() as s:
            assert s.scalar(select(Satisfaction.comment)) == "thanks, quick fix"
        # once rated, a correction says so and replaces the rating; a bare number keeps it
        fixed = client.post("/api/messages", json={"customer": "w9", "text": "sorry, I meant 5"}).json()
        assert fixed["action"] == "rated" and ac.handoff.rating(tid) == 5
        again = client.post("/api/messages", json={"customer": "w9", "text": "3"}).json()
        assert again["action"] != "rated" and ac.handoff.rating(tid) == 5


class Typing(io.StringIO):
    """A customer at the terminal; ``between`` runs while they are reading (an agent acts meanwhile)."""

    def __init__(self, lines: list[str], between: dict[int, Any]) -> None:
        super().__init__()
        self.lines, self.between, self.n = lines, between, 0

    def readline(self, size: int | None = -1) -> str:
        if self.n in self.between:
            self.between[self.n]()
        self.n += 1
        return self.lines[self.n - 1] + "\n" if self.n <= len(self.lines) else ""


def test_terminal_typed_rating(make_app) -> None:  # type: ignore[no-untyped-def]
    ac = make_app()
    out = io.StringIO()
    # the agent resolves while the customer reads; Enter on an empty line shows what came in
    typing = Typing([CRASH, "", "5"], {1: lambda: resolve_ticket(ac, ac.handoff.list()[0].id, "sam", "Fixed in 4.2")})
    run_terminal(ac, customer="t1", inp=typing, out=out)
    text = out.getvalue()
    tid = ac.handoff.list(status=None)[0].public_id
    assert text.index("Rate it from 1") < text.index("rated ticket"), text
    assert ac.handoff.rating(tid) == 5 and ac.handoff.get(tid).status == "resolved"


def test_console_lists_and_resolves_problems(make_app) -> None:  # type: ignore[no-untyped-def]
    ac = make_app()
    add_users(ac, (("ann", "agent"), ("eve", "editor")))
    with web_client(ac) as client:
        ids = [client.post("/api/messages", json={"customer": c, "text": t}).json()["ticket_id"] for c, t in BURST]
        p = ac.handoff.problems()[0]
        login(client, "eve")
        assert client.get("/console/problems").status_code == 403, "agents' page"
        client.cookies.clear()
        login(client, "ann")
        listing = client.get("/console/problems")
        assert listing.status_code == 200 and p.public_id in listing.text
        assert all(f'href="/console/tickets/{t}"' in listing.text for t in ids)
        forged = client.post(f"/console/problems/{p.public_id}/resolve", data={"resolution": "x", "csrf": "no"})
        assert forged.status_code == 403 and ac.handoff.problem(p.public_id).status == "open"
        done = client.post(f"/console/problems/{p.public_id}/resolve",
                           data={"resolution": "The payment provider's certificate was renewed",
                                 "csrf": csrf_of(listing.text)})
        assert done.status_code == 200 and f"{len(BURST)} tickets resolved" in done.text
        assert ac.handoff.problem(p.public_id).status == "resolved"
        for (customer, _), t in zip(BURST, ids, strict=True):
            assert ac.handoff.get(t).status == "resolved"
            assert "certificate was renewed" in ac.handoff.customer_messages("web", customer)[-1].text
        assert len([c for c in ac.kb.list(state="draft", limit=100_000) if c.source_ref in ids]) == 1
        assert p.public_id in client.get("/console/problems?status=resolved").text
        json.dumps(client.get(f"/console/tickets/{ids[0]}").text)  # the ticket page still renders
