"""Property-based tests (hypothesis) of the message path and the JSON endpoints: whatever is sent, the
answer is never a 5xx, and a message that was accepted is stored once.

CI runs AFTERCARE_FUZZ_EXAMPLES inputs per property (default 300, 1,500 in all); ``make fuzz`` runs
20,000 per property (10^5 in all)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.adapters.web import create_web_app
from bot.jsonbody import BadBody, parse_json
from handoff.models import Message
from tests.console_support import add_users, login

EXAMPLES = int(os.environ.get("AFTERCARE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("AFTERCARE_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
# every code point, lone surrogates and NUL included
ANY_CHAR = st.characters(codec=None, categories=None)
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=300)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | ANY_TEXT
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=20)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    add_users(app, (("ann", "agent"),))
    with TestClient(create_web_app(app), raise_server_exceptions=False) as c:
        yield c


def _raw(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


@FUZZ
@given(customer=ANY_TEXT, text=ANY_TEXT, name=ANY_TEXT)
def test_any_message_is_answered_without_a_5xx_and_stored_at_most_once(client, app, customer, text, name) -> None:
    with app.sessions() as s:
        before = s.scalar(select(func.count()).select_from(Message).where(Message.author == "customer"))
    r = client.post("/api/messages", content=_raw({"customer": customer, "text": text, "name": name}),
                    headers={"content-type": "application/json"})
    assert r.status_code < 500 or r.status_code == 503, r.text
    with app.sessions() as s:
        after = s.scalar(select(func.count()).select_from(Message).where(Message.author == "customer"))
    assert after - before in ((1,) if r.status_code == 200 and r.json()["action"] != "refused" else (0,))


@FUZZ
@given(body=JSON_VALUES)
def test_any_json_body_to_the_message_api_gets_no_5xx(client, body) -> None:
    r = client.post("/api/messages", content=_raw(body), headers={"content-type": "application/json"})
    assert r.status_code < 500, r.text


@FUZZ
@given(customer=st.text(alphabet=ANY_CHAR.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF), min_size=1,
                        max_size=50),
       after=st.integers() | st.text(max_size=30))
def test_any_poll_gets_no_5xx(client, customer, after) -> None:
    r = client.get("/api/messages", params={"customer": customer, "after": str(after)})
    assert r.status_code < 500, r.text


@FUZZ
@given(ref=st.text(alphabet=ANY_CHAR.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF and c not in "/?#"),
                   min_size=1, max_size=40) | st.integers(min_value=-(2**70), max_value=2**70).map(str))
def test_any_ticket_reference_on_the_console_json_api_gets_no_5xx(client, ref) -> None:
    if not client.cookies.get("ac_console"):
        login(client, "ann")
    r = client.get(f"/console/api/tickets/{quote(ref, safe='')}")
    assert r.status_code < 500, (ref, r.text)


@FUZZ
@given(raw=st.binary(max_size=400) | JSON_VALUES.map(_raw)
       | st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n))
def test_the_webhook_body_reader_takes_a_value_or_says_why(raw) -> None:
    """What Telegram's and Slack's webhooks read every body with: a JSON value or BadBody, nothing else."""
    try:
        value = parse_json(raw)
    except BadBody as e:
        assert str(e)
        return
    json.dumps(value, allow_nan=False)  # what is taken can be stored as it is
