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
def client(make_app) -> Iterator[TestClient]:
    """The web app over the demo KB, with no per-minute limits: every example reaches the handler."""
    app = make_app(web={"customer_messages_per_minute": 0, "address_messages_per_minute": 0})
    add_users(app, (("ann", "agent"),))
    with TestClient(create_web_app(app), raise_server_exceptions=False) as c:
        c.app_state = app  # type: ignore[attr-defined]
        yield c


def _raw(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def _session(client: TestClient) -> tuple[str, dict[str, str]]:
    """A new web-chat customer and the headers that carry its key (what the page does first)."""
    r = client.post("/api/session", json={})
    assert r.status_code == 200, r.text
    return r.json()["customer"], {"authorization": f"Bearer {r.json()['key']}", "content-type": "application/json"}


def _customer_messages(client: TestClient) -> int:
    with client.app_state.sessions() as s:  # type: ignore[attr-defined]
        return int(s.scalar(select(func.count()).select_from(Message).where(Message.author == "customer")) or 0)


# whom the body names: nobody (the key's customer), the key's own customer, or anyone else
CLAIMS = st.none() | st.just("own") | ANY_TEXT


@FUZZ
@given(claim=CLAIMS, text=ANY_TEXT, name=ANY_TEXT)
def test_any_message_is_answered_without_a_5xx_and_stored_at_most_once(client, claim, text, name) -> None:
    """Each example is a new customer with its own key, so the real handler decides every message (a first
    message, not one more on an open ticket); a body naming another customer is refused, never stored."""
    customer, headers = _session(client)
    body: dict[str, Any] = {"text": text, "name": name}
    if claim is not None:
        body["customer"] = customer if claim == "own" else claim
    before = _customer_messages(client)
    r = client.post("/api/messages", content=_raw(body), headers=headers)
    assert r.status_code < 500, r.text
    stored = _customer_messages(client) - before
    if (body.get("customer") or customer) != customer:  # an empty id names nobody
        assert r.status_code in (403, 422), r.text  # 422: the id itself is unstorable (NUL, lone surrogate)
        assert stored == 0
        return
    assert r.status_code in (200, 422), r.text  # never 401/429: the handler itself answered
    if r.status_code == 422:
        assert r.json()["error"] and stored == 0
        return
    out = r.json()
    assert out["action"] and out["replies"], out
    assert stored == (0 if out["action"] == "refused" else 1), out


@FUZZ
@given(body=JSON_VALUES | st.dictionaries(st.sampled_from(["text", "name", "customer"]), JSON_VALUES, max_size=3))
def test_any_json_body_to_the_message_api_gets_no_5xx(client, body) -> None:
    _customer, headers = _session(client)
    r = client.post("/api/messages", content=_raw(body), headers=headers)
    assert r.status_code < 500, r.text
    assert r.status_code != 401, r.text


@FUZZ
@given(claim=st.none() | st.just("own") | st.text(alphabet=ANY_CHAR.filter(lambda c: not 0xD800 <= ord(c) <= 0xDFFF),
                                                  min_size=1, max_size=50),
       after=st.integers() | st.text(max_size=30))
def test_any_poll_gets_no_5xx(client, claim, after) -> None:
    customer, headers = _session(client)
    params = {"after": str(after)}
    if claim is not None:
        params["customer"] = customer if claim == "own" else claim
    r = client.get("/api/messages", params=params, headers=headers)
    assert r.status_code < 500, r.text
    assert r.status_code in (200, 403, 422), r.text
    if r.status_code == 200:
        assert isinstance(r.json()["messages"], list)


BUTTON_KINDS = st.sampled_from(["fb:helped:", "fb:human:", "rate:", "pick:", "", "fb:", "rate:AC-"])
BUTTON_TAILS = st.integers(min_value=-(2**70), max_value=2**70).map(str) | ANY_TEXT \
    | st.tuples(st.integers(min_value=0, max_value=50), st.sampled_from(["0", "1", "2", "none", "9", ""])).map(
        lambda t: f"{t[0]}:{t[1]}")


@FUZZ
@given(kind=BUTTON_KINDS, tail=BUTTON_TAILS, first=st.sampled_from(["", "how do I change my plan or cancel",
                                                                    "how do I reset my password?"]))
def test_any_button_press_gets_no_5xx_and_no_401(client, kind, tail, first) -> None:
    """Presses of well-formed and ill-formed buttons, after a message that was answered, torn between
    cases, or none: the handler answers each (200 or a 4xx with the reason), never a 5xx."""
    _customer, headers = _session(client)
    if first:
        assert client.post("/api/messages", json={"text": first}, headers=headers).status_code == 200
    r = client.post("/api/buttons", content=_raw({"action": kind + tail}), headers=headers)
    assert r.status_code < 500, r.text
    assert r.status_code in (200, 400, 422), r.text
    if r.status_code != 200:
        assert r.json()["error"]


@FUZZ
@given(limit=st.integers(min_value=-(2**70), max_value=2**70).map(str) | st.text(max_size=20))
def test_any_history_request_gets_no_5xx(client, limit) -> None:
    _customer, headers = _session(client)
    r = client.get("/api/history", params={"limit": limit}, headers=headers)
    assert r.status_code in (200, 422), r.text


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
