"""A small Slack Web API server and Socket Mode WebSocket peer.

Web API: auth.test, chat.postMessage, chat.postEphemeral, chat.update, users.info,
apps.connections.open (which hands out this server's WebSocket address). The WebSocket peer says
hello, sends envelopes pushed by tests and records the app's acknowledgements. ``fail_next``
makes the next chat.postMessage calls answer 500, or 429 with Retry-After.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.common import Recorder, Server, read_params

BOT_USER = "UBOT0001"
TEAM = "T0000001"


class FakeSlack(Recorder):
    def __init__(self, *, users: dict[str, str] | None = None) -> None:
        super().__init__()
        self.users = users or {}
        self.failures: list[tuple[int, dict[str, str]]] = []
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        self.server = Server(app)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        return f"{self.server.url}/api/"

    async def start(self) -> str:
        return await self.server.start()

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        await self.server.stop()

    def fail_next(self, status: int, times: int = 1, *, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.failures.extend([(status, headers)] * times)

    def posts(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        return [
            p
            for p in self.of("chat.postMessage")
            if p.get("channel") == channel and (thread_ts is None or p.get("thread_ts") == thread_ts)
        ]

    # -- Web API --------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await read_params(request)
        params["_auth"] = request.headers.get("Authorization", "")
        if method == "chat.postMessage" and self.failures:
            status, headers = self.failures.pop(0)
            await self.add("failed:chat.postMessage", params)
            error = "ratelimited" if status == 429 else "internal_error"
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        result = self._result(method, params)
        if "ts" in result:
            params["_ts"] = result["ts"]  # tests thread on it
        await self.add(method, params)
        return web.json_response(result)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "aftercare",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": "BBOT0001",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"type": "message", "text": params.get("text"), "ts": ts, "bot_id": "BBOT0001"},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "users.info":
            uid = str(params.get("user"))
            name = self.users.get(uid, uid)
            return {
                "ok": True,
                "user": {
                    "id": uid,
                    "name": name.lower(),
                    "real_name": name,
                    "profile": {"display_name": name, "real_name": name},
                },
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.server.port}/socket"}
        return {"ok": True}

    # -- Socket Mode ----------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0000001"}})
        )
        self._socket_ready.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self.add("socket:ack", json.loads(msg.data))
        finally:
            self._sockets.remove(ws)
        return ws

    async def socket_send(self, envelope_type: str, payload: dict[str, Any]) -> str:
        """Send one envelope to the connected app; returns its envelope id."""
        await asyncio.wait_for(self._socket_ready.wait(), 20)
        envelope_id = str(uuid.uuid4())
        await self._sockets[-1].send_str(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": envelope_type,
                    "payload": payload,
                    "accepts_response_payload": False,
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
        )
        return envelope_id


_event_ids = itertools.count(1)


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around ``event``."""
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0000001",
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def block_action(
    user: str,
    channel: str,
    action_id: str,
    value: str,
    *,
    message_ts: str = "1.000001",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "text": "…"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0000001",
        "token": "legacy",
        "trigger_id": f"trig{next(_event_ids)}",  # unique per interaction, as Slack's are
        "team": {"id": TEAM},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel, "name": "support"},
        "message": message,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
