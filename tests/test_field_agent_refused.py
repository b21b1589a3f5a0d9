"""Field cases of an agent answering a ticket that is no longer open: the reply is never lost nor sent
unannounced. A ticket resolved within the reopen window takes the reply as it takes the customer's
message (reopened, the agent told); one resolved longer ago or closed refuses it with the reason and the
typed text, and "Reopen and send" (the console) or ``--reopen`` (the CLI) reopens and sends it once; a
merged ticket points to the ticket it was merged into. Slack's thread says why and offers Reopen. The
ticket page and ``tickets show`` name the customer's language, also one without reply templates."""

from __future__ import annotations

import asyncio
import html
import re
import shlex
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.app import Aftercare
from bot.workflows import resolve_ticket
from handoff.clock import ManualClock
from kb.embedder import Embedder
from tests.conftest import FakeChannel
from tests.console_support import add_users, csrf_of, login
from tests.desk_support import Cli
from tests.fakes.slack_api import FakeSlack, block_action, event_callback
from tests.test_slack import AGENTS, DM, Signed, dm, http_mode, slack  # noqa: F401 (the Slack fixtures)

TEXT = "Good news: the replacement part shipped today, tracking number 4711."


def sign_in(client: Any) -> None:
    """Log the agent ann in over the TestClient ``client``."""
    login(client, "ann")


def agent_replies(ac: Aftercare, ref: str) -> list[str]:
    return [m.text for m in ac.handoff.transcript(ref) if m.author == "agent"]


def refused_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and the fields of the page's refused-reply form (its text as typed)."""
    m = re.search(r'<form method="post" action="([^"]+)"[^>]*id="refused-reply">(.*?)</form>', page, re.S)
    assert m, "no refused-reply form on the page"
    fields = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                           m.group(2))}
    box = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', m.group(2), re.S)
    assert box, "no reply box in the refused-reply form"
    return m.group(1), {**fields, "text": html.unescape(box.group(1))}


def desk(make_app: Any) -> tuple[Aftercare, ManualClock, dict[str, str]]:
    """An app whose clock starts 100 hours ago, with: ``old`` resolved then (beyond the 72-hour reopen
    window), ``closed``, ``dup`` merged into ``target``, and, after the clock is back at now, ``recent``
    resolved just now; keyed by name, their public ids."""
    now = datetime.now(UTC)
    clock = ManualClock(now - timedelta(hours=100))
    ac = make_app(clock=clock)
    add_users(ac)
    chat = FakeChannel(ac)
    ids = {name: str(chat.push("get me an agent please", customer=name).ticket_id)
           for name in ("old", "closed", "dup", "recent")}
    resolve_ticket(ac, ids["old"], "bob", "We replaced the part.", propose=False)
    clock.set(now)
    ac.handoff.close(ids["closed"], "bob")
    ids["target"] = str(chat.push("my camera is broken, get me an agent", customer="dup2").ticket_id)
    ac.handoff.merge(ids["dup"], ids["target"], "bob", confirm=True)
    resolve_ticket(ac, ids["recent"], "bob", "Fixed on our side.", propose=False)
    return ac, clock, ids


def test_console_reply_to_a_finished_ticket_keeps_the_text_and_reopens_and_sends_once(make_app: Any) -> None:
    ac, _clock, ids = desk(make_app)
    with TestClient(create_web_app(ac)) as client:
        sign_in(client)
        token = csrf_of(client.get(f"/console/tickets/{ids['old']}").text)

        # resolved 100 hours ago: refused (400), the text back in its box, the state explained
        r = client.post(f"/console/tickets/{ids['old']}/reply", data={"csrf": token, "text": TEXT, "form_key": "f1"})
        assert r.status_code == 400, r.text[-2000:]
        page = html.unescape(r.text)
        assert "Not sent" in page and "is resolved, more than 72 hours ago" in page
        action, form = refused_form(r.text)
        assert form["text"] == TEXT and form["reopen"] == "1" and "Reopen and send" in page
        assert agent_replies(ac, ids["old"]) == [] and ac.handoff.get(ids["old"]).status == "resolved"

        # Reopen and send: reopened, sent once however often it is pressed
        first = client.post(action, data=form, follow_redirects=False)
        again = client.post(action, data=form, follow_redirects=False)
        assert first.status_code == again.status_code == 303
        assert "open+again" in first.headers["location"] or "open again" in first.headers["location"]
        assert agent_replies(ac, ids["old"]) == [TEXT]
        assert ac.handoff.get(ids["old"]).status == "assigned"
        assert [e.kind for e in ac.handoff.events(ids["old"])].count("reopened") == 1

        # closed: refused the same way
        r = client.post(f"/console/tickets/{ids['closed']}/reply", data={"csrf": token, "text": TEXT})
        assert r.status_code == 400 and "is closed" in html.unescape(r.text)
        action, form = refused_form(r.text)
        assert form["text"] == TEXT and action.endswith(f"/{ids['closed']}/reply")
        assert client.post(action, data=form, follow_redirects=False).status_code == 303
        assert agent_replies(ac, ids["closed"]) == [TEXT] and ac.handoff.get(ids["closed"]).is_open

        # resolved just now: the reply reopens it, as the customer's message would, and says so
        r = client.post(f"/console/tickets/{ids['recent']}/reply", data={"csrf": token, "text": TEXT},
                        follow_redirects=False)
        assert r.status_code == 303 and "reopened" in r.headers["location"]
        assert agent_replies(ac, ids["recent"]) == [TEXT] and ac.handoff.get(ids["recent"]).is_open


def test_console_reply_to_a_merged_ticket_points_to_the_ticket_it_went_into(make_app: Any) -> None:
    ac, _clock, ids = desk(make_app)
    with TestClient(create_web_app(ac)) as client:
        sign_in(client)
        token = csrf_of(client.get(f"/console/tickets/{ids['dup']}").text)
        r = client.post(f"/console/tickets/{ids['dup']}/reply", data={"csrf": token, "text": TEXT})
        assert r.status_code == 400
        page = html.unescape(r.text)
        assert f"was merged into {ids['target']}" in page and f'href="/console/tickets/{ids["target"]}"' in page
        assert "Reopen and send" not in page
        action, form = refused_form(r.text)
        assert action == f"/console/tickets/{ids['target']}/reply" and form["text"] == TEXT and "reopen" not in form
        assert client.post(action, data=form, follow_redirects=False).status_code == 303
        assert agent_replies(ac, ids["target"]) == [TEXT] and agent_replies(ac, ids["dup"]) == []


def test_cli_reply_to_a_finished_ticket_prints_the_reason_and_the_text_and_reopens_with_a_flag(
        make_app: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        embedder: Embedder) -> None:
    ac, _clock, ids = desk(make_app)
    cli = Cli(ac, monkeypatch, capsys, embedder)
    for name, said in (("old", "is resolved, more than 72 hours ago"), ("closed", "is closed")):
        out = cli("tickets", "reply", ids[name], TEXT, "--agent", "ann", code=1)
        assert said in out and TEXT in out and f"--reopen {shlex.quote(TEXT)}" in out, out
        assert agent_replies(ac, ids[name]) == []
        out = cli("tickets", "reply", ids[name], TEXT, "--agent", "ann", "--reopen")
        assert "sent" in out and "open again" in out, out
        assert agent_replies(ac, ids[name]) == [TEXT] and ac.handoff.get(ids[name]).is_open

    out = cli("tickets", "reply", ids["dup"], TEXT, "--agent", "ann", "--reopen", code=1)
    assert f"merged into {ids['target']}" in out and TEXT in out and f"tickets reply {ids['target']}" in out
    assert agent_replies(ac, ids["dup"]) == agent_replies(ac, ids["target"]) == []


def test_the_customers_language_is_shown_and_an_english_reply_goes_as_written(
        ac: Aftercare, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        embedder: Embedder) -> None:
    chat = FakeChannel(ac)
    tid = str(chat.push("get me an agent please", customer="yuki").ticket_id)
    chat.push("カメラの夜間モードが動きません。助けてください。", customer="yuki")
    chat.push("안녕하세요, 상담원 연결해 주세요", customer="minji")
    ko = str(ac.handoff.list()[0].public_id)
    with TestClient(create_web_app(ac)) as client:
        sign_in(client)
        page = html.unescape(client.get(f"/console/tickets/{tid}").text)
        assert re.search(r'id="language">Japanese \(no reply templates in Japanese: the bot\'s notices reach them '
                         r'in English\)<', page), page[:3000]
        assert 'id="language">Korean<' in html.unescape(client.get(f"/console/tickets/{ko}").text)
        r = client.post(f"/console/tickets/{tid}/reply", data={"csrf": csrf_of(page), "text": TEXT},
                        follow_redirects=False)
        assert r.status_code == 303
    assert [m.text for m in chat.pop(customer="yuki") if "(support)" in m.text or TEXT in m.text][-1].endswith(TEXT)
    out = Cli(ac, monkeypatch, capsys, embedder)("tickets", "show", tid)
    assert "language: Japanese (no reply templates in Japanese" in out


def in_thread(post: dict[str, Any], text: str, *, user: str = "UDANA") -> dict[str, Any]:
    return event_callback({"type": "message", "channel": AGENTS, "user": user, "text": text,
                           "ts": f"{time.time():.6f}", "thread_ts": post["_ts"], "channel_type": "channel"})


async def test_slack_thread_reply_on_a_finished_ticket_says_why_and_reopen_and_send_sends_it_once(
        http_mode: tuple[Any, FakeSlack, Signed]) -> None:  # noqa: F811
    ac, fake, signed = http_mode
    assert (await signed.event(event_callback(dm("get me an agent please")))).status_code == 200
    post = (await fake.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
    ticket = ac.handoff.list()[0]
    await asyncio.to_thread(ac.handoff.close, ticket.public_id, "bob")

    await signed.event(in_thread(post, TEXT))
    told = (await fake.wait_for("chat.postEphemeral", lambda p: "Not sent" in p["text"]))[0]
    assert told["thread_ts"] == post["_ts"] and told["user"] == "UDANA"
    assert f"ticket {ticket.public_id} is closed" in told["text"], told["text"]
    assert f"aftercare tickets reopen {ticket.public_id}" in told["text"] and "Press Reopen and send" in told["text"]
    buttons = [e for b in told["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Reopen and send"]
    assert agent_replies(ac, ticket.public_id) == [] and not ac.handoff.get(ticket.public_id).is_open

    for _ in range(2):  # pressed twice: reopened and sent once
        r = await signed.action(block_action("UDANA", AGENTS, buttons[0]["action_id"], buttons[0]["value"]))
        assert r.status_code == 200
    await fake.wait_for("chat.postMessage", lambda p: p.get("channel") == DM and TEXT in p.get("text", ""))
    await fake.wait_for("chat.postMessage",
                        lambda p: p.get("thread_ts") == post["_ts"] and "reopened" in p.get("text", ""))
    await asyncio.sleep(1.0)
    assert agent_replies(ac, ticket.public_id) == [TEXT] and ac.handoff.get(ticket.public_id).is_open
    assert len([p for p in fake.posts(DM) if TEXT in p.get("text", "")]) == 1

    # a merged ticket's thread: pointed to the ticket it went into, no button
    assert (await signed.event(event_callback(dm("get me an agent please", user="UEVAN")))).status_code == 200
    other = (await fake.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS and not p.get("thread_ts"),
                                 count=2))[-1]
    dup = next(t for t in ac.handoff.list() if t.public_id != ticket.public_id)
    await asyncio.to_thread(lambda: ac.handoff.merge(dup.public_id, ticket.public_id, "bob", confirm=True))
    await signed.event(in_thread(other, "Hello again"))
    told = (await fake.wait_for("chat.postEphemeral", lambda p: "merged into" in p["text"]))[0]
    assert f"{dup.public_id} was merged into {ticket.public_id}" in told["text"] and not told.get("blocks")
    assert agent_replies(ac, ticket.public_id) == [TEXT]
