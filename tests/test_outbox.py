"""The outbox: the platforms answer 500 and 429 for a while; every message still arrives, once, in order,
across a restart and with two senders at once. Time is a moved clock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.slack import SlackChannel
from bot.adapters.telegram import TelegramChannel
from bot.outbox import Outbox
from bot.outbox.models import Delivery
from handoff.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

AGENTS = "CAGENTS01"


START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


async def test_failures_retried_with_backoff_every_message_once(make_app: Any, db_url: str) -> None:
    tg, slack = FakeBotAPI(TOKEN), FakeSlack()
    await tg.start()
    await slack.start()
    ac = make_app(
        db_url=db_url,
        demo=False,
        telegram={"api_url": tg.url, "mode": "webhook"},
        slack={"api_url": slack.api_url, "agents_channel": AGENTS},
        outbox={"backoff_s": 2.0, "max_backoff_s": 60.0},
    )
    clock = ManualClock(START)

    def build() -> tuple[Outbox, TelegramChannel, SlackChannel]:
        box = Outbox(ac.sessions, ac.handoff, ac.config.outbox, clock=clock)
        t = TelegramChannel(ac, box, token=TOKEN, settings=ac.config.telegram)
        s = SlackChannel(
            ac, box, bot_token="xoxb-test", settings=replace(ac.config.slack, mode="http"), signing_secret="x"
        )
        return box, t, s

    box, tchan, _ = build()
    box.start_point()
    await tchan.start()
    try:
        # a ticket for a Telegram customer and five replies from a person
        h = ac.handoff
        conv = h.conversation("telegram", "4242", name="Cora")
        h.record(conv, "customer", "the printer driver crashes")
        t = h.create_ticket(
            conv,
            subject="the printer driver crashes",
            label="fault",
            confidence=0.9,
            priority="high",
            impact="single",
            reason="test",
        )
        replies = [f"reply number {i}" for i in range(5)]
        for text in replies:
            h.reply(t.public_id, "Dana", text)

        tg.fail_next(500, 2)
        tg.fail_next(429, 1, retry_after=30)
        slack.fail_next(500, 1)
        slack.fail_next(429, 1, retry_after=20)

        assert await box.run_once() == 0  # Telegram 500; Slack 500
        clock.advance(seconds=2)
        assert await box.run_once() == 0  # Telegram 500 again; Slack 429 (retry after 20 s)
        # a restart: a new outbox (and adapters) on the same database picks up where it stopped
        await tchan.stop()
        box, tchan, _ = build()
        await tchan.start()
        clock.advance(seconds=4)
        await box.run_once()  # Telegram 429 (retry after 30 s); Slack still waiting for its 20 s
        assert not slack.of("chat.postMessage"), "Retry-After is honoured"
        clock.advance(seconds=19)
        await box.run_once()
        assert not tg.of("sendMessage"), "retry_after is honoured"
        assert slack.of("chat.postMessage"), "Slack delivered after its Retry-After"
        clock.advance(seconds=15)
        # two senders at once (two workers) still send each message once
        other, tother, _ = build()
        await tother.start()
        try:
            for _ in range(6):
                await asyncio.gather(box.run_once(), other.run_once())
                clock.advance(seconds=1)
        finally:
            await tother.stop()
        assert box.pending() == 0

        sent = [p["text"] for p in tg.of("sendMessage")]
        assert sent == [f"Dana (support): {r}" for r in replies], "each once, in order"
        assert len(tg.of("failed:sendMessage")) == 3
        agents = slack.of("chat.postMessage")
        assert [p.get("thread_ts") for p in agents][0] is None  # the escalation post
        thread = [p["text"] for p in agents[1:]]
        assert thread == [f"*Dana (agent):* {r}" for r in replies]
        with ac.sessions() as s:
            rows = s.scalars(select(Delivery)).all()
        assert {r.status for r in rows} == {"sent"}
        assert len({(r.message_id, r.target) for r in rows}) == len(rows)
    finally:
        await tchan.stop()
        await slack.stop()
        await tg.stop()


async def test_a_message_given_up_after_max_attempts_is_kept_failed(make_app: Any) -> None:
    tg = FakeBotAPI(TOKEN)
    await tg.start()
    ac = make_app(telegram={"api_url": tg.url, "mode": "webhook"}, outbox={"max_attempts": 3})
    clock = ManualClock(START)
    box = Outbox(ac.sessions, ac.handoff, ac.config.outbox, clock=clock)
    chan = TelegramChannel(ac, box, token=TOKEN, settings=ac.config.telegram)
    box.start_point()
    await chan.start()
    try:
        conv = ac.handoff.conversation("telegram", "77")
        ac.handoff.record(conv, "system", "a notice")
        tg.fail_next(500, 5)
        for _ in range(5):
            await box.run_once()
            clock.advance(seconds=600)
        with ac.sessions() as s:
            row = s.scalars(select(Delivery)).one()
        assert row.status == "failed" and row.attempts == 3 and "Internal Server Error" in row.last_error
        assert not tg.of("sendMessage")
    finally:
        await chan.stop()
        await tg.stop()


async def test_a_reply_typed_in_the_agents_thread_is_never_posted_back_there(make_app: Any) -> None:
    from bot.outbox import Outgoing
    from bot.workflows import escalate_to_person

    ac = make_app()
    box = Outbox(ac.sessions, ac.handoff, ac.config.outbox)
    posted: list[str] = []

    async def agents_thread(out: Outgoing) -> None:
        posted.append(out.message.text)

    box.set_agents_sink(agents_thread)
    box.start_point()
    t = escalate_to_person(ac, "web", "77")
    early = ac.handoff.reply(t.id, "dana", "typed before the outbox looked")
    box.skip(early.id, "agents", key=f"t{t.id}")  # nothing enqueued yet: stored as skipped
    late = ac.handoff.reply(t.id, "dana", "typed after the outbox looked")
    assert box.dispatch() > 0
    with ac.sessions() as s:
        assert s.scalar(select(Delivery.status).where(Delivery.message_id == late.id)) == "pending"
    box.skip(late.id, "agents", key=f"t{t.id}")  # already pending: turned to skipped
    await box.run_once()
    assert posted and early.text not in posted and late.text not in posted
    with ac.sessions() as s:
        status = dict(s.execute(select(Delivery.message_id, Delivery.status)).all())
    assert status[early.id] == status[late.id] == "skipped"
    assert set(status.values()) == {"sent", "skipped"}, "the rest of the ticket reached the thread"
