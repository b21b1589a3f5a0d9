"""Fewer database round trips per message, and no stale answer from the caches that save them."""

from __future__ import annotations

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
    again = ac.pipeline.handle(IncomingMessage(channel="web", customer="rt", text="how can I reset my password"))
    assert again.action == "answer" and again.case_id == "reset-password"
    kb = [st for st in statements if "kb_" in st]
    assert len(kb) == 1 and "kb_state" in kb[0], kb


def test_an_edited_answer_is_sent_at_once(make_app) -> None:
    """The cached case follows the KB revision: an editor's new answer is the next one a customer gets,
    in this worker and in another one on the same database."""
    ac = make_app()
    other = make_app(data_dir=ac.data_dir)  # a second worker, same database and data dir
    for worker in (ac, other):
        out = worker.pipeline.handle(IncomingMessage(channel="web", customer="ed", text="how do I reset my password?"))
        assert out.action == "answer" and "NEW ANSWER" not in out.replies[0].text
    ac.kb.update_case("reset-password", answer="NEW ANSWER: hold the reset button for ten seconds.")
    for worker in (ac, other):
        out = worker.pipeline.handle(IncomingMessage(channel="web", customer="ed2", text="how do I reset my password?"))
        assert out.action == "answer" and "NEW ANSWER" in out.replies[0].text
