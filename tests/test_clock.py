"""One clock, injected once: what ``Aftercare(clock=...)`` is given is the time of every part of the
desk (tickets, their audit trail, SLA due times, alerts), and nobody can swap it afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handoff.clock import ManualClock, as_utc
from handoff.jobs import run_due
from tests.conftest import FakeChannel

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, in the support team's business hours


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 10, 0))  # naive: read as UTC
    assert clock() == START and clock() == START
    assert clock.advance(hours=2, minutes=30) == START + timedelta(hours=2, minutes=30)
    assert clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert as_utc(datetime(2026, 3, 2, 11, 0, tzinfo=UTC).astimezone()) == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_the_injected_clock_is_the_desks_time_and_cannot_be_swapped(make_app) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    ac = make_app(clock=clock)
    assert ac.clock is clock and ac.handoff.now is clock
    with pytest.raises(AttributeError):
        ac.handoff.now = lambda: START  # the desk's time is given once, at construction

    tid = FakeChannel(ac).push("the app crashes every time I upload a photo", customer="cleo").ticket_id
    assert tid
    t = ac.handoff.get(tid)
    assert t.created_at == START
    assert all(e.at == START for e in ac.handoff.events(tid))
    assert t.first_response_due is not None and t.first_response_due > START

    clock.set(t.first_response_due + timedelta(minutes=1))  # the jobs read the same clock
    assert run_due(ac.handoff).breaches == 1
    breach = next(a for a in ac.handoff.alerts() if a.kind == "sla_breach" and a.ticket == tid)
    assert breach.created_at == clock()
    assert ac.handoff.sla(tid).first_response_met is False
