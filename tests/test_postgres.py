"""The same core against the real PostgreSQL server (fails, not skips, when CI is set)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import FakeChannel
from tests.tcp_proxy import proxied
from tests.webchat import web_client

pytestmark = pytest.mark.postgres


def test_core_flow_on_postgres(make_app, pg_url: str) -> None:
    ac = make_app(db_url=pg_url)
    assert ac.kb.count() >= 30
    chat = FakeChannel(ac)
    assert chat.push("how do I reset my password?").case_id == "reset-password"
    out = chat.push("the app crashes every time I upload a photo")
    assert out.action == "escalate" and out.ticket_id == "AC-000001"
    assert chat.push("also on my tablet").action == "joined"
    ac.handoff.reply(out.ticket_id, "sam", "Thanks, looking at it.")
    notice = ac.replies.render("resolved", ticket_id=out.ticket_id, resolution="Fixed in 2.3.1")
    assert ac.handoff.resolve(out.ticket_id, "sam", "Fixed in 2.3.1", notice=notice).status == "resolved"
    with web_client(ac) as c:
        assert c.get("/healthz").json()["database"] == "ok"
        body = c.post("/api/messages", json={"customer": "pgweb", "text": "my order never arrived"}).json()
        assert body["ticket_id"] == "AC-000002"


def test_many_workers_get_unique_ticket_ids(make_app, pg_url: str) -> None:
    ac = make_app(db_url=pg_url)
    chat = FakeChannel(ac)
    texts = [f"device number {i} is broken and will not start" for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outs = list(pool.map(lambda i: chat.push(texts[i], customer=f"cust{i}"), range(16)))
    ids = [o.ticket_id for o in outs]
    assert all(ids) and len(set(ids)) == 16
    # the same customer from several workers at once gets one conversation
    with ThreadPoolExecutor(max_workers=4) as pool:
        convs = set(pool.map(lambda _: ac.handoff.conversation("test", "same-person"), range(8)))
    assert len(convs) == 1


def test_kb_edit_in_one_worker_is_answered_by_another(make_app, pg_url: str, embedder) -> None:
    from bot.app import Aftercare

    a = make_app(db_url=pg_url)
    b = Aftercare(a.config, embedder=embedder)
    try:
        q = "does the lumo camera support 5 GHz wifi"
        a.kb.add_case("five-ghz", [q, "5GHz network support"], "Only 2.4 GHz networks are supported.")
        d = b.pipeline.decide(q)
        assert d.action == "answer" and d.case_id == "five-ghz"
    finally:
        b.close()


def test_database_briefly_away_loses_nothing(make_app, pg_url: str) -> None:
    proxy, url = proxied(pg_url)
    # seed (demo import, index, classifier) over the direct URL; only the worker under test uses the proxy
    seeded = make_app(db_url=pg_url)
    seeded.warm()
    ac = make_app(db_url=url, data_dir=seeded.data_dir, database={"connect_retries": 6, "retry_delay_s": 0.3})
    ac.warm()
    chat = FakeChannel(ac)
    assert chat.push("how do I reset my password?").action == "answer"
    proxy.stop()
    threading.Timer(1.0, proxy.start).start()  # back within the retry window
    t0 = time.monotonic()
    out = chat.push("the app crashes every time I upload a photo")
    assert out.action == "escalate" and out.ticket_id, out
    assert time.monotonic() - t0 >= 0.9
    assert [t.public_id for t in ac.handoff.list()] == [out.ticket_id]
    # away for longer than the retries: a clear reply, nothing half-written
    proxy.stop()
    out = chat.push("my order never arrived", customer="zoe")
    assert out.action == "error" and "again" in out.replies[0].text
    proxy.start()
    assert len(ac.handoff.list()) == 1
    assert chat.push("my order never arrived", customer="zoe").action == "escalate"
    proxy.stop()
