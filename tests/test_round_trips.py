"""Fewer database round trips per message, and no stale answer from the caches that save them."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from bot.messages import IncomingMessage


def test_an_answered_message_reads_no_case_or_phrasing_rows(make_app) -> None:
    """A returning customer's question answered from the KB: the case and the phrasing texts come from
    memory (valid for the KB revision); the knowledge base costs one statement (its revision), three before."""
    ac = make_app()
    ac.warm()
    first = ac.pipeline.handle(IncomingMessage(channel="web", customer="rt", text="how do I reset my password?"))
    assert first.action == "answer"
    statements: list[str] = []
    event.listen(ac.engine, "before_cursor_execute", lambda _c, _cur, st, *_a: statements.append(st))
    # another customer (the same customer asking it again right after its answer gets a person)
    again = ac.pipeline.handle(IncomingMessage(channel="web", customer="rt2", text="how can I reset my password"))
    assert again.action == "answer" and again.case_id == "reset-password"
    kb = [st for st in statements if "kb_" in st]
    assert len(kb) == 1 and "kb_state" in kb[0], kb


def test_an_edited_answer_is_sent_at_once(make_app) -> None:
    """The cached case follows the KB revision: an editor's new answer is the next one a customer gets,
    in this worker and in another one on the same database."""
    ac = make_app()
    other = make_app(data_dir=ac.data_dir)  # a second worker, same database and data dir
    for n, worker in enumerate((ac, other)):
        out = worker.pipeline.handle(IncomingMessage(channel="web", customer=f"ed{n}",
                                                     text="how do I reset my password?"))
        assert out.action == "answer" and "NEW ANSWER" not in out.replies[0].text
    ac.kb.update_case("reset-password", answer="NEW ANSWER: hold the reset button for ten seconds.")
    for n, worker in enumerate((ac, other)):
        out = worker.pipeline.handle(IncomingMessage(channel="web", customer=f"ed-new{n}",
                                                     text="how do I reset my password?"))
        assert out.action == "answer" and "NEW ANSWER" in out.replies[0].text


def _count(ac, kinds=("commit",)) -> dict[str, int]:
    seen = {"statements": 0, **{k: 0 for k in kinds}}

    def statement(*_a) -> None:
        seen["statements"] += 1

    event.listen(ac.engine, "before_cursor_execute", statement)
    for kind in kinds:
        event.listen(ac.engine, kind, lambda *_a, kind=kind: seen.__setitem__(kind, seen[kind] + 1))
    return seen


def _one_transaction_per_message(ac) -> None:
    ac.warm()
    # the same case's answer right after its answer goes to a person: the first question is another case's
    ac.pipeline.handle(IncomingMessage(channel="web", customer="tx", text="how do I cancel my subscription?"))
    ac.pipeline.handle(IncomingMessage(channel="web", customer="tx-warm", text="how do I reset my password?"))
    seen = _count(ac)
    cases = [("how can I reset my password", "answer", 8),           # a returning customer's question
             ("the app crashes every time I open the camera", "escalate", 15),  # a fault: a ticket opens
             ("it also shows error 0x80 now", "joined", 10)]         # the ticket takes the next one
    for text, action, most in cases:
        seen.update(statements=0, commit=0)
        out = ac.pipeline.handle(IncomingMessage(channel="web", customer="tx", text=text))
        assert out.action == action, (text, out)
        assert seen["commit"] == 1, (text, seen)
        assert seen["statements"] <= most, (text, seen)
    seen.update(statements=0, commit=0)
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="tx-new", text="how do I reset my password?"))
    assert out.action == "answer" and seen["commit"] == 1, seen


def test_a_message_is_one_transaction_with_few_statements(make_app) -> None:
    """Everything a message reads and writes (conversation, language, the customer's message, the KB
    revision, the reply, a ticket and its problem link) is one transaction: one commit, and few
    statements (an answer to a returning customer 8 at most, 12 before; an escalation 15, 24 before)."""
    _one_transaction_per_message(make_app())


def test_a_message_is_one_transaction_on_postgres(make_app, pg_url: str) -> None:
    _one_transaction_per_message(make_app(db_url=pg_url))


def test_a_conversation_created_meanwhile_by_another_worker_loses_nothing(make_app) -> None:
    """Another worker stores the same customer's conversation between this worker's look-up and its
    insert: this message's transaction is rolled back whole and the message handled again call by call;
    the customer gets one answer, and one conversation holds their message and the reply."""
    from handoff.models import Conversation, Message

    ac = make_app()
    ac.warm()
    other = make_app(data_dir=ac.data_dir)
    raced: list[bool] = []

    def race(conn, _cursor, statement: str, *_a) -> None:
        if statement.startswith("INSERT INTO conversations") and not raced:
            raced.append(True)
            other.handoff.conversation("web", "racer")  # the other worker, its own connection, commits first

    event.listen(ac.engine, "before_cursor_execute", race)
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="racer", text="how do I reset my password?"))
    assert raced and out.action == "answer" and out.case_id == "reset-password"
    with ac.sessions() as s:
        convs = s.query(Conversation).filter_by(channel="web", customer_ref="racer").all()
        assert len(convs) == 1
        texts = [m.author for m in s.query(Message).filter_by(conversation_id=convs[0].id).order_by(Message.id)]
    assert texts == ["customer", "bot"]


def test_a_failed_message_stores_nothing_of_it(make_app, monkeypatch) -> None:
    """An error after the customer's message was stored (here: rendering the reply) undoes the whole
    message: no half-handled message is left behind to be answered twice on a retry."""
    from handoff.models import Message

    ac = make_app()
    ac.warm()

    def broken(*_a, **_kw):
        raise RuntimeError("template broke")

    monkeypatch.setattr(ac.pipeline.replies, "render", broken)
    with pytest.raises(RuntimeError):
        ac.pipeline.handle(IncomingMessage(channel="web", customer="half", text="how do I reset my password?"))
    with ac.sessions() as s:
        assert s.query(Message).count() == 0


def test_a_message_routed_between_the_two_encoders_reads_the_kb_revision_once(make_app) -> None:
    """With the language-routed pair (the default), an English question is routed (does the main encoder
    read the KB?), searched and answered against one KB revision, read once (it was read twice)."""
    ac = make_app()
    ac.warm()
    assert ac.config.embedding.multilingual.strip(), "the default configuration routes between two encoders"
    ac.pipeline.handle(IncomingMessage(channel="web", customer="rv", text="how do I reset my password?"))
    statements: list[str] = []
    event.listen(ac.engine, "before_cursor_execute", lambda _c, _cur, st, *_a: statements.append(st))
    out = ac.pipeline.handle(IncomingMessage(channel="web", customer="rv2", text="how can I reset my password"))
    assert out.action == "answer" and out.case_id == "reset-password"
    assert sum("kb_state" in st for st in statements) == 1, [st for st in statements if "kb_" in st]


def _web_message_statements(ac, customer: str, text: str, language: str = "en") -> tuple[dict, int]:
    from tests.webchat import web_client

    client = web_client(ac)
    client.key_for(customer)
    seen = _count(ac)
    r = client.post("/api/messages", json={"customer": customer, "text": text, "language": language})
    assert r.status_code == 200, r.text
    return r.json(), seen["statements"]


def test_a_web_chat_message_costs_few_statements(make_app) -> None:
    """A message posted to the web chat's API, all of it (its key, the page's language, the pipeline, the
    messages shown back with their buttons): an answer 19 statements at most, 26 before (the page's language
    read and written apart from the message, the idempotency key looked up four times, the conversation's
    language once per message shown); an escalation 28, 35 before."""
    ac = make_app()
    ac.warm()
    for customer, text, action, most in (
            ("wc1", "how do I reset my password?", "answer", 19),
            ("wc2", "the app crashes every time I open the camera", "escalate", 28)):
        body, statements = _web_message_statements(ac, customer, text)
        assert body["action"] == action, body
        assert statements <= most, (text, statements)
        assert body["messages"] and body["messages"][0]["buttons"] or action != "answer", body


def test_the_page_language_still_sets_a_new_conversation_language(make_app) -> None:
    """The page's language is the conversation's until the customer's words say otherwise (folded into the
    message's own transaction)."""
    ac = make_app()
    body, _ = _web_message_statements(ac, "wl1", "ok", language="ko")
    assert body["language"] == "ko", body
    body, _ = _web_message_statements(ac, "wl2", "how do I reset my password?", language="ko")
    assert body["language"] == "en", body  # the words say English
    body, _ = _web_message_statements(ac, "wl1", "thanks", language="en")
    assert body["language"] == "ko", body  # kept: the page's language is only for a conversation without one


def test_deciding_a_text_reads_the_kb_revision_once(make_app) -> None:
    """``aftercare eval`` and the console's "try the bot" decide texts without storing anything: the KB
    revision is read once a call (two or three times before)."""
    ac = make_app()
    ac.warm()
    ac.pipeline.decide("how do I reset my password?")
    ac.pipeline.decide("구독은 어떻게 해지하나요?")  # loads the multilingual half
    statements: list[str] = []
    event.listen(ac.engine, "before_cursor_execute", lambda _c, _cur, st, *_a: statements.append(st))
    for text in ("how can I reset my password", "비밀번호를 어떻게 재설정하나요?", "my camera is broken"):
        statements.clear()
        ac.pipeline.decide(text)
        assert sum("kb_state" in st for st in statements) == 1, (text, statements)
