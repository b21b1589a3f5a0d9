"""The desk report on a generated week (clock injected): volume, times, SLA compliance, CSAT trend,
deflection; JSON and a self-contained HTML file with inline SVG charts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.workflows import resolve_ticket
from handoff.clock import ManualClock
from handoff.reports import build_report
from tests.conftest import FakeChannel
from tests.desk_support import Cli

START = datetime(2025, 11, 5, 9, 0, tzinfo=UTC)  # a Wednesday; the week runs to Tuesday 11th
FAULTS = [
    "the camera stopped recording last night and shows offline",
    "live view is stuck on loading forever",
    "the app crashes every time I open the event history",
    "night vision image is completely black",
    "the camera keeps disconnecting from wifi every hour",
    "the recording download fails with an error",
    "the siren does not sound when motion is detected",
]
QUESTIONS = ["how do I reset my password?", "how do I update the firmware?"]
SCORES = [5, 4, 3, 5, 2, 4]
BURST = [
    "I can't pay, the checkout page gives error 500",
    "payment page shows error 500 at checkout",
    "error 500 when paying for my order",
]


def generate_week(app, clock: ManualClock) -> list[str]:  # type: ignore[no-untyped-def]
    """Seven days: two questions answered by the bot and one fault ticket a day. Ticket d gets its first
    reply after 15*(d+1) minutes and is resolved after 60*(d+1) minutes (the last stays open) and rated.
    On Friday afternoon three customers report the same checkout error: one problem, resolved at 15:00."""
    from bot.messages import IncomingMessage
    from bot.workflows import resolve_problem

    clock.set(START)
    tickets = []
    for d in range(7):
        day = START + timedelta(days=d)
        for i, q in enumerate(QUESTIONS):
            clock.set(day + timedelta(minutes=5 + i))
            out = FakeChannel(app, "web").push(q, customer=f"q{d}{i}")
            assert out.action == "answer", (q, out)
        clock.set(day)
        channel = "web" if d % 2 == 0 else "telegram"
        meta = {"product": "cam-pro"} if d % 3 == 0 else {}
        out = app.pipeline.handle(
            IncomingMessage(channel=channel, customer=f"f{d}", text=FAULTS[d], meta=meta)
        )
        assert out.action == "escalate", (FAULTS[d], out)
        tid = out.ticket_id
        tickets.append(tid)
        if d == 6:
            continue
        clock.set(day + timedelta(minutes=15 * (d + 1)))
        app.handoff.reply(tid, "ann", "Looking into it now.")
        clock.set(day + timedelta(minutes=60 * (d + 1)))
        resolve_ticket(app, tid, "ann", "Fixed with a firmware rollback.", propose=False)
        clock.advance(minutes=5)
        app.handoff.rate(tid, SCORES[d])
        if d == 2:
            for i, text in enumerate(BURST):
                clock.set(day + timedelta(hours=5, minutes=5 * i))
                assert FakeChannel(app, "web").push(text, customer=f"p{i}").action == "escalate"
            clock.set(day + timedelta(hours=6))
            (problem,) = app.handoff.problems()
            assert len(resolve_problem(app, problem.public_id, "ops", "Payment certificate renewed.")) == 3
    clock.set(START + timedelta(days=7))
    return tickets


def test_a_week_of_the_desk_in_one_report(make_app, monkeypatch, capsys, embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    app = make_app(clock=clock)
    tickets = generate_week(app, clock)
    r = build_report(app.sessions, since=START, until=START + timedelta(days=7), calendar=app.handoff.desk.sla.calendar)
    assert r.tickets == 10
    assert {c.key: c.n for c in r.by_channel} == {"web": 7, "telegram": 3}
    assert {c.key: c.n for c in r.by_product} == {"cam-pro": 3, "(none)": 7}
    assert {c.key: c.n for c in r.by_label} == {"fault": 10}
    assert [c.n for c in r.daily] == [1, 1, 4, 1, 1, 1, 1, 0]
    assert [(p.tickets, p.status, p.incident) for p in r.top_problems] == [(3, "resolved", True)]
    # first responses 15..90 min, plus 60, 55, 50 for the problem's tickets (the resolution notice)
    assert (
        r.first_response.count,
        r.first_response.mean_min,
        r.first_response.median_min,
        r.first_response.p90_min,
    ) == (9, 53.3, 55.0, 78.0)
    assert (r.resolution.count, r.resolution.mean_min, r.resolution.median_min, r.resolution.p90_min) == (
        9,
        158.3,
        120.0,
        312.0,
    )
    # in business hours (support: 09:00-17:00 UTC, Monday to Friday) the weekend's tickets, created and
    # answered on Saturday and Sunday, took no time at all; the rest is inside hours, as on the clock
    frt_biz, res_biz = r.first_response_business, r.resolution_business
    assert (frt_biz.count, frt_biz.mean_min, frt_biz.median_min, frt_biz.p90_min) == (9, 38.3, 45.0, 66.0)
    assert (res_biz.count, res_biz.mean_min, res_biz.median_min, res_biz.p90_min) == (9, 98.3, 60.0, 216.0)
    # compliance per ticket, as each ticket shows it, adds up to the report's figures
    views = [app.handoff.sla(t.id) for t in app.handoff.list(status=None)]
    assert r.sla_first_response.met == sum(v.first_response_met is True for v in views)
    assert r.sla_first_response.total == sum(v.first_response_met is not None for v in views)
    # with the problem's three: first response 7 of 10 in time. Missed: Monday's 90 min, the open one,
    # and "I can't pay, the checkout page gives error 500": a customer who cannot pay is urgent (30 min
    # first-response target) and heard first from the problem's resolution notice an hour later
    urgent = [t for t in app.handoff.list(status=None) if t.priority == "urgent"]
    assert [t.subject for t in urgent] == [BURST[0]]
    assert app.handoff.sla(urgent[0].id).first_response_met is False
    assert (r.sla_first_response.met, r.sla_first_response.total) == (7, 10)
    assert (r.sla_resolution.met, r.sla_resolution.total) == (9, 10)
    assert (r.sla_tickets.met, r.sla_tickets.total) == (7, 10)
    assert r.sla_resolution.met == sum(v.resolution_met is True for v in views)
    last = app.handoff.sla(tickets[6])
    assert last.first_response_met is False and last.resolution_met is False  # still open, overdue
    assert r.csat_count == 6 and r.csat_average == round(sum(SCORES) / 6, 2)
    assert [(w.week, w.ratings, w.average) for w in r.csat_weekly] == [
        ("2025-W45", 5, 3.8),
        ("2025-W46", 1, 4.0),
    ]
    dfl = r.deflection
    assert (dfl.bot_answers, dfl.escalations, dfl.conversations, dfl.answered_without_person) == (
        14,
        10,
        24,
        14,
    )
    assert dfl.rate == round(14 / 24, 3)

    # two customers press the buttons under their answers (the channels' feedback)
    from bot.feedback import record_feedback

    for customer, verdict in (("q00", "helped"), ("q11", "human")):
        answer = next(
            m for m in app.handoff.customer_messages("web", customer) if m.meta.get("kind") == "answer"
        )
        assert record_feedback(app.sessions, "web", customer, answer.id, verdict, at=app.handoff.now())

    cli = Cli(app, monkeypatch, capsys, embedder)
    out_json = tmp_path / "week.json"
    cli("report", "--since", "2025-11-05", "--format", "json", "-o", str(out_json))
    data = json.loads(out_json.read_text())
    assert data["tickets"] == 10 and data["csat_average"] == r.csat_average
    assert data["deflection"]["rate"] == dfl.rate and data["first_response"]["median_min"] == 55.0
    assert data["resolution_business"]["median_min"] == 60.0 and data["resolution"]["median_min"] == 120.0
    assert data["sla_first_response"]["share"] is not None
    assert (data["deflection"]["helpful"], data["deflection"]["not_helpful"]) == (1, 1)
    assert data["not_helpful_cases"] == [{"key": "firmware-update", "n": 1}]  # q11 asked about the firmware
    out_html = tmp_path / "week.html"
    cli("report", "--since", "2025-11-05", "--format", "html", "-o", str(out_html))
    html = out_html.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 5
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert "https://" not in html and "<script" not in html
    assert "resolution, business hours" in html and "Answers customers said did not help" in html
    assert "2025-W45" in html and "cam-pro" in html and "58.3%" in html and "PRB-0001" in html


def test_business_time_leaves_out_nights_and_waiting_on_the_customer(make_app) -> None:  # type: ignore[no-untyped-def]
    """Created Monday 10:00, answered 10:30 and put on waiting; the customer writes back Tuesday 10:00;
    resolved 11:00. On the clock the resolution took 25 hours; in business time 30 + 60 minutes."""
    monday = datetime(2025, 11, 10, 10, 0, tzinfo=UTC)
    clock = ManualClock(monday)
    app = make_app(clock=clock)
    chat = FakeChannel(app)
    tid = chat.push(FAULTS[0], customer="wes").ticket_id
    assert tid
    clock.set(monday + timedelta(minutes=30))
    app.handoff.reply(tid, "ann", "Which firmware version does the camera show?")
    app.handoff.wait(tid, "ann")
    clock.set(monday + timedelta(hours=24))
    assert chat.push("version 2.1.4", customer="wes").ticket_id == tid
    clock.set(monday + timedelta(hours=25))
    resolve_ticket(app, tid, "ann", "Updated to 2.2, recording is back.", propose=False)
    r = build_report(app.sessions, since=monday - timedelta(days=1), until=monday + timedelta(days=2),
                     calendar=app.handoff.desk.sla.calendar)
    assert (r.first_response.median_min, r.resolution.median_min) == (30.0, 1500.0)
    assert (r.first_response_business.median_min, r.resolution_business.median_min) == (30.0, 90.0)
    assert r.sla_resolution.met == 1  # high priority: 480 business minutes
