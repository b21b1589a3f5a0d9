"""The customer half of Slack: a DM, a mention in a channel (answered in that thread) or a reply in a
thread the bot is part of becomes an :class:`~bot.messages.IncomingMessage`; answer and rating buttons
act through :func:`bot.outbox.render.feedback`; what the outbox hands over is posted back in the
customer's DM or thread. A customer is ``user@channel`` or ``user@channel/thread_ts``."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from bot.adapters.slack.blocks import answer_blocks
from bot.adapters.slack.markup import MAX_TEXT, esc
from bot.adapters.slack.workspace import CHANNEL, Workspace, event_key
from bot.messages import IncomingMessage
from bot.outbox import Outgoing
from bot.outbox.render import feedback, render
from handoff.models import Conversation

CUSTOMER_ACTION = re.compile(r"^(fb|rate|pick):")


def customer_ref(user: str, channel: str, thread_ts: str | None = None) -> str:
    """The customer ref of a Slack user in a DM (``user@channel``) or a channel thread."""
    return f"{user}@{channel}/{thread_ts}" if thread_ts else f"{user}@{channel}"


def parse_ref(ref: str) -> tuple[str, str, str | None]:
    """(user, channel, thread_ts or None) of a Slack customer ref."""
    user, _, where = ref.partition("@")
    channel, _, thread = where.partition("/")
    return user, channel, thread or None


class Customers:
    """Customers' events in, their messages out (``ws``: the shared workspace)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    async def _say(self, event: dict[str, Any], ref: str, *, key: str = "") -> None:
        ws = self.ws
        user = str(event.get("user") or "")
        await ws.own_user()
        text = await ws.plain(str(event.get("text") or ""))
        files = [
            {"type": "file", "id": f.get("id"), "name": f.get("name"), "mimetype": f.get("mimetype")}
            for f in event.get("files") or []
        ]
        msg = IncomingMessage(
            channel=CHANNEL, customer=ref, text=text, customer_name=await ws.name(user), attachments=files,
            key=key,
        )
        out = await asyncio.to_thread(ws.ac.pipeline.handle, msg)
        ws.outbox.wake()
        if out.action in ("refused", "error"):  # nothing was recorded: answer here
            _, channel, thread = parse_ref(ref)
            for r in out.replies:
                await ws.client.chat_postMessage(channel=channel, thread_ts=thread, text=r.text)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A message outside the agents' channel: a DM, or a reply in a channel thread the bot is part of."""
        channel = str(event.get("channel") or "")
        if event.get("channel_type") == "im":
            if await self.ws.fresh(body):
                await self._say(event, customer_ref(str(event.get("user")), channel), key=event_key(body))
            return
        # a reply, without a new mention, in a channel thread the bot is part of (any channel type):
        # the customer's next words (a mention arrives as app_mention as well: handled there)
        thread = str(event.get("thread_ts") or "")
        bot = await self.ws.own_user()
        if not thread or (bot and f"<@{bot}" in str(event.get("text") or "")):
            return
        user = str(event.get("user") or "")
        if await asyncio.to_thread(self._bot_in_thread, channel, thread) and await self.ws.fresh(body):
            await self._say(event, customer_ref(user, channel, thread), key=event_key(body))

    def _bot_in_thread(self, channel: str, thread: str) -> bool:
        """Whether a customer conversation lives in this channel thread (the bot answered there)."""
        with self.ws.ac.sessions() as s:
            found = s.scalar(select(Conversation.id).where(
                Conversation.channel == CHANNEL, Conversation.customer_ref.like(f"%@{channel}/{thread}")).limit(1))
            return found is not None

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """``@app`` in a channel: the customer's words, answered in that message's thread."""
        channel = str(event.get("channel") or "")
        if channel == self.ws.settings.agents_channel or not await self.ws.fresh(body):
            return
        thread = str(event.get("thread_ts") or event.get("ts"))
        await self._say(event, customer_ref(str(event.get("user")), channel, thread), key=event_key(body))

    async def on_button(self, ack: Any, body: dict[str, Any]) -> None:
        """An answer, clarification or rating button pressed by a customer."""
        await ack()
        ws = self.ws
        action = body["actions"][0]
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        thread = (body.get("message") or {}).get("thread_ts")
        ref = customer_ref(user, channel, thread)
        text = await asyncio.to_thread(
            feedback, ws.ac, CHANNEL, ref, name=await ws.name(user),
            action=str(action.get("value") or action.get("action_id")),
        )
        ws.outbox.wake()
        if text:
            await ws.client.chat_postMessage(channel=channel, thread_ts=thread, text=text)

    async def deliver(self, out: Outgoing) -> None:
        """The outbox's customer sink: one stored message to the customer's DM or thread."""
        r = render(self.ws.ac, out.message, out.ticket)
        _, channel, thread = parse_ref(out.customer_ref)
        await self.ws.post(channel=channel, thread_ts=thread, text=esc(r.text)[:MAX_TEXT],
                           blocks=answer_blocks(r.text, r.buttons))
