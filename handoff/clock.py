"""Time for the desk: one clock, injected once (``Aftercare(clock=...)`` hands it to the desk's parts).

A clock is any callable that returns the current moment as a timezone-aware UTC ``datetime``
(:class:`Clock`). :func:`system_clock` is the wall clock; :class:`ManualClock` is a clock that only
moves when told to, for tests, simulations and replays (SLA warnings and breaches, auto-close,
reports over a week of traffic).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """The current moment: ``clock()`` returns a timezone-aware ``datetime`` in UTC."""

    def __call__(self) -> datetime: ...


def as_utc(t: datetime) -> datetime:
    """``t`` in UTC; a naive ``t`` is read as UTC (SQLite hands back naive datetimes)."""
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def iso_utc(t: datetime | None) -> str | None:
    """``t`` as an ISO 8601 string in UTC (None stays None): how times go into JSON event data."""
    return as_utc(t).isoformat() if t is not None else None


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until moved: ``clock()`` is the time set, ``advance(hours=2)`` and
    ``set(t)`` move it. Naive datetimes are read as UTC.

    >>> clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    >>> clock.advance(minutes=30).isoformat()
    '2026-03-02T09:30:00+00:00'
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.t = as_utc(start) if start is not None else system_clock()

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)`` (days, hours, minutes, seconds, ...); returns the new
        time. A negative delta moves it back."""
        self.t += timedelta(**delta)
        return self.t

    def set(self, t: datetime) -> datetime:
        """Jump to ``t`` (earlier or later); returns it in UTC."""
        self.t = as_utc(t)
        return self.t
