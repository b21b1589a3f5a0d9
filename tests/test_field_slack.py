"""Field cases met in Slack, through the real Bolt app with signed events against a local Web API:
a customer's thread reply without a mention reaches the ticket, and Slack's escaped markup is
decoded once on the way in and escaped once on the way out."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.fakes.common import eventually
from tests.fakes.slack_api import FakeSlack, event_callback
from tests.test_slack import AGENTS, DM, Signed, dm, http_mode, slack  # noqa: F401 - fixtures

CRASH = "the app crashes every time I upload a photo"


def mention(channel: str, text: str, ts: str) -> dict[str, Any]:
    return {"type": "app_mention", "channel": channel, "user": "UCUST", "ts": ts, "event_ts": ts,
            "text": f"<@UBOT0001> {text}"}


def thread_message(channel: str, channel_type: str, text: str, thread_ts: str, *, user: str = "UCUST") -> dict:
    ts = f"{time.time():.6f}"
    return {"type": "message", "channel": channel, "channel_type": channel_type, "user": user, "text": text,
            "ts": ts, "event_ts": ts, "thread_ts": thread_ts}


@pytest.mark.parametrize("channel,channel_type", [("CGENERAL", "channel"), ("GPRIVATE", "group"),
                                                  ("MGROUPDM", "mpim")])
async def test_a_thread_reply_without_a_mention_reaches_the_ticket_and_the_agents(
    http_mode: tuple[Any, FakeSlack, Signed], channel: str, channel_type: str,  # noqa: F811
) -> None:
    ac, api, signed = http_mode
    ts = "1700000000.000100"
    assert (await signed.event(event_callback(mention(channel, CRASH, ts)))).status_code == 200
    await api.wait_for("chat.postMessage", lambda p: p.get("channel") == channel and "AC-" in p["text"])
    ticket = ac.handoff.list()[0]
    post = (await api.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
    ac.handoff.reply(ticket.public_id, "Dana", "Which phone do you use?")
    await api.wait_for("chat.postMessage", lambda p: p.get("channel") == channel and "Which phone" in p["text"])

    # the customer answers in the thread, no mention: the ticket and the agents' thread get it
    r = await signed.event(event_callback(thread_message(channel, channel_type, "An iPhone 12", ts)))
    assert r.status_code == 200
    await api.wait_for("chat.postMessage",
                         lambda p: p.get("thread_ts") == post["_ts"] and "iPhone 12" in p["text"])
    said = [m.text for m in ac.handoff.transcript(ticket.public_id) if m.author == "customer"]
    assert said == [CRASH, "An iPhone 12"]

    # a mention inside the thread comes as app_mention and as message: recorded once
    again = thread_message(channel, channel_type, "<@UBOT0001> still crashing on 4.2", ts)
    await signed.event(event_callback(again))
    await signed.event(event_callback({**again, "type": "app_mention"}))
    await api.wait_for("chat.postMessage",
                         lambda p: p.get("thread_ts") == post["_ts"] and "still crashing" in p["text"])
    said = await eventually(lambda: [m.text for m in ac.handoff.transcript(ticket.public_id)
                                     if m.author == "customer"][2:] or None)
    assert said == ["still crashing on 4.2"]

    # a thread the bot is not part of stays private
    await signed.event(event_callback(thread_message(channel, channel_type, "lunch?", "1700000999.000100")))
    await signed.event(event_callback(dm("how do I reset my password?")))  # something to wait on
    await api.wait_for("chat.postMessage", lambda p: p.get("channel") == DM)
    assert not [m for m in ac.handoff.transcript(ticket.public_id) if m.text == "lunch?"]
    assert ac.handoff.customer_messages("slack", f"UCUST@{channel}/1700000999.000100") == []


async def test_slack_markup_is_decoded_once_in_and_escaped_once_out(
    http_mode: tuple[Any, FakeSlack, Signed],  # noqa: F811
) -> None:
    ac, api, signed = http_mode
    sent = ("R&amp;D: <https://status.example.com/a?b=1&amp;c=2|our portal> shows &lt;error 500&gt; "
            "for <@UDANA> in <#C0GEN|general>, <!here> &amp;&amp; <mailto:ops@example.com|ops@example.com>; "
            "the app crashes every time I upload")
    plain = ("R&D: our portal (https://status.example.com/a?b=1&c=2) shows <error 500> for @Dana in #general, "
             "@here && ops@example.com; the app crashes every time I upload")
    await signed.event(event_callback(dm(sent)))
    post = (await api.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
    ticket = ac.handoff.list()[0]
    assert [m.text for m in ac.handoff.transcript(ticket.public_id) if m.author == "customer"] == [plain]
    assert ticket.subject == plain
    shown = " ".join(str(b) for b in post["blocks"])
    assert "R&amp;D" in shown and "&lt;error 500&gt;" in shown and "&amp;amp;" not in shown

    # an agent's Slack-escaped reply reaches the customer as the agent wrote it, escaped once for Slack
    reply = thread_message(AGENTS, "channel", "Open &lt;Settings&gt; &amp; pick <https://ex.com/u|Update>",
                           post["_ts"], user="UDANA")
    await signed.event(event_callback(reply))
    told = (await api.wait_for("chat.postMessage",
                                 lambda p: p.get("channel") == DM and "(support)" in p["text"]))[0]
    stored = [m.text for m in ac.handoff.transcript(ticket.public_id) if m.author == "agent"]
    assert stored == ["Open <Settings> & pick Update (https://ex.com/u)"]
    assert "Open &lt;Settings&gt; &amp; pick" in told["text"] and "&amp;amp;" not in told["text"]


async def test_an_agents_thread_command_is_read_whatever_its_letter_case(
    http_mode: tuple[Any, FakeSlack, Signed],  # noqa: F811
) -> None:
    """"!CASE id" and "!Case id" in the agents' thread send the case's answer as "!case id" does, never the
    literal command."""
    ac, api, signed = http_mode
    assert (await signed.event(event_callback(dm(CRASH, user="UCASE")))).status_code == 200
    post = (await api.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS))[0]
    ticket = ac.handoff.list()[0]

    def in_thread(text: str) -> dict[str, Any]:
        return event_callback({"type": "message", "channel": AGENTS, "user": "UDANA", "text": text,
                               "ts": f"{time.time():.6f}", "thread_ts": post["_ts"], "channel_type": "channel"})

    for n, command in enumerate(("!CASE", "!Case")):
        await signed.event(in_thread(f"{command} `night-vision` Try this ({n}):"))
        said = f"Try this ({n}):"
        sent = (await api.wait_for("chat.postMessage",
                                   lambda p, said=said: p.get("channel") == DM and said in p.get("text", "")))[0]
        assert "infrared night vision" in sent["text"] and command not in sent["text"], sent["text"]
    said = [m.text for m in ac.handoff.transcript(ticket.public_id) if m.author == "agent"]
    assert len(said) == 2 and not any("!c" in t.lower() for t in said), said
