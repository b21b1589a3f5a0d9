"""Accounts (argon2-hashed passwords), login sessions with their CSRF token, and login rate limiting."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.console.errors import ConsoleError, LoginRefused, TooManyAttempts
from bot.console.models import ROLES, ConsoleSession, ConsoleUser, LoginFailure

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$")
MIN_PASSWORD = 8
# Access per page family; admin reaches everything.
AREAS: dict[str, tuple[str, ...]] = {
    "agent": ("agent", "admin"),
    "editor": ("editor", "admin"),
    "reports": ("agent", "editor", "admin"),
    "admin": ("admin",),
}


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool

    def can(self, area: str) -> bool:
        return self.role in AREAS[area]


@dataclass(frozen=True)
class LoginSession:
    token: str  # the cookie value; only its hash is stored
    csrf: str
    user: User
    expires_at: datetime


def _user(u: ConsoleUser) -> User:
    return User(id=u.id, name=u.name, role=u.role, active=u.active)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class UserStore:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] | None = None,
                 session_hours: float = 12.0, max_failures: int = 5, window_s: int = 900) -> None:
        self._sessions = sessions
        self.now = clock or (lambda: datetime.now(UTC))
        self.session_hours = session_hours
        self.max_failures = max_failures
        self.window_s = window_s
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    # -- accounts -------------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str) -> User:
        if not NAME.match(name):
            raise ConsoleError(f"user name {name!r}: letters, digits, '.', '_', '@', '-' (at most 120)")
        if role not in ROLES:
            raise ConsoleError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise ConsoleError(f"a password needs at least {MIN_PASSWORD} characters")
        with self._sessions() as s:
            u = ConsoleUser(name=name, role=role, password_hash=self._hasher.hash(password), active=True,
                            created_at=self.now())
            s.add(u)
            try:
                s.commit()
            except IntegrityError as e:
                raise ConsoleError(f"a user named {name!r} exists already") from e
            return _user(u)

    def set_password(self, name: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ConsoleError(f"a password needs at least {MIN_PASSWORD} characters")
        with self._sessions() as s:
            u = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
            if u is None:
                raise ConsoleError(f"no user named {name!r}")
            u.password_hash = self._hasher.hash(password)
            s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == u.id))
            s.commit()

    def set_active(self, name: str, active: bool) -> None:
        with self._sessions() as s:
            u = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
            if u is None:
                raise ConsoleError(f"no user named {name!r}")
            u.active = active
            if not active:
                s.execute(delete(ConsoleSession).where(ConsoleSession.user_id == u.id))
            s.commit()

    def list(self) -> list[User]:
        with self._sessions() as s:
            return [_user(u) for u in s.scalars(select(ConsoleUser).order_by(ConsoleUser.name))]

    # -- login ----------------------------------------------------------------------------------

    def _recent_failures(self, s: Session, key: str) -> tuple[int, datetime | None]:
        since = self.now() - timedelta(seconds=self.window_s)
        n, oldest = s.execute(select(func.count(), func.min(LoginFailure.at))
                              .where(LoginFailure.key == key, LoginFailure.at > since)).one()
        return int(n or 0), _aware(oldest) if oldest else None

    def login(self, name: str, password: str, *, client: str) -> LoginSession:
        """Check the password and open a session; raise TooManyAttempts or LoginRefused."""
        key = f"{name.strip().lower()[:120]}|{client[:120]}"
        with self._sessions() as s:
            n, oldest = self._recent_failures(s, key)
            if n >= self.max_failures and oldest is not None:
                wait = oldest + timedelta(seconds=self.window_s) - self.now()
                raise TooManyAttempts(max(1, int(wait.total_seconds()) + 1))
            u = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name.strip()))
            ok = False
            try:
                # verify against a dummy hash for unknown names: the same time either way
                ok = self._hasher.verify(u.password_hash if u else self._dummy, password) and u is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            if not ok or u is None or not u.active:
                s.add(LoginFailure(key=key, at=self.now()))
                s.commit()
                raise LoginRefused("wrong user name or password")
            if self._hasher.check_needs_rehash(u.password_hash):
                u.password_hash = self._hasher.hash(password)
            s.execute(delete(LoginFailure).where(LoginFailure.key == key))
            s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < self.now()))
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = self.now() + timedelta(hours=self.session_hours)
            s.add(ConsoleSession(token_hash=_digest(token), user_id=u.id, csrf=csrf, created_at=self.now(),
                                 expires_at=expires))
            s.commit()
            return LoginSession(token=token, csrf=csrf, user=_user(u), expires_at=expires)

    def session(self, token: str) -> LoginSession | None:
        """The live session of a cookie token, or None (unknown, expired, disabled user)."""
        if not token:
            return None
        with self._sessions() as s:
            row = s.execute(select(ConsoleSession, ConsoleUser).join(ConsoleUser)
                            .where(ConsoleSession.token_hash == _digest(token))).first()
            if row is None:
                return None
            sess, u = row
            if _aware(sess.expires_at) <= self.now() or not u.active:
                return None
            return LoginSession(token=token, csrf=sess.csrf, user=_user(u), expires_at=_aware(sess.expires_at))

    def logout(self, token: str) -> None:
        with self._sessions() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))
            s.commit()
