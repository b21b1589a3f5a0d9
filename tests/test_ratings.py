"""A typed rating after a resolution, as the customer meets it in a chat: what reads as a 1-5 rating is
stored without reopening the ticket; a number that counts things is a message like any other."""

from __future__ import annotations

from sqlalchemy import select

from bot.workflows import resolve_ticket
from handoff.models import Satisfaction
from tests.conftest import FakeChannel

FAULT = "the app crashes every time I upload a photo"

RATINGS = [  # (typed, score, comment stored)
    ("4", 4, ""),
    ("4/5", 4, ""),
    ("5 stars", 5, ""),
    ("five", 5, ""),
    ("★★★★☆", 4, ""),
    ("⭐⭐⭐", 3, ""),
    ("4 thanks, quick fix", 4, "thanks, quick fix"),
    ("5! quick fix", 5, "quick fix"),
    ("3 - slow but fine", 3, "slow but fine"),
    ("2 out of 5", 2, ""),
    ("1 terrible", 1, "terrible"),
    ("5 👍", 5, "👍"),
    ("I'd give it a 4", 4, ""),
    ("I would rate you 5 stars, thanks", 5, "thanks"),
    ("my rating is 3", 3, ""),
    ("4.5", 5, ""),  # a half score, rounded half up (the reply says "4.5" was read as 5)
]
NOT_RATINGS = [
    "2 more issues",
    "I have 3 questions",
    "5 cameras are broken",
    "4 out of 5 cameras still fail",
    "1. the camera still fails to start",
    "3 questions about my invoice",
    "5/10 cameras fail",
    "I give up, 2 cameras still fail",
    "I would give it a try but it fails",
    "I'd rate it 5 but the app still crashes",
    "1, it's still crashing",
    "5점 주고 싶은데 아직도 앱이 꺼져요",
]


def _resolved(chat: FakeChannel, customer: str) -> str:
    """A fault escalated and resolved for ``customer``: the rating question has been asked."""
    out = chat.push(FAULT, customer=customer)
    assert out.action == "escalate", out
    assert out.ticket_id is not None
    resolve_ticket(chat.ac, out.ticket_id, "sam", "Fixed in app 4.2", propose=False)
    asked = chat.pop(customer=customer)
    assert "Rate it from 1" in asked[-1].text
    assert [label for label, _ in asked[-1].buttons] == ["1", "2", "3", "4", "5"]
    return out.ticket_id


def test_what_reads_as_a_rating_is_stored_without_reopening(chat: FakeChannel) -> None:
    ac = chat.ac
    for n, (typed, score, comment) in enumerate(RATINGS):
        tid = _resolved(chat, f"r{n}")
        out = chat.push(typed, customer=f"r{n}")
        assert out.action == "rated", (typed, out)
        assert f"rated ticket {tid} {score} out of 5" in out.replies[0].text
        assert ac.handoff.rating(tid) == score and ac.handoff.get(tid).status == "resolved", typed
        with ac.sessions() as s:
            t = ac.handoff.get(tid)
            assert s.scalar(select(Satisfaction.comment).where(Satisfaction.ticket_id == t.id)) == comment


def test_a_number_that_counts_things_is_not_a_rating(chat: FakeChannel) -> None:
    ac = chat.ac
    actions: dict[str, str] = {}
    for n, typed in enumerate(NOT_RATINGS):
        customer = f"n{n}"
        tid = _resolved(chat, customer)
        out = chat.push(typed, customer=customer)
        assert out.action != "rated", (typed, out)
        assert ac.handoff.rating(tid) is None, typed
        # handled like any message after a resolution: the ticket reopens and takes it when it is about
        # the same issue; a different question is a new ticket; the bot answers what it can, and the rating
        # question stays open then
        if out.action == "joined":
            assert out.ticket_id == tid and ac.handoff.get(tid).status != "resolved", typed
            assert typed in [m.text for m in ac.handoff.transcript(tid) if m.author == "customer"]
        elif out.action == "escalate":
            assert out.ticket_id != tid and ac.handoff.get(tid).status == "resolved", typed
        else:
            assert out.action in ("answer", "reply"), (typed, out)
            assert ac.handoff.get(tid).status == "resolved", typed
            assert chat.push("4", customer=customer).action == "rated", "the question is still open"
        actions[typed] = out.action
    assert actions["5 cameras are broken"] == "joined", "a fault reported after the resolution reopens the ticket"



def test_a_low_rating_raises_an_alert_for_the_team_once(chat: FakeChannel) -> None:
    ac = chat.ac
    before = ac.handoff.recent_alerts(1)
    after_id = before[0].id if before else 0
    happy = _resolved(chat, "happy")
    assert chat.push("5 great job", customer="happy").action == "rated"
    sad = _resolved(chat, "sad")
    assert chat.push("1 - nobody fixed anything", customer="sad").action == "rated"
    alerts = [a for a in ac.handoff.alerts(after_id) if a.kind == "low_rating"]
    assert [(a.ticket, a.severity, a.team) for a in alerts] == [(sad, "warning", "support")]
    assert "rated 1/5" in alerts[0].text and "nobody fixed anything" in alerts[0].text
    assert happy not in {a.ticket for a in alerts}
    # rating again, still low, or up and down again: no second alert for the ticket
    ac.handoff.rate(sad, 2)
    ac.handoff.rate(sad, 4)
    ac.handoff.rate(sad, 1)
    assert len([a for a in ac.handoff.alerts(after_id) if a.kind == "low_rating"]) == 1
