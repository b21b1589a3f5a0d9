"""A small Telegram Bot API server: getMe, webhooks, long-polled getUpdates, sendMessage and friends.

Tests push customers' updates into it and read what the bot sent. ``fail_next`` makes the next
sendMessage calls answer with an error (500, or 429 with retry_after) before working again; ``hold(chat)``
keeps every sendMessage to that chat waiting for its answer until ``release(chat)`` (a slow platform,
or a slow chat: what the bot does meanwhile for other chats shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

from aiohttp import web

from tests.fakes.common import Recorder, Server, read_params

BOT = {
    "id": 7000001,
    "is_bot": True,
    "first_name": "Aftercare",
    "username": "aftercare_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


TOKEN = "123456:TEST-token"  # the bot token every test speaks with


class FakeBotAPI(Recorder):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self.failures: list[tuple[int, dict[str, Any]] | None] = []
        self.webhook: dict[str, Any] = {}
        self._held: dict[int, asyncio.Event] = {}
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self.server = Server(app)

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> str:
        return await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    # -- what tests do ------------------------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1, *, retry_after: int | None = None, after: int = 0) -> None:
        """The next ``times`` sendMessage calls fail with ``status``, after ``after`` that succeed."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": "Internal Server Error"}
        if retry_after is not None:
            body.update(
                description=f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
            )
        self.failures.extend([None] * after + [(status, body)] * times)

    def hold(self, chat_id: int) -> None:
        """sendMessage calls to ``chat_id`` get their answer only after ``release(chat_id)`` (each is recorded
        as ``held:sendMessage`` when it arrives, and as ``sendMessage`` when answered)."""
        self._held[chat_id] = asyncio.Event()

    def release(self, chat_id: int) -> None:
        held = self._held.pop(chat_id, None)
        if held is not None:
            held.set()

    def _user(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Cora", "last_name": "Customer"}

    def _message(self, chat_id: int, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Cora"},
            "from": self._user(chat_id),
            **fields,
        }

    def update_text(self, chat_id: int, text: str) -> dict[str, Any]:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(self._update_ids), "message": self._message(chat_id, **fields)}

    def update_photo(self, chat_id: int) -> dict[str, Any]:
        photo = [
            {"file_id": "PHOTO-small", "file_unique_id": "p1s", "width": 90, "height": 90},
            {"file_id": "PHOTO-big", "file_unique_id": "p1b", "width": 800, "height": 800, "file_size": 1234},
        ]
        return {"update_id": next(self._update_ids), "message": self._message(chat_id, photo=photo)}

    def update_sticker(self, chat_id: int) -> dict[str, Any]:
        sticker = {
            "file_id": "STICKER",
            "file_unique_id": "s1",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": "👍",
        }
        return {"update_id": next(self._update_ids), "message": self._message(chat_id, sticker=sticker)}

    def update_button(self, chat_id: int, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": self._user(chat_id),
                "chat_instance": "ci",
                "data": data,
                "message": self._message(chat_id, text="(the bot's message)", **{"from": BOT}),
            },
        }

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        self.updates.append(update)
        self._new_update.set()

    def texts_to(self, chat_id: int) -> list[str]:
        return [p["text"] for p in self.of("sendMessage") if int(p["chat_id"]) == chat_id]

    # -- the API --------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await read_params(request)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        held = self._held.get(int(params.get("chat_id") or 0)) if method == "sendMessage" else None
        if held is not None:
            await self.add("held:sendMessage", params)
            await held.wait()
        failure = self.failures.pop(0) if method == "sendMessage" and self.failures else None
        if failure is not None:
            status, body = failure
            await self.add("failed:sendMessage", params)
            return web.json_response(body, status=status)
        await self.add(method, params)
        return web.json_response({"ok": True, "result": self._result(method, params)})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            wait = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), wait)
        return list(self.updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getWebhookInfo":
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        if method == "sendMessage":
            msg = self._message(int(params["chat_id"]), text=params.get("text", ""))
            msg["from"] = BOT
            if params.get("reply_markup"):
                msg["reply_markup"] = params["reply_markup"]
            return msg
        return True
