"""Who may read and write a web-chat conversation: a key the server issued, checked on every call.

``POST /api/session`` issues a random key (32 bytes, URL-safe) for a new anonymous customer id
(``web-`` and 16 random characters) or, when the embedding site vouches for its own signed-in
user, for that user's id. The site vouches with ``user_hash`` = hex HMAC-SHA256 of the user id
under ``WEB_IDENTITY_SECRET`` (an environment variable shared by the site's server and Aftercare;
the pattern of Intercom's identity verification): the same user then finds the same conversation
on any device. The browser keeps the key and sends it as ``Authorization: Bearer <key>``; the
server stores only its SHA-256 (table ``web_chat_keys``), so a copy of the database holds no
usable key. Without a key, or with one that belongs to another customer, nothing is read or written.

The request bodies the chat API accepts are here too: ids, names and texts a database can store
(a NUL or a lone surrogate gets 422 with the reason; a NUL inside a message's text is left to the
pipeline, which answers it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import ChannelBase
from bot.errors import BotError
from bot.jsonbody import clean_text
from handoff.models import UTCDateTime

ANONYMOUS_PREFIX = "web-"


class WebChatKey(ChannelBase):
    """One issued key (as its SHA-256) and the customer it speaks for; a customer may hold several
    (one per browser)."""

    __tablename__ = "web_chat_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _storable(v: str) -> str:
    clean_text(v, "this field")  # NUL or a lone surrogate: 422 with the reason, nothing stored
    return v


def _storable_text(v: str) -> str:
    clean_text(v.replace("\x00", ""), "the text")  # NUL in the text is refused by the pipeline with a reply
    return v


Storable = Annotated[str, AfterValidator(_storable)]  # an id or a name a database can store


class MessageIn(BaseModel):
    customer: Storable = Field(default="", max_length=200)  # optional: the key says who; must match when given
    # required: a body without it ({}) is 422 naming it; "" is a message with nothing to read (answered so)
    text: Annotated[str, AfterValidator(_storable_text)] = Field(max_length=200_000)
    name: Storable = Field(default="", max_length=200)
    # the page's language (its ?lang= or the browser's): the conversation's until the customer's words say
    # otherwise, so that a refusal of their very first message speaks it; another code is refused (400)
    language: str = Field(default="", max_length=16)


class SessionIn(BaseModel):
    user_id: Storable = Field(default="", max_length=200)  # the embedding site's own user id, with its hash
    user_hash: Storable = Field(default="", max_length=128)


class ButtonIn(BaseModel):
    action: Storable = Field(min_length=1, max_length=100)
    name: Storable = Field(default="", max_length=200)


class IdentityRefused(BotError):
    """The site's identity hash is missing, malformed or wrong, or no identity secret is set."""


def identity_hash(secret: str, user_id: str) -> str:
    """What the embedding site's server computes for its signed-in user: hex HMAC-SHA256 of the
    user id (UTF-8) under the shared secret."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class WebChatKeys:
    """Issue and check web-chat keys. ``identity_secret`` empty: only anonymous sessions."""

    def __init__(self, sessions: sessionmaker[Session], *, identity_secret: str = "") -> None:
        self._sessions = sessions
        self.identity_secret = identity_secret

    def issue(self, *, at: datetime, user_id: str = "", user_hash: str = "") -> tuple[str, str]:
        """A new (customer id, key). With ``user_id`` the site's ``user_hash`` must match
        (``IdentityRefused`` otherwise); without, a fresh anonymous id."""
        if user_id:
            if not self.identity_secret:
                raise IdentityRefused("this server verifies no site identities (WEB_IDENTITY_SECRET is not set)")
            if not hmac.compare_digest(identity_hash(self.identity_secret, user_id), user_hash.strip().lower()):
                raise IdentityRefused("user_hash does not match user_id")
            customer = user_id
        else:
            customer = ANONYMOUS_PREFIX + secrets.token_urlsafe(12)
        key = secrets.token_urlsafe(32)
        with self._sessions() as s:
            s.add(WebChatKey(key_hash=_digest(key), customer_ref=customer, created_at=at))
            s.commit()
        return customer, key

    def customer_of(self, key: str) -> str | None:
        """The customer ``key`` speaks for, or None for an unknown key."""
        if not key or len(key) > 200:
            return None
        with self._sessions() as s:
            return s.scalar(select(WebChatKey.customer_ref).where(WebChatKey.key_hash == _digest(key)))
