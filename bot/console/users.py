"""Accounts (argon2-hashed passwords), login sessions with their CSRF token, and login rate limiting."""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.console.errors import ConsoleError, LoginBusy, LoginRefused, TooManyAttempts
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


class UserStore:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime] | None = None,
                 session_hours: float = 12.0, max_failures: int = 5, window_s: int = 900,
                 address_max_failures: int = 20, hash_slots: int = 2, hash_wait_s: float = 10.0) -> None:
        self._sessions = sessions
        self.now = clock or (lambda: datetime.now(UTC))
        self.session_hours = session_hours
        self.max_failures = max_failures
        self.address_max_failures = address_max_failures
        self.window_s = window_s
        self.hash_wait_s = hash_wait_s
        self._slots = threading.BoundedSemaphore(max(1, hash_slots))
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
        return int(n or 0), oldest

    def _count_attempt(self, name_key: str, addr_key: str) -> builtins.list[int]:
        """Record the attempt as a failure before any password is checked, then count: of simultaneous
        attempts, the one committed k-th sees at least k, so no more than the limit get a password check.
        Raise TooManyAttempts (the attempt's rows removed again) when the name or the address is over."""
        now = self.now()
        with self._sessions() as s:
            rows = [LoginFailure(key=name_key, at=now), LoginFailure(key=addr_key, at=now)]
            s.add_all(rows)
            s.commit()
            ids = [r.id for r in rows]
            waits = []
            for key, limit in ((name_key, self.max_failures), (addr_key, self.address_max_failures)):
                n, oldest = self._recent_failures(s, key)
                if limit > 0 and n > limit and oldest is not None:
                    waits.append(oldest + timedelta(seconds=self.window_s) - now)
            if waits:
                s.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))
                s.commit()
                raise TooManyAttempts(max(1, int(max(waits).total_seconds()) + 1))
        return ids

    def _verify(self, stored: str, password: str) -> bool:
        """argon2 check in one of ``hash_slots`` slots (each costs 64 MiB); LoginBusy when none frees in time."""
        if not self._slots.acquire(timeout=self.hash_wait_s):
            raise LoginBusy(2)
        try:
            return bool(self._hasher.verify(stored, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        finally:
            self._slots.release()

    def login(self, name: str, password: str, *, client: str) -> LoginSession:
        """Check the password and open a session; raise TooManyAttempts, LoginBusy or LoginRefused.

        Limits: ``max_failures`` per user name from any address and ``address_max_failures`` per client
        address over any names, both within ``window_s``; ``client`` is the connection's address (or the
        one a configured trusted proxy gave)."""
        name_key = f"name:{name.strip().lower()[:120]}"
        addr_key = f"addr:{client[:120]}"
        attempt = self._count_attempt(name_key, addr_key)
        with self._sessions() as s:
            u = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name.strip()))
        # verify against a dummy hash for unknown names: the same time either way
        ok = self._verify(u.password_hash if u else self._dummy, password) and u is not None
        if not ok or u is None or not u.active:
            raise LoginRefused("wrong user name or password")
        with self._sessions() as s:
            row = s.get(ConsoleUser, u.id)
            if row is None:
                raise LoginRefused("wrong user name or password")
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            s.execute(delete(LoginFailure).where(LoginFailure.key == name_key))
            s.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt)))
            s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < self.now()))
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = self.now() + timedelta(hours=self.session_hours)
            s.add(ConsoleSession(token_hash=_digest(token), user_id=row.id, csrf=csrf, created_at=self.now(),
                                 expires_at=expires))
            s.commit()
            return LoginSession(token=token, csrf=csrf, user=_user(row), expires_at=expires)

    def prune(self, before: datetime) -> int:
        """Delete failed-login records older than ``before`` (the periodic job, past the retention)."""
        with self._sessions() as s:
            n = s.execute(delete(LoginFailure).where(LoginFailure.at < before)).rowcount  # type: ignore[attr-defined]
            s.commit()
            return int(n or 0)

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
            if sess.expires_at <= self.now() or not u.active:
                return None
            return LoginSession(token=token, csrf=sess.csrf, user=_user(u), expires_at=sess.expires_at)

    def logout(self, token: str) -> None:
        with self._sessions() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))
            s.commit()


def active_agents(sessions: sessionmaker[Session], desk_agents: Iterable[str]) -> list[str]:
    """Who a ticket can be assigned to, sorted: enabled console users with the agent or admin role and
    the desk's agents (``aftercare agents set``), less disabled accounts and editors."""
    with sessions() as s:
        users = {u.name: u for u in s.scalars(select(ConsoleUser))}
    names = {n for n, u in users.items() if u.active and u.role in ("agent", "admin")}
    names |= {n for n in desk_agents if n not in users}
    return sorted(names)
