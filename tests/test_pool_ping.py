"""A pooled PostgreSQL connection is pinged before use only when it has sat idle: a busy worker spends no
round trip a transaction on pings, and connections the server dropped are still replaced unseen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import bot.db
from bot.messages import IncomingMessage


def _count_pings(ac) -> list[int]:
    pings = [0]
    ping = ac.engine.dialect.do_ping

    def counted(conn):  # type: ignore[no-untyped-def]
        pings[0] += 1
        return ping(conn)

    ac.engine.dialect.do_ping = counted
    return pings


def _drop_connections(url: str) -> int:
    """Terminate every other server process on the database of ``url`` (a restart, as the worker sees it)."""
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            return len(c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).all())
    finally:
        admin.dispose()


def test_messages_in_a_row_cost_no_ping(make_app, pg_url: str, monkeypatch) -> None:
    monkeypatch.setattr(bot.db, "PING_AFTER_IDLE_S", 3600.0)  # nothing here sits idle that long
    ac = make_app(db_url=pg_url)
    ac.warm()
    pings = _count_pings(ac)
    for n, text in enumerate(("how do I reset my password?", "my camera keeps going offline",
                              "how do I cancel my subscription?")):
        out = ac.pipeline.handle(IncomingMessage(channel="web", customer=f"ping{n}", text=text))
        assert out.action in ("answer", "escalate"), out
    assert pings[0] == 0  # pool_pre_ping: one ping per transaction


@pytest.mark.parametrize("idle_s", [0.0, 3600.0])
def test_connections_the_server_dropped_are_replaced_and_nothing_is_lost(make_app, pg_url: str, monkeypatch,
                                                                        idle_s: float) -> None:
    """Idle longer than the limit (0: always), the dropped connection fails its ping and is replaced before
    use; within it, the message's first statement fails and the pipeline handles the message again."""
    monkeypatch.setattr(bot.db, "PING_AFTER_IDLE_S", idle_s)
    ac = make_app(db_url=pg_url, database={"connect_retries": 4, "retry_delay_s": 0.1})
    ac.warm()
    assert ac.pipeline.handle(IncomingMessage(channel="web", customer="a", text="how do I reset my password?")
                              ).action == "answer"
    assert _drop_connections(pg_url) >= 1
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="b", text="my camera keeps going offline"))
    assert out.action == "escalate" and out.ticket_id, out
    assert [t.public_id for t in ac.handoff.list()] == [out.ticket_id]
