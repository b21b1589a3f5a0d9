"""The per-address web-chat limit counted in PostgreSQL (``web.rate_limit_database``): shared by workers
without Redis."""

from __future__ import annotations

import pytest

from tests.webchat import web_client


def test_two_workers_share_the_address_limit_through_postgresql(make_app, pg_url: str) -> None:
    """Two workers on one PostgreSQL, 5 messages a minute per address: the sixth message from the address
    is refused with 429 whichever worker gets it; another address is not affected."""
    limits = {"address_messages_per_minute": 5, "customer_messages_per_minute": 0, "rate_limit_database": True}
    first = make_app(db_url=pg_url, web=limits)
    second = make_app(db_url=pg_url, web=limits, demo=False)
    with web_client(first) as a, web_client(second) as b:
        codes = [(a if i % 2 else b).post("/api/messages", json={"customer": f"r{i}", "text": "hello"}).status_code
                 for i in range(5)]
        assert codes == [200] * 5
        for client in (a, b):
            r = client.post("/api/messages", json={"customer": "r9", "text": "how do I reset my password?"})
            assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 61
        with web_client(first, base_url="http://elsewhere", client=("10.0.0.7", 5000)) as c:
            assert c.post("/api/messages", json={"customer": "r10", "text": "hello"}).status_code == 200


def test_the_database_limit_needs_postgresql(make_app) -> None:
    from bot.ratelimit import DatabaseWindow

    ac = make_app()
    with pytest.raises(ValueError, match="PostgreSQL"):
        DatabaseWindow(ac.engine, 5)
