"""Field cases of problems after their fix: once the tickets of a problem are resolved, a customer of it who
reports a DIFFERENT fault ("앱에서 결제하면 오류가 나요" after the camera would not turn on) gets a new ticket: the
old one stays resolved, the problem stays resolved, and the next reporter of the old fault is not told it is
"a known issue our team is already working on". A span of time in a fault ("it broke in two hours", "2시간 만에
고장났어요") is how long it lasted, no deadline: it does not raise the priority."""

from __future__ import annotations

import pytest

from bot.workflows import resolve_ticket
from tests.conftest import FakeChannel

CAMERA_KO = ["카메라가 안켜져요", "카메라가 안 켜져요 ㅠㅠ", "카메라가 안 켜져요"]
PAYMENT_EN = ["I can't pay, the checkout page gives error 500", "payment page shows error 500 at checkout",
              "error 500 when paying for my order"]
CASES = [  # (the problem's reports, another fault from its first customer, the old fault from a new reporter)
    (CAMERA_KO, "앱에서 결제하면 오류가 나요", "카메라가 안 켜져요"),
    (CAMERA_KO, "환불 요청했는데 환불이 안 돼요", "카메라가 전혀 안 켜져요"),
    (PAYMENT_EN, "my camera will not power on at all", "checkout gives me error 500 when I try to pay"),
]
KNOWN = ("known issue", "알려진 문제")


@pytest.mark.parametrize(("reports", "other", "again"), CASES)
def test_another_fault_after_a_problems_fix_is_a_new_ticket(ac, reports: list[str], other: str, again: str) -> None:
    chat = FakeChannel(ac)
    outs = [chat.push(text, customer=f"pf{n}") for n, text in enumerate(reports)]
    problem = ac.handoff.problems()[0]
    assert len(problem.tickets) == len(reports)
    for out in outs:
        resolve_ticket(ac, out.ticket_id, "ann", "Fixed in firmware 2.1", propose=False)
    assert ac.handoff.problem(problem.id).status == "resolved"
    old = outs[0].ticket_id
    out = chat.push(other, customer="pf0")
    assert out.action == "escalate" and out.ticket_id and out.ticket_id != old, out
    assert ac.handoff.get(old).status == "resolved"
    assert "reopened" not in [e.kind for e in ac.handoff.events(old)]
    assert ac.handoff.problem(problem.id).status == "resolved"
    told = chat.push(again, customer="pf-new")
    assert told.ticket_id and not any(k in r.text for r in told.replies for k in KNOWN), told.replies


@pytest.mark.parametrize(("spanned", "plain"), [
    ("my camera broke in two hours", "my camera broke"),
    ("the doorbell battery died in 2 hours", "the doorbell battery died"),
    ("the camera stopped working within an hour", "the camera stopped working"),
    ("카메라가 2시간 만에 고장났어요", "카메라가 고장났어요"),
])
def test_a_span_of_time_in_a_fault_is_no_deadline(ac, spanned: str, plain: str) -> None:
    chat = FakeChannel(ac)
    a = chat.push(spanned, customer="span-a")
    b = chat.push(plain, customer="span-b")
    assert a.action == b.action == "escalate", (a, b)
    assert a.priority == b.priority, (a.priority, b.priority)


def test_a_deadline_in_hours_still_raises_the_priority(ac) -> None:
    chat = FakeChannel(ac)
    soon = chat.push("my flight is in two hours and the camera is offline", customer="soon-a")
    plain = chat.push("the camera is offline", customer="soon-b")
    order = ["low", "normal", "high", "urgent"]
    assert order.index(soon.priority) > order.index(plain.priority), (soon.priority, plain.priority)
