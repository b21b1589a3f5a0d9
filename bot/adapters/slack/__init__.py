"""Slack channel (slack-bolt AsyncApp): customers and agents.

Customers write to the app in a DM or mention it in a channel (answered in that thread):
:mod:`.customers`. Agents work in ``slack.agents_channel``, where each escalation is a post whose
thread is the ticket's conversation: :mod:`.agents`. Block Kit is rendered in :mod:`.blocks`, Slack's
markup decoded and escaped in :mod:`.markup`, the adapter's tables are :mod:`.models`.

Events come over Socket Mode (SLACK_APP_TOKEN) or the HTTP Events API at /slack/events
(SLACK_SIGNING_SECRET). Over HTTP the signature and timestamp are checked over the exact body. In both
modes an event or button press is stored raw in the inbox (once per event_id / trigger_id) before Slack
is acknowledged (the HTTP 200, the Socket Mode envelope's acknowledgement) and run through Bolt's
listeners from the store, so a process killed mid-message finishes it at the next start; anything else
(url_verification, slash commands) goes to Bolt at once (over HTTP through its Starlette handler,
``slack_bolt.adapter.starlette``). Retries of one event are stored once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.adapters.base import Route
from bot.adapters.slack.agents import REOPEN, REOPEN_SEND, Agents
from bot.adapters.slack.customers import CUSTOMER_ACTION, Customers, customer_ref, parse_ref
from bot.adapters.slack.markup import esc, mentioned_users, slack_to_plain
from bot.adapters.slack.workspace import CHANNEL, FROM_STORE, Workspace
from bot.app import Aftercare
from bot.config import SlackSettings
from bot.inbox import Inbox, Stored
from bot.jsonbody import BadBody, parse_json
from bot.outbox import Outbox

__all__ = ["CHANNEL", "SlackChannel", "customer_ref", "esc", "inbox_key", "mentioned_users", "parse_ref",
           "slack_to_plain"]
log = logging.getLogger(__name__)


def inbox_key(data: dict[str, Any]) -> str:
    """The inbox key of a Slack request body: an event's ``event_id``, a button press's
    ``action:<trigger_id>``; empty for what is not stored (url_verification, slash commands)."""
    if data.get("type") == "event_callback":
        return str(data.get("event_id") or "")
    if data.get("type") == "block_actions" and data.get("trigger_id"):
        return f"action:{data.get('trigger_id')}"
    return ""


class _StoreFirstSocket(AsyncSocketModeHandler):
    """Socket Mode with the inbox in front: an event or a button press is stored, then acknowledged, then
    processed from the store (as over HTTP); anything else goes to Bolt directly. An envelope that cannot
    be stored (the database away) is not acknowledged, so Slack sends it again."""

    def __init__(self, channel: SlackChannel, app_token: str) -> None:
        super().__init__(channel.app, app_token)
        self._channel = channel

    async def handle(self, client: Any, req: SocketModeRequest) -> None:  # type: ignore[override]
        key = inbox_key(req.payload) if isinstance(req.payload, dict) else ""
        if not key:
            await super().handle(client, req)
            return
        try:
            await asyncio.to_thread(self._channel.inbox.store, key, json.dumps(req.payload, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - not stored: not acknowledged either, so Slack sends it again
            log.exception("slack envelope %s not stored; left for Slack to resend", req.envelope_id)
            return
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        self._channel.inbox.wake()


class SlackChannel:
    """A background service: the Bolt app (Socket Mode or HTTP) and the outbox sinks of Slack.
    ``settings.mode`` "auto" is Socket Mode with an ``app_token``, else HTTP (which needs the
    ``signing_secret``); raises ValueError when the chosen mode lacks its secret."""

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
        self.handler = AsyncSlackRequestHandler(self.app)
        self.inbox = Inbox(ac.sessions, CHANNEL, self._process_stored, clock=ac.clock,
                           lease_s=ac.config.web.inbox_lease_s)
        self._socket: AsyncSocketModeHandler | None = None
        self.workspace = Workspace(ac, outbox, self.client, settings)
        self.customers = Customers(self.workspace)
        self.agents = Agents(self.workspace)
        self.app.event("message")(self._on_message)
        self.app.event("app_mention")(self.customers.on_mention)
        self.app.action("claim")(self.agents.on_claim)
        self.app.action("resolve")(self.agents.on_resolve)
        self.app.action(REOPEN_SEND)(self.agents.on_reopen_send)
        self.app.action(REOPEN)(self.agents.on_reopen)
        self.app.action(CUSTOMER_ACTION)(self.customers.on_button)
        outbox.add_customer_channel(CHANNEL, self.customers.deliver)
        if settings.agents_channel:
            outbox.set_agents_sink(self.agents.deliver)
            outbox.set_alerts_sink(self.agents.deliver_alert)

    @property
    def bot_user(self) -> str:
        """The app's own user id, once ``auth.test`` answered."""
        return self.workspace.bot_user

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.inbox.start()  # finishes what an earlier run stored and acknowledged
        if self.mode == "socket":
            self._socket = _StoreFirstSocket(self, self.app_token)
            await self._socket.connect_async()
        log.info("slack up (%s mode)", self.mode)

    async def stop(self) -> None:
        await self.inbox.stop()
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None

    def http_routes(self) -> list[Route]:
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
        key = inbox_key(data)
        if key:
            await asyncio.to_thread(self.inbox.store, key, text, content_type=content_type or "application/json")
            self.inbox.wake()
            return Response(status_code=200)
        return await self.handler.handle(request)  # the body was read once; Starlette keeps it

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

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Bolt's ``message`` event: the agents' channel to :mod:`.agents`, anything else to :mod:`.customers`
        (bots' own messages and edits, joins and other subtypes are not words from a person)."""
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return
        channel = str(event.get("channel") or "")
        if self.settings.agents_channel and channel == self.settings.agents_channel:
            await self.agents.on_message(body, event)
            return
        await self.customers.on_message(body, event)
