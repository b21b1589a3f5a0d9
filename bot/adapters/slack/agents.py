"""The agents' half of Slack, in ``slack.agents_channel``: each escalation is posted there with Claim /
Resolve buttons and its thread is the ticket's conversation. The customer's messages (from any
channel) appear in it; an agent's reply there reaches the customer; a reply starting with the note
marker stays an internal note, one starting with the case marker sends a solved case's answer. Alerts
(SLA, critical tickets, incidents) are posted to the agents' or the response team's channel. What an
agent does goes through :mod:`bot.workflows`, as from the console and the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.adapters.slack.blocks import alert_text, button, suggestions_block, ticket_post, transcript_line
from bot.adapters.slack.markup import MAX_TEXT, esc
from bot.adapters.slack.models import AgentThread
from bot.adapters.slack.workspace import Workspace
from bot.outbox import AGENTS, Outgoing
from bot.unanswered import suggested_cases
from bot.workflows import after_marker, not_sent_reason, reply_with_case, resolve_ticket
from handoff.errors import HandoffError, TicketNotOpen
from handoff.views import AlertView, MessageView, SentReply, TicketView
from kb.errors import KBError

log = logging.getLogger("bot.adapters.slack")
THREAD_WAIT_ROUNDS = 30  # 3 s
REOPEN_SEND, REOPEN = "reopen_send", "reopen"  # the buttons under a reply a ticket no longer open refused
MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value (characters)


@dataclass(frozen=True)
class Press:
    """A Claim or Resolve press by a mapped agent: Slack user id, ticket ref, channel, agent's name, the
    pressed message's ts."""

    user: str
    ref: str
    channel: str
    agent: str
    thread_ts: str | None


class Agents:
    """Agents' thread replies and button presses in, ticket posts and alerts out."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # -- in ---------------------------------------------------------------------------------------

    def _thread(self, channel: str, ts: str) -> AgentThread | None:
        with self.ws.ac.sessions() as s:
            return s.scalar(select(AgentThread).where(AgentThread.channel == channel, AgentThread.ts == ts))

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A message in the agents' channel: in a ticket's thread, the agent's reply, note or case."""
        if not event.get("thread_ts") or not await self.ws.fresh(body):
            return
        ws = self.ws
        channel, ts = str(event["channel"]), str(event["thread_ts"])
        thread = await asyncio.to_thread(self._thread, channel, ts)
        # An agent can answer the moment the ticket is posted, before the outbox has recorded which ticket
        # the new thread belongs to: wait a little for that record rather than lose the reply.
        for _ in range(THREAD_WAIT_ROUNDS):
            if thread is not None:
                break
            await asyncio.sleep(0.1)
            thread = await asyncio.to_thread(self._thread, channel, ts)
        if thread is None:
            log.info("slack message in thread %s of %s: not a ticket's thread, ignored", ts, channel)
            return
        agent = await ws.name(str(event.get("user")))
        text = await ws.plain(str(event.get("text") or ""))
        marker = ws.settings.note_marker
        # the reply's idempotency key: its Slack message (a Reopen and send press under it sends it once)
        key = f"slack-agent:{channel}:{event.get('ts')}" if event.get("ts") else ""
        try:
            note = after_marker(text, marker)
            if note is not None:
                m = await asyncio.to_thread(ws.ac.handoff.note, thread.ticket_id, agent, note)
                from_case = False
            else:
                m, from_case = await asyncio.to_thread(self._send, thread.ticket_id, agent, text, key=key)
        except TicketNotOpen as e:
            await self._not_sent(thread, str(event.get("user")), e, text, key)
            return
        except (HandoffError, KBError) as e:
            await ws.client.chat_postEphemeral(
                channel=thread.channel, user=str(event.get("user")), thread_ts=thread.ts, text=f"Not sent: {e}"
            )
            return
        await self._sent(thread, agent, m, from_case)

    def _send(self, ticket_id: int, agent: str, text: str, *, key: str = "",
              reopen: bool = False) -> tuple[SentReply, bool]:
        """The agent's thread message as a reply: a case's answer after the case marker, else the text;
        returns (the reply, whether it carried a case's answer). TicketNotOpen as
        :meth:`handoff.tickets.Tickets.reply` raises it (``reopen``: reopen the ticket first)."""
        after = after_marker(text, self.ws.settings.case_marker)  # "!CASE id" too: letter case is ignored
        if after is not None:
            return self._reply_with_case(ticket_id, agent, after, key=key, reopen=reopen), True
        return self.ws.ac.handoff.reply(ticket_id, agent, text, key=key, reopen=reopen), False

    async def _sent(self, thread: AgentThread, agent: str, m: MessageView, from_case: bool) -> None:
        """After a thread reply went out: the thread is told when it reopened the ticket; the agent's own
        words are in the thread already, a case's answer is not (the outbox posts it)."""
        ws = self.ws
        reopened = m.reopened_from if isinstance(m, SentReply) else ""
        if reopened:
            ref = await asyncio.to_thread(lambda: ws.ac.handoff.get(thread.ticket_id).public_id)
            await ws.client.chat_postMessage(
                channel=thread.channel, thread_ts=thread.ts,
                text=f"{esc(agent)} reopened {ref} (it was {reopened}) and the reply went to the customer.")
        if not from_case:
            await asyncio.to_thread(ws.outbox.skip, m.id, AGENTS, key=f"t{thread.ticket_id}")
        ws.outbox.wake()

    async def _not_sent(self, thread: AgentThread, user: str, e: TicketNotOpen, text: str, key: str) -> None:
        """Tell the agent, in the ticket's thread, why their reply was not sent and how to send it: the
        Reopen and send button (carrying the text, when it fits in a button), or the ticket a merged one
        went into."""
        reason = not_sent_reason(self.ws.ac, e)
        value = json.dumps({"ref": e.ticket, "text": text, "key": key}, ensure_ascii=False)
        blocks: list[dict[str, Any]] | None = None
        if e.merged_into:
            said = f"{reason} Reply in {e.merged_into}'s thread."
        elif len(value) <= MAX_BUTTON_VALUE:
            said = (f"{reason} Press Reopen and send, or reopen it with `aftercare tickets reopen {e.ticket}` "
                    "(or the console's Reopen) and send it again.")
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": esc(said)}},
                      {"type": "actions", "elements": [button("Reopen and send", REOPEN_SEND, value,
                                                              style="primary")]}]
        else:
            said = (f"{reason} Press Reopen, or reopen it with `aftercare tickets reopen {e.ticket}`, then send "
                    "it again.")
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": esc(said)}},
                      {"type": "actions", "elements": [button("Reopen", REOPEN, e.ticket)]}]
        await self.ws.client.chat_postEphemeral(channel=thread.channel, user=user, thread_ts=thread.ts,
                                                text=esc(said)[:MAX_TEXT], blocks=blocks)

    async def on_reopen_send(self, ack: Any, body: dict[str, Any]) -> None:
        """Reopen and send (under a refused thread reply): the ticket reopens and the reply goes out once,
        however often it is pressed; the thread is told."""
        p = await self._press(ack, body)
        if p is None:
            return
        try:
            data = json.loads(p.ref)
            ref, text, key = str(data["ref"]), str(data["text"]), str(data.get("key") or "")
        except (ValueError, KeyError, TypeError):
            log.warning("slack: a Reopen and send press without its reply: ignored")
            return
        client = self.ws.client
        try:
            ticket = await asyncio.to_thread(self.ws.ac.handoff.get, ref)
            m, from_case = await asyncio.to_thread(self._send, ticket.id, p.agent, text, key=key, reopen=True)
        except TicketNotOpen as e:
            await client.chat_postEphemeral(channel=p.channel, user=p.user, text=not_sent_reason(self.ws.ac, e))
            return
        except (HandoffError, KBError) as e:
            await client.chat_postEphemeral(channel=p.channel, user=p.user, text=f"{ref}: Not sent: {e}")
            return
        thread = await asyncio.to_thread(self._get_thread, ticket.id)
        if thread is not None:
            await self._sent(thread, p.agent, m, from_case)
        else:
            self.ws.outbox.wake()

    async def on_reopen(self, ack: Any, body: dict[str, Any]) -> None:
        """Reopen (under a refused reply too long for a button): the ticket reopens; the thread is told."""
        p = await self._press(ack, body)
        if p is None:
            return
        try:
            t = await asyncio.to_thread(self.ws.ac.handoff.reopen, p.ref, p.agent)
        except HandoffError as e:
            await self.ws.client.chat_postEphemeral(channel=p.channel, user=p.user, text=f"{p.ref}: {e}")
            return
        thread = await asyncio.to_thread(self._get_thread, t.id)
        if thread is not None:
            await self.ws.client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts,
                                                  text=f"{esc(p.agent)} reopened {t.public_id}.")

    def _reply_with_case(self, ticket_id: int, agent: str, rest: str, *, key: str = "",
                         reopen: bool = False) -> SentReply:
        """``<case id> [words]``: the words, then the case's answer, as the agent's reply."""
        ref, _, words = rest.partition(" ")
        return reply_with_case(self.ws.ac, ticket_id, agent, ref.strip("`*_<>"), words, key=key, reopen=reopen)

    async def _press(self, ack: Any, body: dict[str, Any]) -> Press | None:
        """Acknowledge a Claim / Resolve press; the press when a mapped agent (``slack.agent_users``; empty:
        whoever is in that channel) made it in the agents' channel, else None after telling the presser."""
        await ack()
        ws = self.ws
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        allowed = ws.settings.agent_users
        if not (channel and channel == ws.settings.agents_channel and (not allowed or user in allowed)):
            log.warning("slack: %s pressed %s in %s but is not a mapped agent there: ignored", user,
                        (body.get("actions") or [{}])[0].get("action_id"), channel)
            if channel and user:
                await ws.client.chat_postEphemeral(channel=channel, user=user,
                                                   text="Only the support team's agents can do this.")
            return None
        return Press(user=user, ref=str(body["actions"][0].get("value")), channel=channel,
                     agent=await ws.name(user), thread_ts=(body.get("message") or {}).get("ts"))

    async def on_claim(self, ack: Any, body: dict[str, Any]) -> None:
        """Claim: the ticket is the presser's unless someone was first (told who)."""
        p = await self._press(ack, body)
        if p is None:
            return
        client = self.ws.client
        try:
            res = await asyncio.to_thread(self.ws.ac.handoff.claim, p.ref, p.agent)
        except HandoffError as e:
            await client.chat_postEphemeral(channel=p.channel, user=p.user, text=f"{p.ref}: {e}")
            return
        if res.won:
            await client.chat_postMessage(channel=p.channel, thread_ts=p.thread_ts,
                                          text=f"{esc(p.agent)} has taken {p.ref}.")
        else:
            await client.chat_postEphemeral(channel=p.channel, user=p.user, thread_ts=p.thread_ts,
                                            text=f"{p.ref} is already claimed by {esc(res.owner)}.")

    async def on_resolve(self, ack: Any, body: dict[str, Any]) -> None:
        """Resolve with the agent's last reply as the resolution: the customer's notice and CSAT question,
        a draft case for the editors (the presser is told its id)."""
        p = await self._press(ack, body)
        if p is None:
            return
        try:
            _, case = await asyncio.to_thread(resolve_ticket, self.ws.ac, p.ref, p.agent)
        except HandoffError as e:
            await self.ws.client.chat_postEphemeral(channel=p.channel, user=p.user, text=f"{p.ref}: {e}")
            return
        if case is not None:
            await self.ws.client.chat_postEphemeral(
                channel=p.channel, user=p.user, text=f"{p.ref} resolved; draft case {case.id} is waiting for review."
            )
        self.ws.outbox.wake()

    # -- out (the outbox calls these) -------------------------------------------------------------

    def _post_content(self, ticket: TicketView, upto: int) -> tuple[str, list[dict[str, Any]]]:
        ac, settings = self.ws.ac, self.ws.settings
        transcript = ac.handoff.transcript(ticket.id)  # type: ignore[attr-defined]
        lines = [transcript_line(m, ticket) for m in transcript if m.id <= upto][-settings.transcript_lines :]
        said = [m.text for m in transcript if m.author == "customer"]
        found = suggested_cases(ac, ticket.subject, said, min_score=ac.config.console.suggest_min_score,
                                language=ticket.language or "")
        return ticket_post(ticket, lines, suggestions_block(found), note_marker=settings.note_marker,
                           case_marker=settings.case_marker, said=said)

    def _save_thread(self, ticket_id: int, channel: str, ts: str, upto: int) -> None:
        with self.ws.ac.sessions() as s:
            s.add(AgentThread(ticket_id=ticket_id, channel=channel, ts=ts, through_message_id=upto,
                              created_at=self.ws.ac.clock()))
            s.commit()

    def _get_thread(self, ticket_id: int) -> AgentThread | None:
        with self.ws.ac.sessions() as s:
            return s.get(AgentThread, ticket_id)

    async def deliver(self, out: Outgoing) -> None:
        """The outbox's agents sink: a ticket's first message opens its post, later ones go in its thread."""
        ticket = out.ticket
        if ticket is None:
            return
        channel = self.ws.settings.agents_channel
        thread = await asyncio.to_thread(self._get_thread, ticket.id)
        if thread is None:
            title, blocks = await asyncio.to_thread(self._post_content, ticket, out.message.id)
            data = await self.ws.post(channel=channel, text=title, blocks=blocks)
            await asyncio.to_thread(self._save_thread, ticket.id, str(data.get("channel") or channel),
                                    str(data["ts"]), out.message.id)
            return
        if out.message.id <= thread.through_message_id or out.message.author == "bot":
            return  # already shown in the escalation post
        await self.ws.post(channel=thread.channel, thread_ts=thread.ts,
                           text=transcript_line(out.message, ticket)[:MAX_TEXT])

    def alert_channel(self, alert: AlertView) -> str:
        """The response team's alerts go to ``slack.response_channel`` when one is set."""
        response = self.ws.settings.response_channel
        if response and alert.team and alert.team == self.ws.ac.config.assignment.response_team:
            return response
        return self.ws.settings.agents_channel

    async def deliver_alert(self, alert: AlertView) -> None:
        """An SLA warning or breach, critical ticket or incident, posted once (the outbox keeps it)."""
        await self.ws.post(channel=self.alert_channel(alert), text=alert_text(alert)[:MAX_TEXT])
