"""What the Slack customer and agent halves share: the Web API client, the app and its settings, user
names (``users.info``, asked once per user), the bot's own user id (``auth.test``), event-id
deduplication and one way to post (Slack's errors mapped to :class:`bot.errors.DeliveryFailed`)."""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.markup import mentioned_users, slack_to_plain
from bot.adapters.slack.models import SeenEvent
from bot.app import Aftercare
from bot.config import SlackSettings
from bot.db import insert_once
from bot.errors import DeliveryFailed
from bot.outbox import Outbox

log = logging.getLogger("bot.adapters.slack")
CHANNEL = "slack"
# set while an event stored by the inbox is processed: it was deduplicated when stored
FROM_STORE: ContextVar[bool] = ContextVar("slack_from_store", default=False)
# Slack errors that no retry will cure (https://api.slack.com/methods/chat.postMessage#errors)
PERMANENT_ERRORS = ("channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
                    "msg_too_long")


def event_key(body: dict[str, Any]) -> str:
    """The pipeline's idempotency key of an event: ``slack:<event_id>`` ("" without one)."""
    event_id = str(body.get("event_id") or "")
    return f"slack:{event_id}" if event_id else ""


class Workspace:
    """One Slack workspace as the adapter's halves see it (``ac``: the app; ``client``: its Web API)."""

    def __init__(self, ac: Aftercare, outbox: Outbox, client: AsyncWebClient, settings: SlackSettings) -> None:
        self.ac = ac
        self.outbox = outbox
        self.client = client
        self.settings = settings
        self._names: dict[str, str] = {}
        self.bot_user = ""  # the app's own user id (auth.test), asked once

    def _first_time(self, event_id: str) -> bool:
        if not event_id:
            return True
        return insert_once(self.ac.sessions, SeenEvent(event_id=event_id, at=self.ac.clock()))

    async def fresh(self, body: dict[str, Any]) -> bool:
        """False for an event id handled before (Slack's retries); events from the inbox are always fresh."""
        if FROM_STORE.get():  # the inbox stored it once; processing it again after a crash must not drop it
            return True
        fresh = await asyncio.to_thread(self._first_time, str(body.get("event_id") or ""))
        if not fresh:
            log.info("slack event %s seen before: dropped", body.get("event_id"))
        return fresh

    async def name(self, user: str) -> str:
        """The display name of a Slack user id (the id itself when Slack does not say)."""
        if user not in self._names:
            try:
                info = await self.client.users_info(user=user)
                u = info.get("user") or {}
                profile = u.get("profile") or {}
                self._names[user] = profile.get("display_name") or u.get("real_name") or u.get("name") or user
            except SlackApiError:
                return user
        return self._names[user]

    async def own_user(self) -> str:
        """The app's own user id ("" when ``auth.test`` fails)."""
        if not self.bot_user:
            try:
                self.bot_user = str((await self.client.auth_test()).get("user_id") or "")
            except SlackApiError:
                log.warning("slack auth.test failed: the bot's own mentions are not recognised")
        return self.bot_user

    async def plain(self, text: str) -> str:
        """``text`` from Slack as plain text (``slack_to_plain``), mentioned users by their names."""
        names = {u: await self.name(u) for u in mentioned_users(text) if u != self.bot_user}
        return slack_to_plain(text, names, drop=self.bot_user)

    async def post(self, **kwargs: Any) -> dict[str, Any]:
        """``chat.postMessage``; raises DeliveryFailed (``retry_after`` from a 429, ``permanent`` for errors
        no retry cures) so the outbox retries or gives up."""
        try:
            resp = await self.client.chat_postMessage(**kwargs)
        except SlackApiError as e:
            status = e.response.status_code
            if status == 429:
                retry = e.response.headers.get("Retry-After") or e.response.headers.get("retry-after") or "1"
                raise DeliveryFailed("slack rate limited", retry_after=float(retry)) from e
            error = (e.response.data or {}).get("error", "") if isinstance(e.response.data, dict) else ""
            if status < 500 and error in PERMANENT_ERRORS:
                raise DeliveryFailed(f"slack refused: {error}", permanent=True) from e
            raise DeliveryFailed(f"slack: {status} {error}") from e
        except (TimeoutError, OSError) as e:
            raise DeliveryFailed(f"slack unreachable: {e.__class__.__name__}") from e
        return dict(resp.data) if isinstance(resp.data, dict) else {}
