"""Slack channel (slack-bolt AsyncApp): customers and agents.

Customers write to the app in a DM or mention it in a channel (answered in that thread). Agents
work in ``slack.agents_channel``: each escalation is posted there with Claim / Resolve buttons and
its thread is the ticket's conversation: the customer's messages (from any channel) appear in
it, an agent's reply there reaches the customer, a reply starting with the note marker stays an
internal note. Events come over Socket Mode (SLACK_APP_TOKEN) or the HTTP Events API at
/slack/events (SLACK_SIGNING_SECRET: signature and timestamp checked by Bolt). Bolt acknowledges
first and runs the listeners after; retries of one event are dropped by event id.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app import Aftercare
from bot.channels.customer import feedback, render
from bot.config import SlackSettings
from bot.db import insert_once
from bot.inbox import Inbox, Stored
from bot.jsonbody import BadBody, parse_json
from bot.messages import IncomingMessage
from bot.outbox import AGENTS, DeliveryFailed, Outbox, Outgoing
from bot.outbox_models import AgentThread, SeenEvent
from bot.workflows import reply_with_case, resolve_ticket
from classifier.language import language_name
from handoff.errors import HandoffError
from handoff.models import Conversation
from handoff.views import AlertView, MessageView, TicketView
from kb.errors import KBError
from kb.service import CaseView

log = logging.getLogger(__name__)
THREAD_WAIT_ROUNDS = 30  # 3 s
CHANNEL = "slack"
# Slack's markup in message text: <@U…|name> users, <#C…|name> channels, <!here> and <!subteam^S…|@team>
# specials, <url|label> links; &, < and > arrive as entities
MARKUP = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")
CUSTOMER_ACTION = re.compile(r"^(fb|rate|pick):")
MAX_TEXT = 3900  # Slack truncates a message's text after 40 000 characters; blocks take 3000 per section


def esc(text: str) -> str:
    """Slack mrkdwn escaping: the three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FROM_STORE: ContextVar[bool] = ContextVar("slack_from_store", default=False)


def _key(body: dict[str, Any]) -> str:
    """The pipeline's idempotency key of an event: its event_id."""
    event_id = str(body.get("event_id") or "")
    return f"slack:{event_id}" if event_id else ""


def slack_to_plain(text: str, names: dict[str, str] | None = None, *, drop: str = "") -> str:
    """Slack's message markup as the plain text a person meant, decoded once on the way in:
    ``&amp;`` ``&lt;`` ``&gt;`` back to ``& < >``, ``<@U1>`` to ``@Name`` (``names``: user id ->
    display name; the user ``drop``, the bot itself, is left out), ``<#C1|general>`` to ``#general``,
    ``<!here>`` to ``@here``, ``<https://x|label>`` to ``label (https://x)``, ``<mailto:a@b|a@b>`` to
    ``a@b``. Each outbound platform escapes the result its own way (``esc`` for Slack)."""
    names = names or {}

    def one(m: re.Match[str]) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            if target == drop:
                return ""
            return "@" + (label or names.get(target) or target)
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            if label:
                return label
            return "@" + target.split("^", 1)[0]
        url = _entities(target)
        if label is None:
            return url.removeprefix("mailto:")
        label = _entities(label)
        if label == url or "mailto:" + label == url or label in (url.split("://", 1)[-1], url.rstrip("/")):
            return label
        return f"{label} ({url})"

    return _entities(MARKUP.sub(one, text)).strip()


def _entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned_users(text: str) -> list[str]:
    """User ids mentioned with ``<@U…>`` in Slack text."""
    return [m.group(2) for m in MARKUP.finditer(text) if m.group(1) == "@" and not m.group(3)]


def customer_ref(user: str, channel: str, thread_ts: str | None = None) -> str:
    return f"{user}@{channel}/{thread_ts}" if thread_ts else f"{user}@{channel}"


def parse_ref(ref: str) -> tuple[str, str, str | None]:
    """(user, channel, thread_ts or None) of a Slack customer ref."""
    user, _, where = ref.partition("@")
    channel, _, thread = where.partition("/")
    return user, channel, thread or None


class SlackChannel:
    """A background service: the Bolt app (Socket Mode or HTTP) and the outbox sinks of Slack."""

    name = "slack"
    channel = CHANNEL

    def __init__(
        self,
        ac: Aftercare,
        outbox: Outbox,
        *,
        bot_token: str,
        settings: SlackSettings,
        signing_secret: str = "",
        app_token: str = "",
    ) -> None:
        self.ac = ac
        self.outbox = outbox
        self.settings = settings
        self.app_token = app_token
        mode = settings.mode
        if mode == "auto":
            mode = "socket" if app_token else "http"
        if mode == "http" and not signing_secret:
            raise ValueError(
                "the Slack HTTP Events API needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"
            )
        if mode == "socket" and not app_token:
            raise ValueError("Slack Socket Mode needs SLACK_APP_TOKEN")
        self.mode = mode
        self.client = AsyncWebClient(token=bot_token, base_url=settings.api_url)
        # signatures are checked in handle_http, before the raw event is stored; what is processed from the
        # store (maybe minutes later, after a restart) is not checked again. Listeners finish before
        # async_dispatch returns, so the inbox knows when an event is done.
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.app = AsyncApp(client=self.client, signing_secret=signing_secret, request_verification_enabled=False,
                            process_before_response=True)
        self.inbox = Inbox(ac.sessions, CHANNEL, self._process_stored, clock=ac.handoff.now,
                           lease_s=ac.config.web.inbox_lease_s)
        self._socket: AsyncSocketModeHandler | None = None
        self._names: dict[str, str] = {}
        self.bot_user = ""  # the app's own user id (auth.test), asked once
        self.app.event("message")(self._on_message)
        self.app.event("app_mention")(self._on_mention)
        self.app.action("claim")(self._on_claim)
        self.app.action("resolve")(self._on_resolve)
        self.app.action(CUSTOMER_ACTION)(self._on_customer_button)
        outbox.add_customer_channel(CHANNEL, self.deliver_customer)
        if settings.agents_channel:
            outbox.set_agents_sink(self.deliver_agents)
            outbox.set_alerts_sink(self.deliver_alert)

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.mode == "http":
            self.inbox.start()  # finishes what an earlier run stored and acknowledged
        if self.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
        log.info("slack up (%s mode)", self.mode)

    async def stop(self) -> None:
        await self.inbox.stop()
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    def http_routes(self) -> list[tuple[str, Callable[[Request], Awaitable[Response]]]]:
        return [("/slack/events", self.handle_http)] if self.mode == "http" else []

    async def handle_http(self, request: Request) -> Response:
        """HTTP Events API. The signature and timestamp are checked over the exact body; an event or a
        button press is then stored raw (once per event_id / trigger_id: Slack's retries and replays are
        stored once) BEFORE the 200, and processed from the store, so a restart finishes it. Other
        requests (url_verification) go to Bolt at once. Bad input gets 4xx with the reason."""
        raw = await request.body()
        if self.verifier is None:
            return JSONResponse({"error": "Slack events are not accepted over HTTP here"}, status_code=404)
        ts = request.headers.get("X-Slack-Request-Timestamp", "")
        if not ts.isascii() or not ts.isdigit() or len(ts) > 12:
            return JSONResponse({"error": "X-Slack-Request-Timestamp must be a whole number of seconds"},
                                status_code=400)
        if not self.verifier.is_valid(body=raw, timestamp=ts,
                                      signature=request.headers.get("X-Slack-Signature", "")):
            return JSONResponse({"error": "invalid or stale Slack signature"}, status_code=401)
        content_type = request.headers.get("content-type", "")
        try:
            text = raw.decode("utf-8")
            if content_type.startswith("application/x-www-form-urlencoded"):
                payload = parse_qs(text).get("payload", [""])[0]
                data = parse_json(payload.encode("utf-8")) if payload else None
            else:
                data = parse_json(raw)
        except (BadBody, UnicodeError) as e:
            return JSONResponse({"error": f"not a Slack request: {e}"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"error": "not a Slack request: a JSON object is expected"}, status_code=400)
        key = ""
        if data.get("type") == "event_callback":
            key = str(data.get("event_id") or "")
        elif data.get("type") == "block_actions":
            key = f"action:{data.get('trigger_id') or ''}"
        if key and len(key) > len("action:"):
            await asyncio.to_thread(self.inbox.store, key, text, content_type=content_type or "application/json")
            self.inbox.wake()
            return Response(status_code=200)
        resp = await self.app.async_dispatch(AsyncBoltRequest(
            body=text, query=dict(request.query_params), headers={k: v for k, v in request.headers.items()}))
        return Response(
            status_code=resp.status, content=resp.body, headers=resp.first_headers_without_set_cookie()
        )

    async def _process_stored(self, row: Stored) -> None:
        """One stored event or press through Bolt's listeners; raises (the inbox retries) when one failed."""
        token = FROM_STORE.set(True)
        try:
            request = AsyncBoltRequest(body=row.body, headers={"content-type": row.content_type})
            resp = await self.app.async_dispatch(request)
        finally:
            FROM_STORE.reset(token)
        if resp.status >= 500:
            raise RuntimeError(f"slack listener failed ({resp.status}): {resp.body[:200]}")

    # -- helpers ----------------------------------------------------------------------------------

    def _first_time(self, event_id: str) -> bool:
        if not event_id:
            return True
        return insert_once(self.ac.sessions, SeenEvent(event_id=event_id, at=self.ac.handoff.now()))

    async def _fresh(self, body: dict[str, Any]) -> bool:
        if FROM_STORE.get():  # the inbox stored it once; processing it again after a crash must not drop it
            return True
        fresh = await asyncio.to_thread(self._first_time, str(body.get("event_id") or ""))
        if not fresh:
            log.info("slack event %s seen before: dropped", body.get("event_id"))
        return fresh

    async def _name(self, user: str) -> str:
        if user not in self._names:
            try:
                info = await self.client.users_info(user=user)
                u = info.get("user") or {}
                profile = u.get("profile") or {}
                self._names[user] = profile.get("display_name") or u.get("real_name") or u.get("name") or user
            except SlackApiError:
                return user
        return self._names[user]

    def _thread(self, channel: str, ts: str) -> AgentThread | None:
        with self.ac.sessions() as s:
            return s.scalar(select(AgentThread).where(AgentThread.channel == channel, AgentThread.ts == ts))

    # -- customers --------------------------------------------------------------------------------

    async def _plain(self, text: str) -> str:
        """``text`` from Slack as plain text (``slack_to_plain``), mentioned users by their names."""
        names = {u: await self._name(u) for u in mentioned_users(text) if u != self.bot_user}
        return slack_to_plain(text, names, drop=self.bot_user)

    async def _bot_user(self) -> str:
        if not self.bot_user:
            try:
                self.bot_user = str((await self.client.auth_test()).get("user_id") or "")
            except SlackApiError:
                log.warning("slack auth.test failed: the bot's own mentions are not recognised")
        return self.bot_user

    async def _customer(self, event: dict[str, Any], ref: str, *, key: str = "") -> None:
        user = str(event.get("user") or "")
        await self._bot_user()
        text = await self._plain(str(event.get("text") or ""))
        files = [
            {"type": "file", "id": f.get("id"), "name": f.get("name"), "mimetype": f.get("mimetype")}
            for f in event.get("files") or []
        ]
        msg = IncomingMessage(
            channel=CHANNEL, customer=ref, text=text, customer_name=await self._name(user), attachments=files,
            key=key,
        )
        out = await asyncio.to_thread(self.ac.pipeline.handle, msg)
        self.outbox.wake()
        if out.action in ("refused", "error"):  # nothing was recorded: answer here
            _, channel, thread = parse_ref(ref)
            for r in out.replies:
                await self.client.chat_postMessage(channel=channel, thread_ts=thread, text=r.text)

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return
        channel = str(event.get("channel") or "")
        if self.settings.agents_channel and channel == self.settings.agents_channel:
            if event.get("thread_ts") and await self._fresh(body):
                await self._agent_message(event)
            return
        if event.get("channel_type") == "im":
            if await self._fresh(body):
                await self._customer(event, customer_ref(str(event.get("user")), channel), key=_key(body))
            return
        # a reply, without a new mention, in a channel thread the bot is part of (any channel type):
        # the customer's next words (a mention arrives as app_mention as well: handled there)
        thread = str(event.get("thread_ts") or "")
        bot = await self._bot_user()
        if not thread or (bot and f"<@{bot}" in str(event.get("text") or "")):
            return
        user = str(event.get("user") or "")
        if await asyncio.to_thread(self._bot_in_thread, channel, thread) and await self._fresh(body):
            await self._customer(event, customer_ref(user, channel, thread), key=_key(body))

    def _bot_in_thread(self, channel: str, thread: str) -> bool:
        """Whether a customer conversation lives in this channel thread (the bot answered there)."""
        with self.ac.sessions() as s:
            found = s.scalar(select(Conversation.id).where(
                Conversation.channel == CHANNEL, Conversation.customer_ref.like(f"%@{channel}/{thread}")).limit(1))
            return found is not None

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        channel = str(event.get("channel") or "")
        if channel == self.settings.agents_channel or not await self._fresh(body):
            return
        thread = str(event.get("thread_ts") or event.get("ts"))
        await self._customer(event, customer_ref(str(event.get("user")), channel, thread), key=_key(body))

    async def _on_customer_button(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        thread = (body.get("message") or {}).get("thread_ts")
        ref = customer_ref(user, channel, thread)
        text = await asyncio.to_thread(
            feedback,
            self.ac,
            CHANNEL,
            ref,
            name=await self._name(user),
            action=str(action.get("value") or action.get("action_id")),
        )
        self.outbox.wake()
        if text:
            await self.client.chat_postMessage(channel=channel, thread_ts=thread, text=text)

    # -- agents -----------------------------------------------------------------------------------

    async def _agent_message(self, event: dict[str, Any]) -> None:
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
        agent = await self._name(str(event.get("user")))
        text = await self._plain(str(event.get("text") or ""))
        marker, case_marker = self.settings.note_marker, self.settings.case_marker
        from_case = bool(case_marker) and text.startswith(case_marker)
        try:
            if marker and text.startswith(marker):
                m = await asyncio.to_thread(
                    self.ac.handoff.note, thread.ticket_id, agent, text[len(marker) :].strip()
                )
            elif from_case:
                m = await asyncio.to_thread(self._reply_with_case, thread.ticket_id, agent,
                                            text[len(case_marker) :].strip())
            else:
                m = await asyncio.to_thread(self.ac.handoff.reply, thread.ticket_id, agent, text)
        except (HandoffError, KBError) as e:
            await self.client.chat_postEphemeral(
                channel=thread.channel,
                user=str(event.get("user")),
                thread_ts=thread.ts,
                text=f"Not sent: {e}",
            )
            return
        if not from_case:  # the agent's own words are in the thread already; a case's answer is not: post it
            await asyncio.to_thread(self.outbox.skip, m.id, AGENTS, key=f"t{thread.ticket_id}")
        self.outbox.wake()

    def _reply_with_case(self, ticket_id: int, agent: str, rest: str) -> MessageView:
        """``<case id> [words]``: the words, then the case's answer, as the agent's reply."""
        ref, _, words = rest.partition(" ")
        return reply_with_case(self.ac, ticket_id, agent, ref.strip("`*_<>"), words)

    async def _agent_press(self, body: dict[str, Any]) -> bool:
        """Claim and Resolve act only when pressed in the agents' channel by a mapped agent
        (``slack.agent_users``; empty: whoever is in that channel); anyone else is told so and nothing changes."""
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        allowed = self.settings.agent_users
        if channel and channel == self.settings.agents_channel and (not allowed or user in allowed):
            return True
        log.warning("slack: %s pressed %s in %s but is not a mapped agent there: ignored", user,
                    (body.get("actions") or [{}])[0].get("action_id"), channel)
        if channel and user:
            await self.client.chat_postEphemeral(channel=channel, user=user,
                                                 text="Only the support team's agents can do this.")
        return False

    async def _on_claim(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if not await self._agent_press(body):
            return
        user = body["user"]["id"]
        ref = str(body["actions"][0].get("value"))
        channel = body["channel"]["id"]
        agent = await self._name(user)
        thread_ts = (body.get("message") or {}).get("ts")
        try:
            res = await asyncio.to_thread(self.ac.handoff.claim, ref, agent)
        except HandoffError as e:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=f"{ref}: {e}")
            return
        if res.won:
            await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=f"{esc(agent)} has taken {ref}."
            )
        else:
            await self.client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread_ts,
                text=f"{ref} is already claimed by {esc(res.owner)}.",
            )

    async def _on_resolve(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        if not await self._agent_press(body):
            return
        user = body["user"]["id"]
        ref = str(body["actions"][0].get("value"))
        channel = body["channel"]["id"]
        agent = await self._name(user)

        def resolve() -> tuple[TicketView, CaseView | None]:
            said = [m.text for m in self.ac.handoff.transcript(ref) if m.author == "agent"]  # type: ignore[attr-defined]
            resolution = said[-1] if said else f"resolved by {agent}"
            return resolve_ticket(self.ac, ref, agent, resolution)  # notice, CSAT question, draft case

        try:
            _, case = await asyncio.to_thread(resolve)
        except HandoffError as e:
            await self.client.chat_postEphemeral(channel=channel, user=user, text=f"{ref}: {e}")
            return
        if case is not None:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=f"{ref} resolved; draft case {case.id} is waiting for review."
            )
        self.outbox.wake()

    # -- outgoing (the outbox calls these) --------------------------------------------------------

    @staticmethod
    def _blocks(text: str, buttons: list[tuple[str, str]]) -> list[dict[str, Any]] | None:
        if not buttons:
            return None
        return [
            {"type": "section", "text": {"type": "mrkdwn", "text": esc(text)[:3000]}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": label},
                        "action_id": action,
                        "value": action,
                    }
                    for label, action in buttons
                ],
            },
        ]

    async def _post(self, **kwargs: Any) -> dict[str, Any]:
        try:
            resp = await self.client.chat_postMessage(**kwargs)
        except SlackApiError as e:
            status = e.response.status_code
            if status == 429:
                retry = e.response.headers.get("Retry-After") or e.response.headers.get("retry-after") or "1"
                raise DeliveryFailed("slack rate limited", retry_after=float(retry)) from e
            error = (e.response.data or {}).get("error", "") if isinstance(e.response.data, dict) else ""
            if status < 500 and error in (
                "channel_not_found",
                "not_in_channel",
                "is_archived",
                "invalid_auth",
                "account_inactive",
                "msg_too_long",
            ):
                raise DeliveryFailed(f"slack refused: {error}", permanent=True) from e
            raise DeliveryFailed(f"slack: {status} {error}") from e
        except (TimeoutError, OSError) as e:
            raise DeliveryFailed(f"slack unreachable: {e.__class__.__name__}") from e
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    async def deliver_customer(self, out: Outgoing) -> None:
        r = render(self.ac, out.message, out.ticket)
        _, channel, thread = parse_ref(out.customer_ref)
        await self._post(
            channel=channel,
            thread_ts=thread,
            text=esc(r.text)[:MAX_TEXT],
            blocks=self._blocks(r.text, r.buttons),
        )

    def _line(self, m: MessageView, ticket: TicketView) -> str:
        who = {
            "customer": f"{m.author_name or ticket.customer_name or 'customer'} (customer)",
            "agent": f"{m.author_name} (agent)",
            "note": f"note by {m.author_name}",
            "system": "notice",
            "bot": "bot",
        }.get(m.author, m.author)
        text = esc(m.text if len(m.text) <= 600 else m.text[:600] + "…")
        extra = " [attachment]" if m.meta.get("attachments") and m.text != "[attachment]" else ""
        if m.author == "note":
            return f"_{esc(who)}:_ {text}"
        return f"*{esc(who)}:* {text}{extra}"

    def _header(self, ticket: TicketView, upto: int) -> tuple[str, list[dict[str, Any]]]:
        lines = [self._line(m, ticket) for m in self.ac.handoff.transcript(ticket.id) if m.id <= upto]  # type: ignore[attr-defined]
        excerpt = "\n".join(lines[-self.settings.transcript_lines :]) or "(no messages)"
        who = esc(ticket.customer_name or ticket.customer_ref)
        language = language_name(ticket.language) if ticket.language else "unknown"
        title = (
            f"{ticket.public_id} · {ticket.priority} · {ticket.label} · impact {ticket.impact} — "
            f"{who} on {ticket.channel}" + (f", writes {language}" if ticket.language else "")
        )
        blocks: list[dict[str, Any]] = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{title}*\n{esc(ticket.subject[:300])}"},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Ticket*\n{ticket.public_id}"},
                    {"type": "mrkdwn", "text": f"*Priority*\n{ticket.priority}"},
                    {"type": "mrkdwn", "text": f"*Label*\n{ticket.label}"},
                    {"type": "mrkdwn", "text": f"*Impact*\n{ticket.impact}"},
                    {"type": "mrkdwn", "text": f"*Customer*\n{who}"},
                    {"type": "mrkdwn", "text": f"*Channel*\n{ticket.channel}"},
                    {"type": "mrkdwn", "text": f"*Language*\n{language}"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": excerpt[:3000]}},
            *self._suggestions(ticket),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Claim"},
                        "action_id": "claim",
                        "value": ticket.public_id,
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Resolve"},
                        "action_id": "resolve",
                        "value": ticket.public_id,
                    },
                ],
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Reply in this thread to answer the customer; start with "
                        f"{esc(self.settings.note_marker)} for an internal note, or "
                        f"{esc(self.settings.case_marker)} <case id> to send a solved case's answer.",
                    }
                ],
            },
        ]
        return title, blocks

    def _suggestions(self, ticket: TicketView) -> list[dict[str, Any]]:
        """Solved cases near what the customer wrote, as on the console's ticket page."""
        from bot.unanswered import suggested_cases

        said = [m.text for m in self.ac.handoff.transcript(ticket.id) if m.author == "customer"]  # type: ignore[attr-defined]
        found = suggested_cases(self.ac, ticket.subject, said, min_score=self.ac.config.console.suggest_min_score)
        if not found:
            return []
        lines = [f"• `{esc(g.case_id)}` ({g.score:.2f}): {esc(g.answer[:280])}" for g in found]
        text = ("*Solved cases that may answer this*\n" + "\n".join(lines))[:3000]
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]

    def _save_thread(self, ticket_id: int, channel: str, ts: str, upto: int) -> None:
        with self.ac.sessions() as s:
            s.add(
                AgentThread(
                    ticket_id=ticket_id,
                    channel=channel,
                    ts=ts,
                    through_message_id=upto,
                    created_at=self.ac.handoff.now(),
                )
            )
            s.commit()

    async def deliver_agents(self, out: Outgoing) -> None:
        ticket = out.ticket
        if ticket is None:
            return
        channel = self.settings.agents_channel
        thread = await asyncio.to_thread(self._get_thread, ticket.id)
        if thread is None:
            title, blocks = await asyncio.to_thread(self._header, ticket, out.message.id)
            data = await self._post(channel=channel, text=title, blocks=blocks)
            await asyncio.to_thread(
                self._save_thread,
                ticket.id,
                str(data.get("channel") or channel),
                str(data["ts"]),
                out.message.id,
            )
            return
        if out.message.id <= thread.through_message_id or out.message.author == "bot":
            return  # already shown in the escalation post
        await self._post(
            channel=thread.channel, thread_ts=thread.ts, text=self._line(out.message, ticket)[:MAX_TEXT]
        )

    def alert_channel(self, alert: AlertView) -> str:
        """The response team's alerts go to ``slack.response_channel`` when one is set."""
        response = self.settings.response_channel
        if response and alert.team and alert.team == self.ac.config.assignment.response_team:
            return response
        return self.settings.agents_channel

    async def deliver_alert(self, alert: AlertView) -> None:
        """An SLA warning or breach, critical ticket or incident, posted once (the outbox keeps it)."""
        flag = {"critical": ":rotating_light: <!here> *CRITICAL*", "warning": ":warning: *Warning*"}.get(
            alert.severity, ":information_source:"
        )
        kind = alert.kind.replace("_", " ")
        where = f" · ticket {alert.ticket}" if alert.ticket else ""
        if alert.problem_id is not None:
            where += f" · problem PRB-{alert.problem_id:04d}"
        text = f"{flag} {esc(kind)}{esc(where)}: {esc(alert.text)}"
        await self._post(channel=self.alert_channel(alert), text=text[:MAX_TEXT])

    def _get_thread(self, ticket_id: int) -> AgentThread | None:
        with self.ac.sessions() as s:
            return s.get(AgentThread, ticket_id)
