"""A sliding-window counter per key, in this worker's memory (for limits that need no database)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


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
