"""Problems: a burst of similar faults forms one problem, raises an incident alert, later tickets are told
it is a known issue, and resolving the problem resolves every ticket and notifies every customer."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.clock import ManualClock
from tests.conftest import FakeChannel
from tests.desk_support import Cli

BURST = [
    ("dana", "I can't pay, the checkout page gives error 500"),
    ("eli", "payment page shows error 500 at checkout"),
    ("fay", "error 500 when paying for my order"),
    ("gus", "checkout gives me error 500 when I try to pay"),
]


def test_burst_of_similar_faults_forms_one_problem_and_its_resolution_notifies_everyone(
    make_app, monkeypatch, capsys, embedder
) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(datetime.now(UTC))
    app = make_app(clock=clock)
    chat = FakeChannel(app)
    h = app.handoff
    start = h.alerts()
    after = start[-1].id if start else 0
    other = chat.push("the app crashes every time I upload a photo", customer="hal")
    outs = []
    for customer, text in BURST:
        clock.advance(minutes=4)
        outs.append(chat.push(text, customer=customer))
    assert all(o.action == "escalate" and o.label == "fault" for o in outs), [
        (o.action, o.label) for o in outs
    ]
    tickets = [h.get(o.ticket_id or "") for o in outs]
    problems = h.problems()
    assert len(problems) == 1
    p = problems[0]
    assert p.tickets == [t.public_id for t in tickets]
    assert h.get(other.ticket_id or "").problem_id is None
    # the first two form the problem; later customers are told it is a known issue
    assert "known issue" not in outs[1].replies[0].text
    assert all("known issue" in o.replies[0].text for o in outs[2:])
    kinds = [(a.kind, a.severity) for a in h.alerts(after)]
    assert ("problem", "warning") in kinds
    assert kinds.count(("incident", "critical")) == 1  # 3 tickets in 30 minutes, raised once
    incident = next(a for a in h.alerts(after) if a.kind == "incident")
    assert incident.team == "response" and incident.problem_id == p.id

    cli = Cli(app, monkeypatch, capsys, embedder)
    assert p.public_id in cli("problems", "list")
    shown = cli("problems", "show", p.public_id)
    assert all(t.public_id in shown for t in tickets) and "incident alert raised" in shown
    out = cli(
        "problems", "resolve", p.public_id, "The payment provider's certificate was renewed", "--agent", "ops"
    )
    assert f"{len(BURST)} tickets resolved" in out
    for (customer, _), t in zip(BURST, tickets, strict=True):
        assert h.get(t.id).status == "resolved"
        last = h.customer_messages("test", customer)[-1]
        assert last.author == "system" and "certificate was renewed" in last.text and t.public_id in last.text
    assert h.get(other.ticket_id or "").status == "new"
    assert h.problem(p.public_id).status == "resolved"
    assert "no problems" in cli("problems", "list")
    cli("problems", "resolve", p.public_id, "again", code=1)


def test_only_vectors_of_one_encoder_are_compared(make_app) -> None:  # type: ignore[no-untyped-def]
    """A language-routed pair stores subject vectors of two encoders; two of one length (all-MiniLM-L6-v2 and
    multilingual-e5-small both give 384 numbers) are still not comparable: faults are grouped only with
    tickets and problems whose vectors the same encoder made. The pipeline records which one it used."""
    import numpy as np

    app = make_app()
    chat = FakeChannel(app)
    h = app.handoff
    english = [chat.push(text, customer=customer) for customer, text in BURST[:2]]
    assert [o.label for o in english] == ["fault", "fault"]
    p = h.problems()[0]
    with app.sessions() as s:
        from handoff.desk_models import Problem
        from handoff.models import Ticket

        t0 = s.get(Ticket, h.get(english[0].ticket_id or "").id)
        assert t0 is not None and t0.subject_model == "all-MiniLM-L6-v2"
        row = s.get(Problem, p.id)
        assert row is not None and row.vector_model == "all-MiniLM-L6-v2"
        same = np.frombuffer(row.vector, dtype=np.float32).copy()
    # the problem's own centroid, said to come from another encoder of the same length: not comparable
    korean = chat.push("결제 페이지에서 500 오류가 나요", customer="minji")
    assert korean.action == "escalate"
    assert h.link_problem(korean.ticket_id or "", same, model="multilingual-e5-small-q4") is None
    assert h.get(korean.ticket_id or "").problem_id is None and len(h.problems()) == 1
    # the same vector from the problem's own encoder joins it
    third = chat.push("my order is stuck, the payment failed", customer="ivy")
    link = h.link_problem(third.ticket_id or "", same, model="all-MiniLM-L6-v2")
    assert link is not None and link.known and h.get(third.ticket_id or "").problem_id == p.id
