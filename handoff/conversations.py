"""Conversations and their messages: one conversation per customer and channel, its language, every
message stored once (idempotency keys and the outcome of handling them), and what the customer saw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.context import DeskContext
from handoff.lifecycle import Lifecycle
from handoff.models import Conversation, Message, MessageKey
from handoff.races import on_fresh_state
from handoff.views import MessageView, message_view

CUSTOMER_VISIBLE = ("bot", "agent", "system")
KEY_CHARS = 200  # idempotency keys are cut to the column's width



ABSENT_KEYS = "absent_message_keys"  # Session.info: idempotency keys a unit of work found not stored
LAST_ID = 2**31 - 1  # message ids are 32-bit integers: "before LAST_ID" is the conversation's last message
BEFORE = "message_before"  # Session.info: (conversation, message id) -> the message before it, in a unit of work


def key_row(s: Session, key: str) -> MessageKey | None:
    """The stored row of idempotency ``key`` (None when it is not stored). Inside a unit of work (one
    message's transaction, ``bot.db.UnitSessions``) a key found absent is remembered for the rest of the
    unit, with its reply's key ``<key>#reply`` (a reply's key is only ever stored after its message's key, by
    the same handling): asked again, it costs no statement. Another worker storing it meanwhile makes this
    unit's insert fail on the unique key, and the message is handled again call by call (``bot.pipeline``)."""
    k = key[:KEY_CHARS]
    lent = bool(getattr(s, "lent", False))
    if lent and k in s.info.get(ABSENT_KEYS, ()):
        return None
    row = s.get(MessageKey, k)
    if row is None and lent:
        absent = s.info.setdefault(ABSENT_KEYS, set())
        absent.add(k)
        if "#" not in key:
            absent.add(f"{key}#reply"[:KEY_CHARS])
    return row

class Conversations:
    """Stores and reads customers' conversations; a customer's message on a ticket waiting on them
    wakes it (through :meth:`handoff.lifecycle.Lifecycle.customer_wrote`, in the same transaction)."""

    def __init__(self, ctx: DeskContext, lifecycle: Lifecycle) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle

    def open(self, channel: str, customer_ref: str, *, name: str = "", language: str | None = None) -> int:
        """The id of the customer's conversation on ``channel``, created on first contact (safe when two
        workers see the customer at once) with ``language`` (ISO code) when given; ``name`` updates the
        display name."""
        return self.open_new(channel, customer_ref, name=name, language=language)[0]

    def open_new(self, channel: str, customer_ref: str, *, name: str = "",
                 language: str | None = None) -> tuple[int, bool]:
        """:meth:`open`, and whether this call created the conversation (then it has no messages and no
        tickets yet: the caller need not look for them)."""
        with self.ctx.sessions() as s:
            c = s.scalar(select(Conversation).where(Conversation.channel == channel,
                                                    Conversation.customer_ref == customer_ref))
            now = self.ctx.now()
            if c is not None:
                c.last_seen_at = now
                if name and name != c.customer_name:
                    c.customer_name = name
                s.commit()
                return c.id, False
            c = Conversation(channel=channel, customer_ref=customer_ref, customer_name=name,
                             created_at=now, last_seen_at=now, language=language[:8] if language else None)
            s.add(c)
            try:
                s.commit()
            except IntegrityError:  # another worker created it first
                s.rollback()
                found = s.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                               Conversation.customer_ref == customer_ref))
                if found is None:
                    raise
                return int(found), False
            return c.id, True

    @on_fresh_state
    def language(self, conversation_id: int) -> str | None:
        """The customer's language kept on the conversation (ISO code), None until one is known."""
        with self.ctx.sessions() as s:
            c = s.get(Conversation, conversation_id)  # inside a message's unit of work: no query
            return c.language if c is not None else None

    def set_language(self, conversation_id: int, language: str) -> None:
        """Keep ``language`` (ISO code) as the conversation's: its replies and notices speak it."""
        with self.ctx.sessions() as s:
            c = s.get(Conversation, conversation_id)
            if c is not None and c.language != language:
                c.language = language[:8]
                s.commit()

    # -- storing messages, once -----------------------------------------------------------------------

    def record(self, conversation_id: int, author: str, text: str, *, ticket_id: int | None = None,
               author_name: str = "", meta: dict[str, Any] | None = None, key: str = "") -> MessageView:
        """Store one message (``author`` one of :data:`handoff.models.AUTHORS`). With ``key`` (an
        idempotency key) the message is stored once: a second call with the same key stores nothing and
        returns the message the first one stored."""
        with self.ctx.sessions() as s:
            if key:
                found = self._keyed_message(s, key)
                if found is not None:
                    return message_view(found)
            m = Message(conversation_id=conversation_id, ticket_id=ticket_id, author=author,
                        author_name=author_name, text=text, meta=meta or {}, created_at=self.ctx.now())
            s.add(m)
            s.info.pop(BEFORE, None)
            if author == "customer" and ticket_id is not None:
                self.lifecycle.customer_wrote(s, ticket_id)
            if key:
                s.flush()
                s.add(MessageKey(key=key[:KEY_CHARS], message_id=m.id, created_at=self.ctx.now()))
                s.info.get(ABSENT_KEYS, set()).discard(key[:KEY_CHARS])
            try:
                s.commit()
            except IntegrityError:  # the same key stored at the same moment by another worker: theirs stands
                s.rollback()
                found = self._keyed_message(s, key) if key else None
                if found is None:
                    raise
                return message_view(found)
            return message_view(m)

    @staticmethod
    def _keyed_message(s: Session, key: str) -> Message | None:
        row = key_row(s, key)
        return s.get(Message, row.message_id) if row is not None else None

    def keyed_message(self, key: str) -> MessageView | None:
        """The message stored under the idempotency ``key`` (None when none is, or for an empty key)."""
        if not key:
            return None
        with self.ctx.sessions() as s:
            m = self._keyed_message(s, key)
            return message_view(m) if m is not None else None

    def keyed_outcome(self, key: str) -> dict[str, Any] | None:
        """The outcome stored for an idempotency key once its message was fully handled, else None."""
        with self.ctx.sessions() as s:
            row = key_row(s, key)
            return dict(row.outcome) if row is not None and row.outcome is not None else None

    def save_outcome(self, key: str, outcome: dict[str, Any]) -> None:
        """Remember what handling the keyed message gave (JSON-able), for a retry to return as it is."""
        with self.ctx.sessions() as s:
            row = key_row(s, key)
            if row is not None:
                row.outcome = outcome
                s.commit()

    def prune_keys(self, before: datetime) -> int:
        """Delete idempotency records older than ``before`` (the periodic job, past the retention);
        returns how many."""
        with self.ctx.sessions() as s:
            n = s.execute(delete(MessageKey).where(MessageKey.created_at < before)).rowcount  # type: ignore[attr-defined]
            s.commit()
            return int(n or 0)

    # -- reading ----------------------------------------------------------------------------------------

    def message_before(self, conversation_id: int, message_id: int) -> MessageView | None:
        """The conversation's message just before ``message_id`` (any author), if there is one. Inside a unit
        of work (one message's transaction) the answer is kept for the rest of it: the flow's steps ask it
        several times about the same message, one statement in all."""
        with self.ctx.sessions() as s:
            # kept for a stored message's id only (later messages get higher ids), never for "the last one"
            seen: dict[tuple[int, int], MessageView | None] | None = (
                s.info.setdefault(BEFORE, {}) if getattr(s, "lent", False) and message_id < LAST_ID else None)
            if seen is not None and (conversation_id, message_id) in seen:
                return seen[(conversation_id, message_id)]
            m = s.scalar(select(Message).where(Message.conversation_id == conversation_id, Message.id < message_id)
                         .order_by(Message.id.desc()).limit(1))
            view = message_view(m) if m is not None else None
            if seen is not None:
                seen[(conversation_id, message_id)] = view
            return view

    def customer_sent_since(self, channel: str, customer_ref: str, since: datetime) -> tuple[int, datetime | None]:
        """How many messages the customer wrote since ``since``, and when the oldest of them was."""
        with self.ctx.sessions() as s:
            n, oldest = s.execute(
                select(func.count(Message.id), func.min(Message.created_at))
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.channel == channel, Conversation.customer_ref == customer_ref,
                       Message.author == "customer", Message.created_at >= since)
            ).one()
            return int(n or 0), oldest

    def customer_messages(self, channel: str, customer_ref: str, *, after: int = 0,
                          with_own: bool = False) -> list[MessageView]:
        """What the customer should see (bot, agent, system) with id > ``after``: for pull channels;
        ``with_own`` adds the customer's own messages (a page open in two tabs shows both sides)."""
        authors = ("customer", *CUSTOMER_VISIBLE) if with_own else CUSTOMER_VISIBLE
        with self.ctx.sessions() as s:
            rows = s.scalars(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                             .where(Conversation.channel == channel, Conversation.customer_ref == customer_ref,
                                    Message.id > after, Message.author.in_(authors)).order_by(Message.id))
            return [message_view(m) for m in rows]

    def message_of(self, channel: str, customer_ref: str, message_id: int) -> MessageView | None:
        """Message ``message_id`` if it belongs to this customer's conversation on ``channel`` (None
        otherwise): a customer acts only on their own messages."""
        with self.ctx.sessions() as s:
            m = s.scalar(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                         .where(Message.id == message_id, Conversation.channel == channel,
                                Conversation.customer_ref == customer_ref))
            return message_view(m) if m is not None else None

    def history(self, channel: str, customer_ref: str, *, limit: int = 50) -> list[MessageView]:
        """The last ``limit`` messages of the customer's conversation that the customer saw (their own,
        the bot's, agents' replies, notices; never internal notes), oldest first: for a page reload."""
        with self.ctx.sessions() as s:
            conv = self._conversation_id(s, channel, customer_ref)
            if conv is None:
                return []
            rows = list(s.scalars(select(Message).where(Message.conversation_id == conv,
                                                        Message.author.in_(("customer", *CUSTOMER_VISIBLE)))
                                  .order_by(Message.id.desc()).limit(max(1, limit))))
            return [message_view(m) for m in reversed(rows)]

    @staticmethod
    def _conversation_id(s: Session, channel: str, customer_ref: str) -> int | None:
        return s.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                      Conversation.customer_ref == customer_ref))
