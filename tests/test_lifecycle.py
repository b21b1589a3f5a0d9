"""Ticket lifecycle and assignment: waiting on the customer, reopen within the window, auto-close,
reassign, priority, merge, the audit trail; queues, round-robin, critical routing, concurrent claims."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from handoff.clock import ManualClock
from handoff.jobs import run_due
from tests.conftest import FakeChannel
from tests.desk_support import Cli

CRASH = "the app crashes every time I upload a photo"


def test_wait_resume_reopen_and_auto_close(make_app, monkeypatch, capsys, embedder) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(datetime.now(UTC))
    app = make_app(clock=clock)
    cli = Cli(app, monkeypatch, capsys, embedder)
    chat = FakeChannel(app)
    tid = chat.push(CRASH, customer="alice").ticket_id
    assert tid
    assert "claimed by ann" in cli("tickets", "claim", tid, "--agent", "ann")
    assert "already held by ann" in cli("tickets", "claim", tid, "--agent", "bob", code=1)
    cli("tickets", "reply", tid, "Which version of the app?", "--agent", "ann")
    cli("tickets", "reply", tid, "probably the new uploader", "--agent", "ann", "--note")
    assert "waits on the customer" in cli("tickets", "wait", tid, "--agent", "ann")
    assert app.handoff.get(tid).status == "waiting"
    out = chat.push("version 4.2 on Android", customer="alice")
    assert out.action == "joined" and out.ticket_id == tid
    assert app.handoff.get(tid).status == "assigned"
    # internal notes never reach the customer
    seen = [r.text for r in chat.pop(customer="alice")]
    assert "Which version of the app?" in " ".join(seen) and "uploader" not in " ".join(seen)

    assert "resolved" in cli("tickets", "resolve", tid, "Fixed in 4.2.1, please update", "--agent", "ann")
    # a thank-you after the resolution does not reopen the ticket
    clock.advance(minutes=10)
    thanks = chat.push("thank you!", customer="alice")
    assert thanks.action == "reply" and app.handoff.get(tid).status == "resolved"
    # the customer writes within the reopen window: the ticket reopens and takes the message
    clock.advance(hours=2)
    again = chat.push("it still crashes after the update", customer="alice")
    assert again.action == "joined" and again.ticket_id == tid
    t = app.handoff.get(tid)
    assert t.status == "assigned" and t.assignee == "ann" and t.resolved_at is None
    cli("tickets", "resolve", tid, "Cache cleared on the server", "--agent", "ann")
    # quiet for longer than auto_close_hours (168): the periodic job closes it
    clock.advance(hours=169)
    assert run_due(app.handoff).closed == 1
    assert app.handoff.get(tid).status == "closed"
    # past the reopen window a new message starts afresh
    later = chat.push("the app crashes again when I upload a video", customer="alice")
    assert later.ticket_id != tid

    kinds = [e.kind for e in app.handoff.events(tid)]
    assert kinds == [
        "created",
        "claimed",
        "replied",
        "note",
        "waiting",
        "resumed",
        "resolved",
        "reopened",
        "resolved",
        "closed",
    ]
    assert all(e.actor and e.at for e in app.handoff.events(tid))
    show = cli("tickets", "show", tid)
    assert "ann: waiting" in show and "customer: resumed" in show and "customer: reopened" in show
    assert "system: closed" in show and "SLA resolution due" in show
    assert "reopened" in cli("tickets", "reopen", tid, "--agent", "ann")


def test_reassign_priority_merge_close(app, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    chat = FakeChannel(app)
    a = chat.push("I can't log in, the password reset email never arrives", customer="bob").ticket_id
    b = chat.push("my password reset mail does not come, I am locked out", customer="carol").ticket_id
    assert a and b and a != b
    due_before = app.handoff.get(a).resolution_due
    cli("agents", "set", "dan", "--away")
    cli("agents", "set", "lead", "--away")  # the team lead acts on tickets; an agent, away from the rotation
    cli("tickets", "assign", a, "dan", "--agent", "lead")
    assert app.handoff.get(a).assignee == "dan"
    cli("tickets", "priority", a, "urgent", "--agent", "lead", "--reason", "VIP customer")
    t = app.handoff.get(a)
    assert t.priority == "urgent" and t.resolution_due is not None and due_before is not None
    assert t.resolution_due < due_before  # the urgent policy's targets are shorter
    assert "--yes" in cli("tickets", "merge", b, a, "--agent", "dan", code=1)  # two customers: confirm first
    assert "merged into" in cli("tickets", "merge", b, a, "--agent", "dan", "--yes")
    dup = app.handoff.get(b)
    assert dup.status == "closed" and dup.merged_into_id == t.id
    texts = [m.text for m in app.handoff.transcript(a)]
    assert any("locked out" in x for x in texts) and any("merged into this ticket" in x for x in texts)
    assert [e.kind for e in app.handoff.events(b)][-1] == "closed"
    ev = app.handoff.events(a)
    assert [(e.actor, e.kind) for e in ev][-3:] == [
        ("lead", "assigned"),
        ("lead", "priority"),
        ("dan", "merged"),
    ]
    assert ev[-2].data["previous"] in ("normal", "high") and ev[-2].data["reason"] == "VIP customer"
    assert "closed" in cli("tickets", "close", a, "--agent", "dan", "--reason", "duplicate of a known fix")
    cli("tickets", "merge", a, b, "--agent", "dan", code=1)  # closed tickets take no merges


def test_queues_round_robin_and_critical_routing(make_app, monkeypatch, capsys, embedder) -> None:  # type: ignore[no-untyped-def]
    ac = make_app(
        assignment={
            "auto_assign": True,
            "queues": [
                {"name": "billing", "team": "billing", "labels": ["complaint"], "products": []},
                {"name": "mobile", "team": "mobile", "labels": ["fault"], "products": ["android-app"]},
            ],
        },
        sla={
            "teams": [
                {"name": "support"},
                {"name": "billing"},
                {"name": "mobile"},
                {"name": "response", "hours": "00:00-24:00", "days": ["mon", "sun"]},
            ]
        },
    )
    h = ac.handoff
    h.set_agent("ann", available=True, teams=["support", "mobile"])
    h.set_agent("bob", available=True, teams=["support", "mobile"])
    h.set_agent("cid", available=False, teams=["support", "mobile"])
    h.set_agent("rita", available=True, teams=["response"])
    chat = FakeChannel(ac)
    from bot.messages import IncomingMessage

    mobile = [
        ac.pipeline.handle(
            IncomingMessage(channel="test", customer=f"m{i}", text=text, meta={"product": "android-app"})
        )
        for i, text in enumerate(
            [
                "the app crashes when I open the camera",
                "the android app freezes on the login screen",
                "the app closes itself when I tap settings",
            ]
        )
    ]
    tickets = [h.get(o.ticket_id) for o in mobile if o.ticket_id]
    assert [t.team for t in tickets] == ["mobile"] * 3
    assert [t.product for t in tickets] == ["android-app"] * 3
    assert [t.assignee for t in tickets] == ["ann", "bob", "ann"]  # round-robin; cid is away
    assert [e.kind for e in h.events(tickets[0].id)][:2] == ["created", "auto-assigned"]
    other = h.get(chat.push("the website shows an error on checkout", customer="w1").ticket_id or "")
    assert other.team == "support"  # no queue for this product: the default team
    queue = Cli(ac, monkeypatch, capsys, embedder)("tickets", "list", "--team", "mobile")
    assert all(t.public_id in queue for t in tickets) and other.public_id not in queue

    before = h.alerts()
    crit = chat.push("nobody in our office can log in since this morning, it's urgent", customer="boss")
    t = h.get(crit.ticket_id or "")
    assert t.team == "response" and t.assignee == "rita"
    new = h.alerts(before[-1].id if before else 0)
    assert [(a.kind, a.severity, a.ticket, a.team) for a in new] == [
        ("critical", "critical", t.public_id, "response")
    ]


def test_claims_on_postgres_with_many_workers(make_app, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    ac = make_app(db_url=pg_url)
    chat = FakeChannel(ac)
    tids = [
        chat.push(text, customer=f"c{i}").ticket_id
        for i, text in enumerate(
            [CRASH, "I was charged twice for my order", "the export to PDF fails with an error"]
        )
    ]
    agents = [f"agent{i}" for i in range(12)]
    jobs = [(tid, a) for tid in tids for a in agents]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda ja: (ja[0], ac.handoff.claim(ja[0], ja[1])), jobs))
    for tid in tids:
        mine = [r for t, r in results if t == tid]
        assert sum(r.won for r in mine) == 1
        owner = next(r.owner for r in mine if r.won)
        assert {r.owner for r in mine} == {owner} == {ac.handoff.get(tid or "").assignee}
        assert [e.kind for e in ac.handoff.events(tid or "")].count("claimed") == 1


def test_round_robin_stays_fair_when_workers_create_tickets_at_once(make_app, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """Eight customers report faults at the same moment on PostgreSQL: two available agents get four
    tickets each. A slow clock widens the window between reading the agents and taking one."""
    import time

    from bot.messages import IncomingMessage

    def slow_now() -> datetime:
        time.sleep(0.02)
        return datetime.now(UTC)

    ac = make_app(db_url=pg_url, assignment={"auto_assign": True}, clock=slow_now)
    ac.handoff.set_agent("ann", available=True)
    ac.handoff.set_agent("bob", available=True)
    faults = [
        "the app crashes every time I upload a photo",
        "I was charged twice for my order",
        "the export to PDF fails with an error",
        "the camera went offline and will not reconnect",
        "my invoice shows the wrong amount",
        "the android app freezes on the login screen",
        "recordings from yesterday are missing",
        "the doorbell stopped sending notifications",
    ]
    msgs = [IncomingMessage(channel="test", customer=f"c{i}", text=t) for i, t in enumerate(faults)]
    with ThreadPoolExecutor(max_workers=len(msgs)) as pool:
        outcomes = list(pool.map(ac.pipeline.handle, msgs))
    tickets = [ac.handoff.get(o.ticket_id) for o in outcomes if o.ticket_id]
    assert len(tickets) == len(faults)
    assignees = sorted(t.assignee or "-" for t in tickets)
    assert assignees == ["ann"] * 4 + ["bob"] * 4
    assert all(t.status == "assigned" for t in tickets)


def test_resolving_proposes_a_draft_that_an_editor_reviews(app, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    chat = FakeChannel(app)
    question = "my smart plug blinks red three times and won't pair, mail me at jo@example.com"
    tid = chat.push(question, customer="jo").ticket_id
    assert tid
    out = cli(
        "tickets",
        "resolve",
        tid,
        "Hold the button 10 s to factory-reset, then pair again. Call +1 555 123 4567 if it persists.",
        "--agent",
        "ann",
    )
    assert "draft case" in out
    listing = cli("kb", "review")
    case_id = f"ticket-{tid.lower()}"
    assert case_id in listing and "jo@example.com" not in listing
    case = app.kb.get(case_id)
    assert case.state == "draft" and case.source_ref == tid
    assert "[email]" in case.questions[0] and "[phone]" in case.answer
    cli(
        "kb",
        "review",
        "edit",
        case_id,
        "--answer",
        "Hold the button 10 seconds to factory-reset it, then pair it again in the app.",
    )
    assert "approved" in cli("kb", "review", "approve", case_id)
    # answered from at once, without a restart
    answered = chat.push("smart plug blinks red three times and will not pair", customer="kim")
    assert answered.action == "answer" and answered.case_id == case_id
    assert "factory-reset" in answered.replies[0].text
    assert "no drafts to review" in cli("kb", "review")
    tid2 = chat.push("the thermostat display shows E7 and turns off", customer="lu").ticket_id
    cli("tickets", "resolve", tid2 or "", "Replaced under warranty", "--agent", "ann")
    assert "rejected" in cli("kb", "review", "reject", f"ticket-{(tid2 or '').lower()}")
    cli("kb", "review", "approve", code=1)  # needs a case id


async def test_periodic_jobs_run_as_a_background_service(make_app) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.http import build_services
    from bot.jobs import JobsService

    clock = ManualClock(datetime.now(UTC))
    app = make_app(clock=clock)
    tid = FakeChannel(app).push(CRASH, customer="night").ticket_id
    assert tid
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))  # long after every target
    svc = next(s for s in build_services(app) if s.name == "jobs")
    assert isinstance(svc, JobsService)
    await svc.start()
    try:
        for _ in range(400):  # the first pass runs at once; wait for it to finish
            if svc.last is not None:
                break
            await asyncio.sleep(0.05)
    finally:
        await svc.stop()
    assert svc.last is not None and svc.last.breaches == 2  # first response and resolution
    assert app.handoff.get(tid).priority == "urgent"
