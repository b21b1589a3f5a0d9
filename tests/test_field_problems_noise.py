"""Field cases of problems: tickets opened because the bot's answer did not help ("how do I reset my
password? — answer did not help") are the answer's gap, not a fault of the product, and never form a
problem or an INCIDENT alert; a problem's draft says the latest resolution, as the problem does."""

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


def test_a_problems_draft_says_the_latest_resolution_as_the_problem_does(ac, cli: Cli) -> None:
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
    assert len(drafts) == 1
    assert drafts[0].answer == problem.resolution
