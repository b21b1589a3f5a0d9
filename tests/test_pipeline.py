"""The core flow through a fake channel: answers, escalations, tickets, agents, proposals."""

from __future__ import annotations

import re

from bot.proposals import propose_from_ticket, scrub
from tests.conftest import FakeChannel


def test_usage_question_is_answered_from_the_kb(chat: FakeChannel) -> None:
    out = chat.push("how do I reset my password?")
    assert out.action == "answer" and out.case_id == "reset-password"
    assert out.ticket_id is None
    assert chat.ac.kb.get("reset-password").answer in out.replies[0].text


def test_fault_becomes_a_ticket_with_an_id_and_later_messages_join_it(chat: FakeChannel) -> None:
    out = chat.push("the app crashes every time I upload a photo")
    assert out.action == "escalate" and out.label == "fault"
    assert re.fullmatch(r"AC-\d{6}", out.ticket_id or "")
    assert out.ticket_id in out.replies[0].text
    again = chat.push("it is an android phone, version 14")
    assert again.action == "joined" and again.ticket_id == out.ticket_id
    t = chat.ac.handoff.get(out.ticket_id)
    assert t.priority in ("high", "urgent") and t.channel == "test" and t.customer_ref == "alice"
    texts = [m.text for m in chat.ac.handoff.transcript(out.ticket_id) if m.author == "customer"]
    assert texts == ["the app crashes every time I upload a photo", "it is an android phone, version 14"]
    # another customer gets a ticket of their own
    other = chat.push("my camera will not turn on at all", customer="bob")
    assert other.ticket_id not in (None, out.ticket_id)


def test_asking_for_a_person_always_escalates(chat: FakeChannel) -> None:
    out = chat.push("can I talk to a real person please")
    assert out.action == "escalate" and out.label == "human"


def test_greeting_gets_a_template_reply(chat: FakeChannel) -> None:
    out = chat.push("hello there")
    assert out.action == "reply" and out.label == "greeting" and out.ticket_id is None


def test_wide_impact_and_urgency_raise_priority(chat: FakeChannel) -> None:
    wide = chat.push("nobody in our office can log in since this morning", customer="office")
    single = chat.push("I can't log in to the app, it says error", customer="solo")
    assert wide.impact == "wide" and wide.priority == "urgent"
    assert single.impact == "single"


def test_context_transcript_goes_into_the_ticket(chat: FakeChannel) -> None:
    chat.push("hi")
    out = chat.push("my order never arrived and the tracking shows nothing")
    assert out.action == "escalate"
    authors = [m.author for m in chat.ac.handoff.transcript(out.ticket_id)]
    assert authors[:2] == ["customer", "bot"]  # the greeting exchange came along


def test_oversized_and_binary_messages_get_a_clear_reply(make_app) -> None:
    ac = make_app(app={"max_message_chars": 50})
    chat = FakeChannel(ac)
    out = chat.push("x" * 51)
    assert out.action == "refused" and "too long" in out.replies[0].text and "50" in out.replies[0].text
    out = chat.push("\x00\x01\x02binary\x03\x04")
    assert out.action == "refused" and "text" in out.replies[0].text
    assert ac.handoff.list(status="all") == []


def test_agent_reply_and_resolution_reach_the_customer_then_proposal(chat: FakeChannel) -> None:
    out = chat.push("I was charged twice for my subscription, my email is jo@example.com")
    tid = out.ticket_id
    assert tid
    ac = chat.ac
    ac.handoff.note(tid, "sam", "check the payment provider")
    ac.handoff.reply(tid, "sam", "Sorry about that, I am refunding the second charge.")
    t = ac.handoff.get(tid)
    assert t.status == "assigned" and t.assignee == "sam"
    notice = ac.replies.render("resolved", ticket_id=tid, resolution="Refunded the duplicate charge.")
    ac.handoff.resolve(tid, "sam", "Refunded the duplicate charge to card 4111 1111 1111 1111.", notice=notice)
    seen = ac.handoff.customer_messages("test", "alice")
    authors = [m.author for m in seen]
    assert "note" not in authors  # internal notes never reach the customer
    assert any(m.author == "agent" and "refunding" in m.text for m in seen)
    assert any(m.author == "system" and tid in m.text for m in seen)
    # after resolution the bot is back: a new question is answered, not joined
    assert chat.push("how do I reset my password?").action == "answer"
    draft = propose_from_ticket(ac, tid)
    assert draft.state == "draft" and draft.source == "ticket" and draft.source_ref == tid
    assert "jo@example.com" not in " ".join(draft.questions)
    assert "4111" not in draft.answer


def test_scrub_personal_data() -> None:
    s = scrub("mail me at a.b@c.io or +1 (555) 123-4567, card 4111-1111-1111-1111, account no: AB12345")
    assert "a.b@c.io" not in s and "555" not in s and "4111" not in s and "AB12345" not in s


def test_korean_replies(make_app) -> None:
    """app.language is the default: a first message in no clear language gets Korean; a customer who
    writes English gets English, whatever the default."""
    ac = make_app(app={"language": "ko"})
    out = FakeChannel(ac).push("AC-7 crash!!")
    assert "티켓" in out.replies[0].text and out.ticket_id in out.replies[0].text and out.language == "ko"
    out = FakeChannel(ac).push("the app crashes every time I upload a photo", customer="eve")
    assert "ticket" in out.replies[0].text and out.language == "en"


# A customer's follow-ups after the bot answered: courtesy gets its template, a follow-up that says
# the answer did not help goes to a person, an announcement of more questions is invited, and a
# reply the bot cannot read as any of these asks for more instead of "you're welcome".
FOLLOW_UPS = [
    ("thanks, that solved it", "reply", {"thanks"}),
    ("brilliant, sorted", "reply", {"thanks"}),
    ("thanks but it still fails", "escalate", {"fault", "human"}),
    ("that didn't work", "escalate", {"fault", "human"}),
    ("this is not helpful", "escalate", {"human"}),
    ("you didn't answer my question", "escalate", {"human"}),
    ("I have 3 more questions", "reply", {"greeting"}),
    ("also another problem", "reply", {"greeting"}),
    ("ok thanks, one more question", "reply", {"greeting"}),
    ("got another issue", "reply", {"greeting"}),
    ("nope, still the same", "escalate", {"human"}),  # the answer changed nothing: it did not help
    ("hmm", "reply", {"unsure", "greeting"}),
]


def test_follow_ups_after_an_answer_are_read_for_what_they_say(chat: FakeChannel) -> None:
    for n, (typed, action, labels) in enumerate(FOLLOW_UPS):
        customer = f"f{n}"
        assert chat.push("how do I reset my password?", customer=customer).action == "answer"
        out = chat.push(typed, customer=customer)
        assert out.action == action and out.label in labels, (typed, out)
        text = out.replies[0].text
        if out.label != "thanks":
            assert "welcome" not in text.lower(), (typed, text)
        if out.label == "unsure":
            assert "tell me a bit more" in text and out.ticket_id is None, (typed, text)
        if action == "escalate":
            assert out.ticket_id and out.ticket_id in text, (typed, text)


def test_an_unclear_message_after_a_resolution_reopens_the_ticket(chat: FakeChannel) -> None:
    from bot.workflows import resolve_ticket

    out = chat.push("the app crashes every time I upload a photo", customer="ria")
    assert out.ticket_id
    resolve_ticket(chat.ac, out.ticket_id, "sam", "Fixed in app 4.2", propose=False)
    again = chat.push("nope, still the same", customer="ria")
    assert again.action == "joined" and again.ticket_id == out.ticket_id
    assert chat.ac.handoff.get(out.ticket_id).status != "resolved"


def test_typing_that_the_answer_did_not_help_counts_as_the_button(chat: FakeChannel) -> None:
    """Right under a bot answer, "that didn't help" is the answer's "Talk to a person" press: the
    report counts the answer as not helpful. A new problem after an answer says nothing about it."""
    from datetime import timedelta

    from bot.feedback import answer_verdicts
    from handoff.reports import build_report

    ac = chat.ac
    since = ac.handoff.now() - timedelta(minutes=1)
    assert chat.push("how do I reset my password?", customer="ada").action == "answer"
    out = chat.push("that didn't help", customer="ada")
    assert out.action == "escalate" and out.label == "human" and out.ticket_id
    assert chat.push("how do I reset my password?", customer="bo").action == "answer"
    assert chat.push("my camera has been offline since this morning", customer="bo").action == "escalate"
    answer = next(m for m in ac.handoff.customer_messages("test", "ada") if m.meta.get("kind") == "answer")
    verdicts = answer_verdicts(ac.sessions, since)
    assert verdicts == {answer.id: "human"}
    r = build_report(ac.sessions, since=since, until=ac.handoff.now() + timedelta(minutes=1), feedback=verdicts)
    assert (r.deflection.bot_answers, r.deflection.helpful, r.deflection.not_helpful) == (2, 0, 1)
    # the same customer asking again later for a person adds nothing: one verdict per answer
    chat.push("can I talk to a real person please", customer="ada")
    assert answer_verdicts(ac.sessions, since) == verdicts


def test_escalation_says_when_the_team_is_back_outside_business_hours(make_app) -> None:  # type: ignore[no-untyped-def]
    """The support team works 09:00-17:00 UTC, Monday to Friday (config.yaml); the response team
    round the clock. Out of hours, the customer is told when a person will be there."""
    from datetime import UTC, datetime

    from handoff.clock import ManualClock

    clock = ManualClock(datetime(2025, 11, 8, 10, 0, tzinfo=UTC))  # a Saturday
    chat = FakeChannel(make_app(clock=clock))
    fault = "the app crashes every time I upload a photo"
    sat = chat.say(fault, customer="sat")
    assert "the team is away right now and back Monday at 09:00 (UTC)" in sat
    clock.set(datetime(2025, 11, 9, 15, 0, tzinfo=UTC))  # Sunday: asking for a person
    assert "(the team is away right now and back tomorrow at 09:00 (UTC))" in chat.say(
        "can I talk to a real person please", customer="sun")
    clock.set(datetime(2025, 11, 12, 7, 30, tzinfo=UTC))  # Wednesday, early
    assert "back today at 09:00 (UTC)" in chat.say(fault, customer="early")
    clock.set(datetime(2025, 11, 12, 10, 0, tzinfo=UTC))  # Wednesday, at work
    during = chat.say(fault, customer="wed")
    assert "away" not in during and "as soon as possible" in during
    # a critical ticket goes to the response team, which is always there
    clock.set(datetime(2025, 11, 8, 10, 0, tzinfo=UTC))
    crit = chat.push("nobody in our office can log in since this morning, it's urgent", customer="boss")
    assert chat.ac.handoff.get(crit.ticket_id or "").team == "response"
    assert "away" not in crit.replies[0].text
