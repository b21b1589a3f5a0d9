"""SLA clocks: business-hours arithmetic across a weekend and a holiday, pause and resume while waiting
on the customer, warnings and breaches as alerts that raise the priority, compliance per ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handoff.clock import ManualClock
from handoff.jobs import run_due
from handoff.sla import Calendar, SlaConfigError
from tests.conftest import FakeChannel
from tests.desk_support import Cli

BERLIN = {
    "name": "support",
    "timezone": "Europe/Berlin",
    "hours": "09:00-17:00",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "holidays": ["2025-12-22", "2026-12-28"],
}


def berlin(*a: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*a, tzinfo=ZoneInfo("Europe/Berlin"))  # type: ignore[misc]


def test_business_hours_across_a_weekend_and_a_holiday() -> None:
    cal = Calendar.parse(BERLIN)
    # Friday 2026-12-25 16:00 + 3 business hours: 1 h on Friday, weekend, Monday 28th is a holiday,
    # so 2 h on Tuesday: 11:00 Berlin time.
    fri = berlin(2026, 12, 25, 16, 0)
    due = cal.add(fri, 3 * 3600)
    assert due == berlin(2026, 12, 29, 11, 0)
    assert cal.between(fri, due) == 3 * 3600
    # starting on a Saturday night counts from Tuesday 09:00
    assert cal.add(berlin(2026, 12, 26, 23, 0), 60) == berlin(2026, 12, 29, 9, 1)
    # a whole week of 40 business hours from Monday 09:00 ends the next Monday at 17:00 (no holiday then)
    assert cal.add(berlin(2026, 12, 7, 9, 0), 40 * 3600) == berlin(2026, 12, 11, 17, 0)
    assert cal.between(berlin(2026, 12, 5, 0, 0), berlin(2026, 12, 7, 0, 0)) == 0  # a weekend
    # across the switch to summer time the working day still has 8 hours
    assert cal.add(berlin(2026, 3, 27, 17, 0), 8 * 3600) == berlin(2026, 3, 30, 17, 0)
    assert Calendar().add(datetime(2026, 1, 3, 12, tzinfo=UTC), 3600) == datetime(2026, 1, 3, 13, tzinfo=UTC)


def test_bad_calendar_is_refused_naming_it() -> None:
    with pytest.raises(SlaConfigError, match="Mars/Olympus"):
        Calendar.parse({**BERLIN, "timezone": "Mars/Olympus"})
    with pytest.raises(SlaConfigError, match="start before"):
        Calendar.parse({**BERLIN, "hours": "18:00-09:00"})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def desk(make_app, clock: ManualClock):  # type: ignore[no-untyped-def]
    ac = make_app(
        clock=clock,
        sla={
            "teams": [
                BERLIN,
                {
                    "name": "response",
                    "timezone": "UTC",
                    "hours": "00:00-24:00",
                    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                },
            ]
        }
    )
    return ac


def test_pause_while_waiting_and_resume_on_the_customers_reply(desk, clock: ManualClock) -> None:  # type: ignore[no-untyped-def]
    ac = desk
    clock.set(berlin(2025, 12, 17, 10, 0))  # Wednesday 10:00 Berlin
    chat = FakeChannel(ac)
    out = chat.push("the app crashes every time I upload a photo", customer="paula")
    tid = out.ticket_id
    assert tid and out.priority == "high"  # high: first response 60 min, resolution 480 business min
    t = ac.handoff.get(tid)
    assert t.team == "support"
    assert t.first_response_due == berlin(2025, 12, 17, 11, 0)
    assert t.resolution_due == berlin(2025, 12, 18, 10, 0)  # 7 h on Wednesday, 1 h on Thursday

    clock.advance(minutes=30)
    ac.handoff.reply(tid, "ann", "Which phone and app version do you use?")
    ac.handoff.wait(tid, "ann")
    sla = ac.handoff.sla(tid)
    assert sla.paused and sla.resolution_due is None and sla.first_response_met is True

    # the customer answers after the weekend and the Monday holiday: Tuesday 23rd 12:00
    clock.set(berlin(2025, 12, 23, 12, 0))
    reply = chat.push("It's a Pixel 8 with version 4.2", customer="paula")
    assert reply.action == "joined" and reply.ticket_id == tid
    t = ac.handoff.get(tid)
    assert t.status == "assigned"
    sla = ac.handoff.sla(tid)
    # paused Wed 10:30 -> Tue 12:00: Wed 6.5 h, Thu 8 h, Fri 8 h, weekend and holiday 0, Tue 3 h
    assert sla.paused_seconds == pytest.approx((6.5 + 8 + 8 + 3) * 3600)
    assert sla.resolution_due == Calendar.parse(BERLIN).add(berlin(2025, 12, 18, 10, 0), sla.paused_seconds)
    assert sla.resolution_due == berlin(2025, 12, 24, 11, 30)
    kinds = [e.kind for e in ac.handoff.events(tid)]
    assert kinds[-2:] == ["waiting", "resumed"]

    clock.set(berlin(2025, 12, 24, 11, 0))
    ac.handoff.resolve(tid, "ann", "Fixed in 4.2.1", notice="fixed")
    sla = ac.handoff.sla(tid)
    assert sla.first_response_met is True and sla.resolution_met is True and sla.compliant is True


def test_warning_then_breach_alerts_raise_priority_once(  # type: ignore[no-untyped-def]
        desk, clock: ManualClock, monkeypatch, capsys, embedder) -> None:
    ac = desk
    clock.set(berlin(2025, 12, 16, 9, 0))  # Tuesday
    chat = FakeChannel(ac)
    tid = chat.push("my order never arrived and the tracking shows nothing", customer="omar").ticket_id
    assert tid
    t = ac.handoff.get(tid)
    first_due = t.first_response_due
    assert first_due is not None
    start = ac.handoff.alerts()
    after = start[-1].id if start else 0

    clock.set(first_due - timedelta(minutes=30))
    assert run_due(ac.handoff).warnings == 0
    clock.set(first_due - timedelta(minutes=5))  # past 80% of the target
    r = run_due(ac.handoff)
    assert (r.warnings, r.breaches) == (1, 0)
    clock.set(first_due + timedelta(minutes=1))
    r = run_due(ac.handoff)
    assert r.breaches == 1
    assert run_due(ac.handoff) == type(r)(0, 0, 0)  # each warning and breach is raised once
    alerts = [a for a in ac.handoff.alerts(after) if a.kind.startswith("sla_")]  # not the unassigned one
    assert [(a.kind, a.severity, a.ticket) for a in alerts] == [
        ("sla_warning", "warning", tid),
        ("sla_breach", "critical", tid),
    ]
    assert "first response target missed" in alerts[1].text
    assert ac.handoff.alerts(alerts[-1].id) == []
    raised = ac.handoff.get(tid)
    assert raised.priority == {"normal": "high", "high": "urgent", "low": "normal"}[t.priority]
    assert ac.handoff.sla(tid).first_response_met is False
    events = ac.handoff.events(tid)
    assert [e.kind for e in events if e.actor == "sla"] == ["sla_warning", "priority", "sla_breach"]

    cli = Cli(ac, monkeypatch, capsys, embedder)
    out = cli("tickets", "show", tid)
    assert "SLA first response due" in out and "(missed;" in out
    assert "sla: sla_breach" in out and "bot: created" in out
    assert "sla_breach" in cli("alerts")
    # from cron, with the real clock (later than this test's dates): the resolution is late too
    assert "breaches 1" in cli("jobs", "run-once")
