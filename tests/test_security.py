"""Hostile and unlucky input at the user's level: oversized and chunked bodies, raced logins and ticket
changes, forged buttons, bad JSON. Each test is one kind of attack or accident (see SECURITY.md)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bot.adapters.slack.models import SeenEvent
from bot.adapters.web import create_web_app
from bot.console.models import LoginFailure
from bot.console.users import UserStore
from bot.inbox import InboundUpdate
from bot.messages import IncomingMessage
from handoff.errors import HandoffError
from handoff.models import Conversation, Message, MessageKey, Ticket
from tests.console_support import PASSWORD, login
from tests.desk_support import Cli
from tests.serving import serving
from tests.webchat import web_client


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("path", "kind"), [("/api/messages", "application/json"), ("/console/login", FORM),
                                            ("/console/tickets/1/reply", FORM), ("/console/try", FORM),
                                            ("/console/cases/new", "multipart/form-data; boundary=xyz")])
def test_a_chunked_body_over_the_limit_gets_413_on_every_route(client, path, kind) -> None:
    """No Content-Length (chunked transfer encoding): the limit holds on the bytes actually read (the chat
    API reads a body only with a key: without one it is 401 before any byte is read)."""
    headers = {"content-type": kind}
    if path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {client.key_for('big')}"
    r = client.post(path, content=_chunks(2 * 1024 * 1024), headers=headers)
    assert r.status_code == 413, r.text
    assert "larger than 262144 bytes" in r.json()["error"]


def test_a_false_content_length_does_not_open_the_limit(client) -> None:
    key = f"Bearer {client.key_for('liar')}"  # without a key the body is never read: 401
    r = client.post("/api/messages", content=b"x" * 300_000,
                    headers={"content-type": "application/json", "content-length": "10", "Authorization": key})
    assert r.status_code in (400, 413)
    r = client.post("/api/messages", content=b"{}", headers={"content-type": "application/json",
                                                                  "content-length": "-5", "Authorization": key})
    assert r.status_code == 400


# -- case 5: console logins ------------------------------------------------------------------------

def _login(http: httpx.Client, base: str, name: str, password: str, *, xff: str = "") -> httpx.Response:
    return login(http, name, password, base=base, headers={"X-Forwarded-For": xff} if xff else {}, follow=False)


def test_simultaneous_logins_on_one_name_check_no_more_passwords_than_the_limit(make_app) -> None:
    ac = make_app()
    UserStore(ac.sessions).add("ann", "agent", PASSWORD)
    with serving(create_web_app(ac)) as base:
        def attempt(i: int) -> int:
            with httpx.Client(timeout=60) as http:
                return _login(http, base, "ann", f"guess {i}").status_code

        with ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(attempt, range(30)))
        checked = codes.count(401)
        assert checked <= ac.config.console.login_max_failures, codes
        assert set(codes) <= {401, 429, 503} and codes.count(429) >= 30 - 5 - codes.count(503)
        with httpx.Client(timeout=60) as http:  # the right password now: still locked for this name
            assert _login(http, base, "ann", PASSWORD).status_code == 429


def test_rotating_names_and_forwarded_addresses_meet_the_address_limit(make_app) -> None:
    ac = make_app()
    limit = ac.config.console.login_address_max_failures
    with serving(create_web_app(ac)) as base, httpx.Client(timeout=60) as http:
        # X-Forwarded-For from 127.0.0.1 is not believed unless web.trusted_proxies says so
        codes = [_login(http, base, f"user{i}", "guess", xff=f"10.0.{i}.1").status_code for i in range(limit + 5)]
    assert codes[:limit] == [401] * limit and codes[limit:] == [429] * 5, codes


# -- case 3: a message handled once, whatever is retried --------------------------------------------


class BlipAfterCustomerMessage:
    """The database drops the connection once, on the statement after the customer's message is stored
    (what a PostgreSQL restart mid-request does), seen at the driver level."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.armed = False
        self.fired = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO MESSAGES") and params and "customer" in str(params):
            self.armed = True
            return
        if self.armed and not self.fired and statement.lstrip().upper().startswith("INSERT"):
            self.fired += 1
            raise OperationalError(statement, params, Exception("server closed the connection unexpectedly"))


def _stored(ac, customer: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with ac.sessions() as s:
        conv = s.scalar(select(Conversation.id).where(Conversation.customer_ref == customer))
        return [(m.author, m.text) for m in s.scalars(select(Message).where(Message.conversation_id == conv)
                                                       .order_by(Message.id))]


@pytest.mark.parametrize("text", ["how do I reset my password?", "the app crashes every time I upload a photo"])
def test_a_database_blip_after_the_message_is_stored_does_not_double_it(make_app, text) -> None:
    ac = make_app()
    blip = BlipAfterCustomerMessage(ac.engine)
    with web_client(ac) as client:
        r = client.post("/api/messages", json={"customer": "blip", "text": text})
    assert blip.fired == 1
    assert r.status_code == 200 and r.json()["action"] in ("answer", "escalate")
    said = _stored(ac, "blip")
    assert [a for a, _ in said] == ["customer", "bot"], said
    with ac.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == (1 if r.json()["action"] == "escalate" else 0)


def test_the_same_idempotency_key_is_stored_and_answered_once(client, app) -> None:
    first = client.post("/api/messages", json={"customer": "k1", "text": "how do I reset my password?"},
                        headers={"Idempotency-Key": "m-1"})
    again = client.post("/api/messages", json={"customer": "k1", "text": "how do I reset my password?"},
                        headers={"Idempotency-Key": "m-1"})
    assert first.status_code == again.status_code == 200
    assert first.json()["replies"] == again.json()["replies"]
    assert [a for a, _ in _stored(app, "k1")] == ["customer", "bot"]
    other = client.post("/api/messages", json={"customer": "k2", "text": "how do I reset my password?"},
                        headers={"Idempotency-Key": "m-1"})  # another customer's key space
    assert other.status_code == 200 and [a for a, _ in _stored(app, "k2")] == ["customer", "bot"]


# -- case 6: every ticket change is a compare-and-set on the state it read ---------------------------


class Interleave:
    """Right after ``slow`` has read the ticket, ``fast`` runs to its end in another thread: the two
    changes are decided on the same state, ``fast`` lands first."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.fast: Callable[[], object] | None = None
        self.slow_thread: int | None = None
        self.result: list[object] = []
        event.listen(engine, "after_cursor_execute", self)

    def __call__(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if (self.fast is not None and threading.get_ident() == self.slow_thread
                and statement.lstrip().upper().startswith("SELECT") and "FROM TICKETS" in statement.upper()):
            fast, self.fast = self.fast, None
            t = threading.Thread(target=lambda: self.result.append(_outcome(fast)))
            t.start()
            t.join()

    def run(self, slow: Callable[[], object], fast: Callable[[], object]) -> tuple[object, object]:
        out: list[object] = []

        def go() -> None:
            self.slow_thread = threading.get_ident()
            out.append(_outcome(slow))

        self.fast, self.result = fast, []
        t = threading.Thread(target=go)
        t.start()
        t.join()
        assert self.result, "the slow change never updated the ticket"
        return out[0], self.result[0]


def _outcome(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except HandoffError as e:
        return e


def _ticket(ac, customer: str) -> str:  # type: ignore[no-untyped-def]
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer=customer,
                                             text="the app crashes every time I upload a photo"))
    assert out.ticket_id
    return str(out.ticket_id)


def test_a_first_reply_racing_a_claim_leaves_the_claimer_owning_the_ticket(make_app) -> None:
    ac = make_app()
    race = Interleave(ac.engine)
    for i in range(3):
        ref = _ticket(ac, f"race{i}")
        _, claim = race.run(lambda ref=ref: ac.handoff.reply(ref, "bob", "Which phone?"),  # type: ignore[misc]
                            lambda ref=ref: ac.handoff.claim(ref, "ann"))  # type: ignore[misc]
        assert getattr(claim, "won", False), claim  # ann was told "you have the ticket" ...
        t = ac.handoff.get(ref)
        assert t.assignee == "ann" and t.status == "assigned"  # ... and she has it; bob's reply is there
        assert [m.author_name for m in ac.handoff.transcript(ref) if m.author == "agent"] == ["bob"]


def test_waiting_racing_a_resolution_does_not_reopen_the_resolved_ticket(make_app) -> None:
    ac = make_app()
    race = Interleave(ac.engine)
    ref = _ticket(ac, "race-wait")
    waited, resolved = race.run(lambda: ac.handoff.wait(ref, "bob"),
                                lambda: ac.handoff.resolve(ref, "ann", "fixed", notice="Solved."))
    assert isinstance(waited, HandoffError) and "resolved" in str(waited)
    assert ac.handoff.get(ref).status == "resolved"


def test_an_assignment_racing_a_claim_is_applied_in_order_and_the_trail_says_so(make_app) -> None:
    ac = make_app()
    race = Interleave(ac.engine)
    ref = _ticket(ac, "race-assign")
    race.run(lambda: ac.handoff.assign(ref, "carol", actor="lead"), lambda: ac.handoff.claim(ref, "ann"))
    owners = [e.data.get("assignee") for e in ac.handoff.events(ref) if e.kind in ("claimed", "assigned")]
    assert owners == ["ann", "carol"] and ac.handoff.get(ref).assignee == "carol"
    assert [e.data.get("previous") for e in ac.handoff.events(ref) if e.kind == "assigned"] == ["ann"]


# -- case 9: bad input gets a 4xx with the reason and changes nothing ----------------------------------


def _count(ac, table) -> int:  # type: ignore[no-untyped-def]
    with ac.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _bad_web_input(ac) -> None:  # type: ignore[no-untyped-def]
    UserStore(ac.sessions).add("ann", "agent", PASSWORD)
    with TestClient(create_web_app(ac)) as client:
        # a customer's key: without one every chat call is 401 before its body or query is read
        key = {"Authorization": f"Bearer {client.post('/api/session').json()['key']}"}
        before = (_count(ac, Message), _count(ac, Conversation))
        for body in ({"customer": "a\x00b", "text": "hello"}, {"customer": "c1", "name": "Ann\x00", "text": "hi"},
                     {"customer": "\ud800", "text": "hello"}, {"customer": "c2", "text": "hi \udfff there"}):
            raw = json.dumps(body)  # \u escapes: what a client can send
            r = client.post("/api/messages", content=raw, headers={"content-type": "application/json", **key})
            assert r.status_code == 422, (body, r.text)
            assert any(w in r.json()["error"] for w in ("NUL", "surrogate", "unicode")), r.text
        for raw in ('{"customer": NaN, "text": "x"}', '{"customer": "c3", "text": Infinity}'):
            r = client.post("/api/messages", content=raw, headers={"content-type": "application/json", **key})
            assert r.status_code == 422, r.text
        for query in (f"customer=w&after={2**63}", "customer=w&after=-1", "customer=a%00b",
                      "customer=w&after=1e3"):
            r = client.get(f"/api/messages?{query}", headers=key)
            assert r.status_code in (400, 422), (query, r.text)
        assert (_count(ac, Message), _count(ac, Conversation)) == before
        login(client, "ann")
        for ref in (str(2**31), str(2**63), str(2**64), "AC-" + "9" * 30, "1%00"):
            r = client.get(f"/console/tickets/{ref}")
            assert r.status_code == 404, (ref, r.status_code)
            r = client.get(f"/console/api/tickets/{ref}")
            assert r.status_code == 404, (ref, r.status_code)


def test_bad_web_input_gets_a_clear_4xx_on_sqlite(make_app) -> None:
    _bad_web_input(make_app())


@pytest.mark.postgres
def test_bad_web_input_gets_a_clear_4xx_on_postgres(make_app, pg_url) -> None:
    _bad_web_input(make_app(db_url=pg_url, demo=False))


# -- case 10: tables that only grew are pruned past jobs.retention_days -------------------------------


def test_the_periodic_job_prunes_old_logins_events_updates_and_keys(make_app, monkeypatch, capsys, embedder) -> None:
    ac = make_app()
    now = ac.handoff.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=1)
    conv = ac.handoff.conversation("web", "prune-me")
    with ac.sessions() as s:
        for i, at in enumerate((old, recent)):
            s.add(LoginFailure(key=f"name:x{i}", at=at))
            s.add(SeenEvent(event_id=f"Ev{i}", at=at))
            s.add(InboundUpdate(source="slack", external_id=f"Ev{i}", body="{}", content_type="application/json",
                                status="done", attempts=1, last_error="", received_at=at))
        s.add(InboundUpdate(source="telegram", external_id="7", body="{}", content_type="application/json",
                            status="pending", attempts=0, last_error="", received_at=old))  # not done yet: kept
        s.commit()
    for i, at in enumerate((old, recent)):
        m = ac.handoff.record(conv, "customer", f"hello {i}", key=f"web:k{i}")
        with ac.sessions() as s:
            s.get(MessageKey, f"web:k{i}").created_at = at  # type: ignore[union-attr]
            s.commit()
        assert m.id
    out = Cli(ac, monkeypatch, capsys, embedder)("jobs", "run-once")
    assert "pruned 1 failed logins, 1 seen Slack events, 1 processed platform updates, 1 idempotency records" in out
    with ac.sessions() as s:
        assert s.scalars(select(LoginFailure.key)).all() == ["name:x1"]
        assert s.scalars(select(SeenEvent.event_id)).all() == ["Ev1"]
        assert sorted(s.scalars(select(InboundUpdate.external_id)).all()) == ["7", "Ev1"]
        assert s.scalars(select(MessageKey.key)).all() == ["web:k1"]
    assert len(ac.handoff.customer_messages("web", "prune-me")) == 0  # the messages themselves stay
    with ac.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conv)) == 2
