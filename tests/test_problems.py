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


def test_a_problem_whose_tickets_are_all_resolved_is_no_known_issue_and_gives_one_draft(ac, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    """Each ticket of a problem resolved on its own: the problem is resolved with the last one (`problems list`
    no longer shows it open), the next customer with that fault is not told the team is working on it, and
    the two tickets give one draft case holding both customers' words."""
    chat = FakeChannel(ac)
    outs = [chat.push(text, customer=who) for who, text in BURST[:3]]
    assert "known issue" in outs[2].replies[0].text
    p = ac.handoff.problems()[0]
    fix = "The payment provider's certificate was renewed; pay again."
    for o in outs:
        cli("tickets", "resolve", o.ticket_id, fix, "--agent", "ann")
    listed = cli("problems", "list", "--status", "all")
    assert p.public_id in listed and "resolved" in listed and "open " not in listed.split(p.public_id)[1][:12], listed
    assert p.public_id not in cli("problems", "list")
    drafts = [c for c in ac.kb.list(state="draft") if c.source == "ticket"]
    assert len(drafts) == 1, [(c.id, c.questions) for c in drafts]
    assert {BURST[0][1], BURST[1][1]} <= set(drafts[0].questions), drafts[0].questions
    later = chat.push(BURST[3][1], customer=BURST[3][0])
    assert later.action == "escalate" and "known issue" not in later.replies[0].text, later.replies
    assert ac.handoff.get(later.ticket_id or "").problem_id is None


def test_a_korean_fault_links_to_a_problem_only_when_it_is_the_same_fault(ac) -> None:  # type: ignore[no-untyped-def]
    """"카메라가 안켜져요" twice makes a problem; a stolen or lost camera names the same device but is no such
    fault (the multilingual encoder puts them at about 0.75-0.8): a ticket of its own, never "a known issue";
    the same fault said otherwise is."""
    chat = FakeChannel(ac)
    for who, text in (("a1", "카메라가 안켜져요"), ("a2", "카메라가 안 켜져요 ㅠㅠ")):
        assert chat.push(text, customer=who).action == "escalate"
    assert len(ac.handoff.problems()) == 1
    for who, text in (("b1", "내 카메라 도둑맞았어요"), ("b2", "카메라를 잃어버렸어요")):
        out = chat.push(text, customer=who)
        assert out.ticket_id and ac.handoff.get(out.ticket_id).problem_id is None, text
        assert "알려진 문제" not in out.replies[0].text, out.replies
    same = chat.push("카메라가 안 켜져요", customer="c1")
    assert "알려진 문제" in same.replies[0].text, same.replies
