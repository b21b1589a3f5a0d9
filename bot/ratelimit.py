"""Sliding-window counters per key: in this worker's memory, or in Redis or PostgreSQL, shared by every worker."""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)


class SlidingWindow:
    """At most ``limit`` events per key within ``window_s``; ``hit`` says how long to wait when over."""

    def __init__(self, limit: int, window_s: float = 60.0, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one event for ``key``; 0 when allowed, else the seconds until one is allowed (not counted)."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            q = self._events.get(key)
            if q is None:
                if len(self._events) >= self.max_keys:  # forget idle keys rather than grow without bound
                    self._prune(now)
                q = self._events[key] = deque()
            while q and q[0] <= now - self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return max(0.001, q[0] + self.window_s - now)
            q.append(now)
            return 0.0

    def _prune(self, now: float) -> None:
        for k in [k for k, q in self._events.items() if not q or q[-1] <= now - self.window_s]:
            del self._events[k]


# Sliding window in one Redis sorted set per key, atomic (one script call), on the Redis server's clock so
# that every worker and host counts the same events. Returns "0" when counted, else the seconds to wait.
_WINDOW_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(math.max(0.001, tonumber(oldest[2]) + window - now))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""


class RedisWindow:
    """The same limit as :class:`SlidingWindow`, counted in Redis and so shared by every worker on every
    host. A Redis that does not answer is logged and the event counted in this worker's memory instead
    (a limit is no reason to turn customers away)."""

    def __init__(self, url: str, limit: int, window_s: float = 60.0, *, prefix: str = "aftercare:rate:") -> None:
        import redis

        self.limit = limit
        self.window_s = window_s
        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_WINDOW_SCRIPT)
        self._fallback = SlidingWindow(limit, window_s)
        self._seq = itertools.count()
        self._tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def hit(self, key: str) -> float:
        """Count one event for ``key``; 0 when allowed, else the seconds until one is allowed (not counted)."""
        if self.limit <= 0:
            return 0.0
        import redis

        member = f"{self._tag}-{next(self._seq)}"
        try:
            wait = float(self._script(keys=[self.prefix + key], args=[self.window_s, self.limit, member]))
        except (redis.RedisError, OSError, ValueError) as e:
            log.warning("rate limit: Redis unavailable (%s); counting in this worker", e)
            return self._fallback.hit(key)
        return wait


class DatabaseWindow:
    """The same limit as :class:`SlidingWindow`, counted in the application's PostgreSQL database and so
    shared by every worker on every host, for deployments without Redis. Each event is a row of an
    UNLOGGED table (``aftercare_rate_events``: fast, not written to the WAL, emptied by a crash of the
    server, which only forgets the last minute's counts), created on first use; the events of one key
    are counted under a transaction-level advisory lock on the key, on the database server's clock.
    One transaction of four short statements per event. A database that does not answer is logged and
    the event counted in this worker's memory instead."""

    TABLE = "aftercare_rate_events"

    def __init__(self, engine: Engine, limit: int, window_s: float = 60.0) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("the rate limit is counted in the database only on PostgreSQL")
        self.engine = engine
        self.limit = limit
        self.window_s = window_s
        self._fallback = SlidingWindow(limit, window_s)
        self._ready = False

    def _create(self) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('aftercare_rate_events', 0))"))
            conn.execute(text(f"CREATE UNLOGGED TABLE IF NOT EXISTS {self.TABLE} "
                              "(key text NOT NULL, at double precision NOT NULL)"))
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {self.TABLE}_key_at ON {self.TABLE} (key, at)"))
        self._ready = True

    def hit(self, key: str) -> float:
        """Count one event for ``key``; 0 when allowed, else the seconds until one is allowed (not counted)."""
        if self.limit <= 0:
            return 0.0
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        k = key[:300]
        try:
            if not self._ready:
                self._create()
            with self.engine.begin() as conn:
                now = float(conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0)), "
                                              "extract(epoch from clock_timestamp())"), {"k": k}).one()[1])
                conn.execute(text(f"DELETE FROM {self.TABLE} WHERE key = :k AND at <= :old"),
                             {"k": k, "old": now - self.window_s})
                n, oldest = conn.execute(text(f"SELECT count(*), min(at) FROM {self.TABLE} WHERE key = :k"),
                                         {"k": k}).one()
                if int(n) >= self.limit:
                    return max(0.001, float(oldest) + self.window_s - now)
                conn.execute(text(f"INSERT INTO {self.TABLE} (key, at) VALUES (:k, :now)"), {"k": k, "now": now})
                return 0.0
        except SQLAlchemyError as e:
            log.warning("rate limit: database unavailable (%s); counting in this worker", e.__class__.__name__)
            return self._fallback.hit(key)


Limiter = SlidingWindow | RedisWindow | DatabaseWindow


def window(limit: int, window_s: float = 60.0, *, redis_url: str = "", engine: Engine | None = None) -> Limiter:
    """A limiter of ``limit`` events per ``window_s`` per key: shared through Redis when ``redis_url`` is
    set, else through the PostgreSQL database of ``engine`` when given, else in this worker's memory."""
    if redis_url:
        return RedisWindow(redis_url, limit, window_s)
    if engine is not None:
        return DatabaseWindow(engine, limit, window_s)
    return SlidingWindow(limit, window_s)
