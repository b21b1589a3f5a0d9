"""Telegram channel (python-telegram-bot): customers write to the bot in private chats.

Only translation happens here: an update becomes an IncomingMessage for the pipeline; what the
customer should see reaches them through the outbox (``deliver``), rendered as HTML and split
under Telegram's 4096-character limit. Long polling by default; in webhook mode the web app
forwards POST /telegram/webhook here after checking the secret token header. In both modes an update
is stored in the inbox (``bot.inbox``) before Telegram is told it arrived (the webhook's 200, the next
``getUpdates``), and processed from there: a process killed mid-message finishes it at the next start.
Different chats' updates are processed side by side, each chat's in order (``chat_of``).

Over 350 lines: it is one channel's two directions (updates in, through its handlers; stored messages
out, split under the limit) and its lifecycle; storing, ordering and retrying live in ``bot.inbox`` and
``bot.outbox``.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from bot.app import Aftercare
from bot.config import TelegramSettings
from bot.db import insert_once
from bot.inbox import Inbox, Stored, StoreFirstQueue
from bot.jsonbody import BadBody, parse_json
from bot.messages import IncomingMessage, Outcome
from bot.outbox import DeliveryFailed, Outbox, Outgoing
from bot.outbox.models import DeliveredPiece
from bot.outbox.render import feedback, render
from bot.outbox.text import split_text
from bot.replies import LANGUAGES
from bot.workflows import escalate_to_person

log = logging.getLogger(__name__)
CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ATTACHMENT_KINDS = (
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "sticker",
    "animation",
    "contact",
    "location",
)


def attachments_of(msg: Message) -> list[dict[str, Any]]:
    """References to what came with a message (never the bytes): kind, file id, name, size."""
    out: list[dict[str, Any]] = []
    for kind in ATTACHMENT_KINDS:
        obj = getattr(msg, kind, None)
        if not obj:
            continue
        if kind == "photo":
            obj = obj[-1]  # the largest size
        ref: dict[str, Any] = {"type": kind}
        for attr in ("file_id", "file_unique_id", "file_name", "mime_type", "file_size", "emoji"):
            value = getattr(obj, attr, None)
            if value is not None:
                ref[attr] = value
        out.append(ref)
    return out


def chat_of(body: str) -> str:
    """The chat a stored raw update belongs to (its message's or button press's chat, else its sender):
    the inbox processes one chat's updates in order and different chats' side by side. An update naming
    no chat is a conversation of its own."""
    try:
        data = json.loads(body)
    except ValueError:
        return f"raw:{hash(body)}"
    if not isinstance(data, dict):
        return f"raw:{hash(body)}"
    for field in ("message", "edited_message", "callback_query"):
        part = data.get(field)
        if not isinstance(part, dict):
            continue
        msg = part.get("message") if field == "callback_query" else part
        chat = msg.get("chat") if isinstance(msg, dict) else None
        if isinstance(chat, dict) and chat.get("id") is not None:
            return f"chat:{chat['id']}"
        sender = part.get("from")
        if isinstance(sender, dict) and sender.get("id") is not None:
            return f"chat:{sender['id']}"  # a private chat's id is its user's
    return f"update:{data.get('update_id')}"


def _app_language(update: Update) -> str:
    """The language of the customer's Telegram app (``language_code`` without its region, lower case:
    "ko" for "ko-KR"), "" when Telegram does not say."""
    user = update.effective_user
    return ((user.language_code if user else None) or "").split("-")[0].lower()


def keyboard(buttons: list[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    if all(label.isdigit() for label, _ in buttons):  # a rating: one row 1..5
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]]
        )
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
    )


def to_html_pieces(text: str) -> list[str]:
    return [
        html.escape(p, quote=False)
        for p in split_text(
            text, MessageLimit.MAX_TEXT_LENGTH, measure=lambda s: len(html.escape(s, quote=False))
        )
    ]


class TelegramChannel:
    """A background service: the python-telegram-bot Application, plus the outbox sink of its chats."""

    name = "telegram"
    channel = CHANNEL

    def __init__(
        self,
        ac: Aftercare,
        outbox: Outbox,
        *,
        token: str,
        settings: TelegramSettings,
        webhook_secret: str = "",
    ) -> None:
        self.ac = ac
        self.outbox = outbox
        self.settings = settings
        self.webhook_secret = webhook_secret
        base = settings.api_url.rstrip("/")
        # no Updater inside the Application: in polling mode our own Updater feeds the inbox (store first),
        # as the webhook does; the Application only processes what the inbox hands it
        self.app = (Application.builder().token(token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
                    .updater(None).build())
        self.updater = Updater(self.app.bot, StoreFirstQueue(self._keep)) if settings.mode == "polling" else None
        self._closing = False
        self.app.add_handler(CommandHandler("start", self._on_start, filters=filters.ChatType.PRIVATE))
        self.app.add_handler(CommandHandler("help", self._on_help, filters=filters.ChatType.PRIVATE))
        self.app.add_handler(CommandHandler("human", self._on_human, filters=filters.ChatType.PRIVATE))
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, self._on_message))
        self.app.add_error_handler(self._on_error)
        outbox.add_customer_channel(CHANNEL, self.deliver)
        self._failed: dict[int, Exception] = {}
        # chats' updates side by side (their messages then share the encoder's calls), each chat's in order;
        # the pipeline runs in threads of its own, as many as updates processed at once
        self.inbox = Inbox(ac.sessions, CHANNEL, self._process_stored, clock=ac.clock,
                           lease_s=ac.config.web.inbox_lease_s, conversation_of=chat_of,
                           concurrency=settings.concurrency)
        self._threads: ThreadPoolExecutor | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._threads = ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency),
                                           thread_name_prefix="telegram-pipeline")
        await self.app.initialize()  # getMe: the token is checked here
        await self.app.start()
        self._closing = False
        self.inbox.start()  # finishes what an earlier run stored and acknowledged
        if self.updater is not None:
            await self.updater.initialize()
            await self.updater.start_polling(
                timeout=self.settings.poll_timeout_s, allowed_updates=["message", "callback_query"]
            )
        elif self.settings.webhook_url:
            await self.app.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.webhook_secret or None,
                allowed_updates=["message", "callback_query"],
            )
        log.info("telegram bot @%s up (%s)", self.app.bot.username, self.settings.mode)

    async def stop(self) -> None:
        self._closing = True
        if self.updater is not None and self.updater.running:
            try:
                await self.updater.stop()  # confirms to Telegram only what was stored
            except Exception:  # noqa: BLE001 - an update left unstored stays unconfirmed: fetched again next start
                log.exception("telegram polling stopped with an update not stored")
            await self.updater.shutdown()
        await self.inbox.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        if self._threads is not None:
            self._threads.shutdown(wait=False)
            self._threads = None

    async def _keep(self, update: object) -> None:
        """What the polling Updater fetched, into the inbox before the next ``getUpdates`` confirms it."""
        if isinstance(update, Update):
            await self.inbox.keep(str(update.update_id), json.dumps(update.to_dict(), ensure_ascii=False),
                                  stopping=lambda: self._closing)

    # -- webhook ----------------------------------------------------------------------------------

    def http_routes(self) -> list[tuple[str, Callable[[Request], Awaitable[Response]]]]:
        return [("/telegram/webhook", self.handle_webhook)] if self.settings.mode == "webhook" else []

    async def handle_webhook(self, request: Request) -> Response:
        """Check the secret, then store the raw update (once per update_id) BEFORE answering 200: Telegram
        does not resend what it was told arrived, so a crash after the 200 must not lose it. The inbox
        processes it from the store. A body that is not an update gets 400 with the reason."""
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not secrets.compare_digest(
            given.encode(), self.webhook_secret.encode()
        ):
            return JSONResponse({"error": "wrong secret token"}, status_code=403)
        try:
            data = parse_json(await request.body())
        except BadBody as e:
            return JSONResponse({"error": f"not a Telegram update: {e}"}, status_code=400)
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
            return JSONResponse({"error": "not a Telegram update: a JSON object with a numeric update_id is expected"},
                                status_code=400)
        try:
            Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            return JSONResponse({"error": f"not a Telegram update: {e.__class__.__name__}"}, status_code=400)
        await asyncio.to_thread(self.inbox.store, str(update_id), json.dumps(data, ensure_ascii=False))
        self.inbox.wake()
        return JSONResponse({"ok": True})

    async def _process_stored(self, row: Stored) -> None:
        """One stored update through the bot's handlers; raises (so the inbox retries) when one failed."""
        update = Update.de_json(json.loads(row.body), self.app.bot)
        if update is None:
            return
        await self.app.process_update(update)
        error = self._failed.pop(update.update_id, None)
        if error is not None:
            raise error

    # -- incoming ---------------------------------------------------------------------------------

    @staticmethod
    def _who(update: Update) -> tuple[str, str]:
        chat = update.effective_chat
        user = update.effective_user
        assert chat is not None
        return str(chat.id), (user.full_name if user else "")

    async def _pipeline(self, msg: IncomingMessage) -> Outcome:
        out = await asyncio.get_running_loop().run_in_executor(self._threads, self.ac.pipeline.handle, msg)
        self.outbox.wake()
        return out

    async def _say(self, chat_id: str, text: str) -> None:
        for piece in to_html_pieces(text):
            await self.app.bot.send_message(int(chat_id), piece, parse_mode=ParseMode.HTML)

    def _language(self, chat_id: str, name: str, update: Update) -> str:
        """The conversation's language; before the customer has written, their Telegram app's
        (``language_code``) when there are replies in it, kept on the conversation."""
        h = self.ac.handoff
        conv = h.conversation(CHANNEL, chat_id, name=name)
        lang = h.language(conv)
        if lang is None:
            code = _app_language(update)
            lang = code if code in LANGUAGES else self.ac.replies.language
            h.set_language(conv, lang)
        return lang

    async def _on_start(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, name = self._who(update)
        lang = await asyncio.to_thread(self._language, chat_id, name, update)
        await self._say(chat_id, self.ac.replies.render("label_greeting", language=lang))

    async def _on_help(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, name = self._who(update)
        lang = await asyncio.to_thread(self._language, chat_id, name, update)
        await self._say(chat_id, self.ac.replies.render("help", language=lang))

    async def _on_human(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id, name = self._who(update)
        await asyncio.to_thread(self._language, chat_id, name, update)
        await asyncio.to_thread(escalate_to_person, self.ac, CHANNEL, chat_id, name=name,
                                key=f"telegram:{update.update_id}")  # once, however often processed
        self.outbox.wake()

    async def _on_message(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if msg is None:
            return
        chat_id, name = self._who(update)
        text = msg.text or msg.caption or ""
        incoming = IncomingMessage(
            channel=CHANNEL,
            customer=chat_id,
            text=text,
            customer_name=name,
            attachments=attachments_of(msg),
            meta={"telegram_message_id": msg.message_id},
            key=f"telegram:{update.update_id}",  # handled once, however often the update is processed
            # the customer's Telegram app's language until their words say otherwise (as /start does)
            language=_app_language(update),
        )
        out = await self._pipeline(incoming)
        if out.action in ("refused", "error"):  # nothing was recorded: answer here
            for r in out.replies:
                await self._say(chat_id, r.text)

    async def _on_button(self, update: Update, _ctx: ContextTypes.DEFAULT_TYPE) -> None:
        q = update.callback_query
        if q is None or not q.data or q.message is None:
            return
        await q.answer()
        chat_id, name = self._who(update)
        text = await asyncio.to_thread(feedback, self.ac, CHANNEL, chat_id, name=name, action=q.data)
        self.outbox.wake()
        try:  # one press per set of buttons
            await q.edit_message_reply_markup(reply_markup=None)
        except TelegramError:
            log.debug("could not remove the buttons of message %s", q.message.message_id)
        if text:
            await self._say(chat_id, text)

    async def _on_error(self, update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update) and ctx.error is not None:
            self._failed[update.update_id] = ctx.error
        log.error("telegram update %s failed", getattr(update, "update_id", "?"), exc_info=ctx.error)

    # -- outgoing (the outbox calls this) ---------------------------------------------------------

    def _sent_pieces(self, message_id: int, target: str) -> set[int]:
        with self.ac.sessions() as s:
            return set(s.scalars(select(DeliveredPiece.piece).where(DeliveredPiece.message_id == message_id,
                                                                    DeliveredPiece.target == target)))

    def _piece_sent(self, message_id: int, target: str, piece: int) -> None:
        insert_once(self.ac.sessions, DeliveredPiece(message_id=message_id, target=target, piece=piece,
                                                     at=self.ac.clock()))

    async def deliver(self, out: Outgoing) -> None:
        """Send one stored message, split under Telegram's limit. Each piece is a delivery of its own: a
        retry after piece k failed sends pieces k.. only, never again the ones that arrived."""
        r = render(self.ac, out.message, out.ticket)
        pieces = to_html_pieces(r.text)
        target = f"tg:{out.customer_ref}"[:32]
        done = await asyncio.to_thread(self._sent_pieces, out.message.id, target) if len(pieces) > 1 else set()
        try:
            for i, piece in enumerate(pieces):
                if i in done:
                    continue
                markup = keyboard(r.buttons) if i == len(pieces) - 1 else None
                await self.app.bot.send_message(
                    int(out.customer_ref), piece, parse_mode=ParseMode.HTML, reply_markup=markup
                )
                if len(pieces) > 1:
                    await asyncio.to_thread(self._piece_sent, out.message.id, target, i)
        except RetryAfter as e:
            wait = e.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)
            raise DeliveryFailed(f"telegram flood control: {e}", retry_after=seconds) from e
        except (Forbidden, BadRequest) as e:
            raise DeliveryFailed(f"telegram refused: {e}", permanent=True) from e
        except TelegramError as e:
            raise DeliveryFailed(f"telegram: {e}") from e
