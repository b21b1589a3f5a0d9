"""SLA clocks: business-hours calendars per team (time zone, weekdays, holidays) and targets per priority.

All arithmetic is done in UTC on window bounds computed in the team's time zone, so daylight-saving
changes are handled by ``zoneinfo``. A ticket's clock runs only inside business hours and pauses
while the ticket waits on the customer (``Ticket.sla_paused_s`` holds the paused business seconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handoff.clock import as_utc
from handoff.errors import HandoffError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("low", "normal", "high", "urgent")


class SlaConfigError(HandoffError):
    """A policy or calendar that cannot be used."""


def _clock(text: str) -> int:
    """'09:30' -> minutes after midnight; '24:00' is allowed as an end."""
    try:
        h, m = text.strip().split(":")
        minutes = int(h) * 60 + int(m)
    except ValueError as e:
        raise SlaConfigError(f"bad time of day {text!r} (expected HH:MM)") from e
    if not 0 <= minutes <= 24 * 60:
        raise SlaConfigError(f"bad time of day {text!r}")
    return minutes


@dataclass(frozen=True)
class Calendar:
    """Business hours of one team: one window per working day, in the team's time zone."""

    name: str = "always"
    timezone: str = "UTC"
    start_minute: int = 0
    end_minute: int = 24 * 60
    days: frozenset[int] = frozenset(range(7))  # 0 = Monday
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Calendar:
        name = str(raw.get("name", "")).strip()
        if not name:
            raise SlaConfigError("a team calendar needs a name")
        tz = str(raw.get("timezone", "UTC"))
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise SlaConfigError(f"team {name}: unknown time zone {tz!r}") from e
        start, _, end = str(raw.get("hours", "00:00-24:00")).partition("-")
        s, e_ = _clock(start), _clock(end or "24:00")
        if s >= e_:
            raise SlaConfigError(f"team {name}: business hours must start before they end")
        days_raw = raw.get("days", list(DAY_NAMES[:5]))
        try:
            days = frozenset(DAY_NAMES.index(str(d).lower()[:3]) for d in days_raw)
        except ValueError as e:
            raise SlaConfigError(f"team {name}: days are mon..sun, got {days_raw!r}") from e
        try:
            holidays = frozenset(
                h if isinstance(h, date) else date.fromisoformat(str(h))
                for h in raw.get("holidays", []) or []
            )
        except ValueError as e:
            raise SlaConfigError(f"team {name}: holidays are YYYY-MM-DD dates") from e
        return cls(name=name, timezone=tz, start_minute=s, end_minute=e_, days=days, holidays=holidays)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() in self.days and d not in self.holidays

    def _window(self, d: date) -> tuple[datetime, datetime]:
        start = datetime.combine(d, time(self.start_minute // 60, self.start_minute % 60), tzinfo=self.tz)
        if self.end_minute == 24 * 60:
            end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=self.tz)
        else:
            end = datetime.combine(d, time(self.end_minute // 60, self.end_minute % 60), tzinfo=self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def _days_from(self, t: datetime) -> Iterable[date]:
        d = t.astimezone(self.tz).date() - timedelta(days=1)  # a window may start the local day before
        for i in range(3 * 366 + 2):
            yield d + timedelta(days=i)
        raise SlaConfigError(f"calendar {self.name}: no business hours within three years")

    def opens_at(self, t: datetime) -> datetime | None:
        """When business hours next start, if ``t`` is outside them (None when the team is at work)."""
        at = self.add(t, 0)
        return at if at > as_utc(t) else None

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of business time after ``start``."""
        t = as_utc(start)
        remaining = max(0.0, float(seconds))
        for d in self._days_from(t):
            if not self.is_working_day(d):
                continue
            ws, we = self._window(d)
            if we <= t:
                continue
            t = max(t, ws)
            available = (we - t).total_seconds()
            if remaining <= available:
                return t + timedelta(seconds=remaining)
            remaining -= available
            t = we
        raise AssertionError("unreachable")

    def between(self, a: datetime, b: datetime) -> float:
        """Business seconds from ``a`` to ``b`` (0 when b <= a)."""
        a, b = as_utc(a), as_utc(b)
        if b <= a:
            return 0.0
        total = 0.0
        for d in self._days_from(a):
            ws, we = self._window(d)
            if ws >= b:
                break
            if not self.is_working_day(d):
                continue
            lo, hi = max(ws, a), min(we, b)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total


@dataclass(frozen=True)
class SlaPolicy:
    """Targets for one priority, in business minutes."""

    priority: str
    first_response_minutes: float
    resolution_minutes: float


@dataclass(frozen=True)
class SlaBook:
    """Every policy and calendar; ``warn_share`` of a target raises a warning before the breach."""

    policies: dict[str, SlaPolicy] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    default_team: str = ""
    warn_share: float = 0.8

    @classmethod
    def parse(
        cls,
        *,
        policies: Iterable[Mapping[str, Any]],
        teams: Iterable[Mapping[str, Any]],
        default_team: str = "",
        warn_share: float = 0.8,
    ) -> SlaBook:
        pols: dict[str, SlaPolicy] = {}
        for raw in policies:
            pr = str(raw.get("priority", ""))
            if pr not in PRIORITIES:
                raise SlaConfigError(f"policy priority must be one of {', '.join(PRIORITIES)}, got {pr!r}")
            try:
                pols[pr] = SlaPolicy(
                    pr, float(raw["first_response_minutes"]), float(raw["resolution_minutes"])
                )
            except (KeyError, TypeError, ValueError) as e:
                raise SlaConfigError(
                    f"policy {pr}: needs first_response_minutes and resolution_minutes"
                ) from e
        cals = {c.name: c for c in (Calendar.parse(t) for t in teams)}
        if default_team and default_team not in cals:
            raise SlaConfigError(f"default team {default_team!r} has no calendar")
        if not 0 < warn_share < 1:
            raise SlaConfigError("warn_share must be between 0 and 1")
        return cls(policies=pols, calendars=cals, default_team=default_team, warn_share=warn_share)

    def calendar(self, team: str) -> Calendar:
        return self.calendars.get(team) or self.calendars.get(self.default_team) or Calendar()

    def policy(self, priority: str) -> SlaPolicy | None:
        return self.policies.get(priority)


@dataclass(frozen=True)
class SlaView:
    """A ticket's SLA clocks: due times (None while paused or without a policy) and compliance."""

    team: str
    policy: SlaPolicy | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    paused: bool
    paused_seconds: float
    first_response_met: bool | None  # None until decided
    resolution_met: bool | None

    @property
    def compliant(self) -> bool | None:
        """Both targets met (None while either is undecided)."""
        if self.first_response_met is None or self.resolution_met is None:
            return None
        return self.first_response_met and self.resolution_met


def met(done_at: datetime | None, due: datetime | None, now: datetime) -> bool | None:
    """Target met (True), missed (False) or still open and not yet missed (None)."""
    if due is None:
        return None
    due = as_utc(due)
    if done_at is not None:
        return as_utc(done_at) <= due
    return False if as_utc(now) > due else None


def raise_priority(priority: str) -> str:
    i = PRIORITIES.index(priority) if priority in PRIORITIES else 1
    return PRIORITIES[min(i + 1, len(PRIORITIES) - 1)]
