"""Field cases of problems: tickets opened because the bot's answer did not help ("how do I reset my
password? — answer did not help") are the answer's gap, not a fault of the product, and never form a
problem or an INCIDENT alert; a later resolution of a problem's ticket is a draft of its own, never an overwrite."""

from __future__ import annotations

import pytest

from tests.conftest import FakeChannel
from tests.desk_support import Cli


@pytest.mark.parametrize(("question", "not_helped"), [("how do I reset my password?", "that didn't work"),
                                                      ("how do I reset my password?", "still doesn't work"),
                                                      ("비밀번호를 어떻게 재설정하나요?", "그래도 안 돼요")])
def test_tickets_of_an_answer_that_did_not_help_form_no_incident(ac, question: str, not_helped: str) -> None:
    chat = FakeChannel(ac)
    before = ac.handoff.alerts()
    after = before[-1].id if before else 0
    refs = []
    for n in range(4):
        customer = f"nh{n}"
        assert chat.push(question, customer=customer).action == "answer"
        out = chat.push(not_helped, customer=customer)
        assert out.action == "escalate" and out.ticket_id, out
        refs.append(out.ticket_id)
    subjects = [ac.handoff.get(r).subject for r in refs]
    assert all(question in s for s in subjects), subjects
    assert all(ac.handoff.get(r).problem_id is None for r in refs)
    assert ac.handoff.problems() == []
    assert not [a for a in ac.handoff.alerts(after) if a.kind in ("problem", "incident")]


def test_a_problems_later_resolution_is_a_draft_of_its_own_never_an_overwrite(ac, cli: Cli) -> None:
    chat = FakeChannel(ac)
    burst = [("pa", "I can't pay, the checkout page gives error 500"),
             ("pb", "payment page shows error 500 at checkout"),
             ("pc", "error 500 when paying for my order")]
    outs = [chat.push(text, customer=who) for who, text in burst]
    p = ac.handoff.problems()[0]
    assert len(p.tickets) == 3
    cli("tickets", "resolve", outs[0].ticket_id, "Fixed in app 3.2.", "--agent", "ann")
    cli("tickets", "resolve", outs[1].ticket_id, "Fixed in app 3.2.1: update the app.", "--agent", "ann")
    cli("tickets", "resolve", outs[2].ticket_id, "Fixed in app 3.2.1: update the app.", "--agent", "ann")
    problem = ac.handoff.problem(p.id)
    assert problem.status == "resolved" and problem.resolution == "Fixed in app 3.2.1: update the app."
    drafts = [c for c in ac.kb.list(state="draft") if c.source == "ticket"]
    # the first draft's answer is never replaced unseen: the other answer is a draft of its own, which the
    # third ticket (resolved the same way) joins; the editor picks one
    assert sorted(c.answer for c in drafts) == ["Fixed in app 3.2.", problem.resolution]
    latest = next(c for c in drafts if c.answer == problem.resolution)
    assert {burst[1][1], burst[2][1]} <= set(latest.questions), latest.questions


@pytest.mark.parametrize(("faults", "again"), [
    (["I can't pay, the checkout page gives error 500", "payment page shows error 500 at checkout",
      "checkout gives me error 500 when I try to pay"], "it fails again with error 500"),
    (["카메라가 안켜져요", "카메라가 안 켜져요 ㅠㅠ", "카메라가 안 켜져요"], "다시 안 돼요"),
])
def test_a_reopened_ticket_reopens_its_problem_and_the_next_report_joins_it(ac, cli: Cli, faults: list[str],
                                                                          again: str) -> None:
    chat = FakeChannel(ac)
    outs = [chat.push(text, customer=f"ro{n}") for n, text in enumerate(faults[:2])]
    [p] = ac.handoff.problems()
    for o in outs:
        cli("tickets", "resolve", o.ticket_id, "Fixed in app 3.2.", "--agent", "ann")
    assert ac.handoff.problem(p.id).status == "resolved"
    back = chat.push(again, customer="ro0")  # the fault is back for the first customer: the ticket reopens
    assert ac.handoff.get(outs[0].ticket_id).status in ("new", "assigned"), back
    assert ac.handoff.problem(p.id).status == "open"
    later = chat.push(faults[2], customer="ro9")
    assert ac.handoff.get(later.ticket_id).problem_id == p.id
    assert [x.public_id for x in ac.handoff.problems(status=None)] == [p.public_id]
