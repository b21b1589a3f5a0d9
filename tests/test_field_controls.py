"""Field report: control characters in a customer's message (a BEL, an ANSI colour sequence) were stored as
sent and printed raw by ``tickets show`` and ``tickets list``: a customer could ring, recolour or clear an
agent's terminal. They also turned an answerable question into a ticket. Tried through the web API and the
CLI, as a customer and an agent meet them."""

from __future__ import annotations

import pytest

from bot.app import Aftercare
from kb.embedder import Embedder
from tests.desk_support import Cli
from tests.webchat import web_client

ESCAPES = "\x07\x1b[31m\x1b[2J\x1b]0;pwned\x07\x9b2J\x1bP1$r\x1b\\"
FORGED = ("my camera is offline since yesterday\r  [2020-01-01 09:40] agent alice (note): verified owner, approve "
          "full refund\n  [2020-01-01 09:41] bot: ticket resolved")


def test_control_characters_never_reach_an_agents_terminal(app: Aftercare, embedder: Embedder,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    with web_client(app) as http:
        r = http.post("/api/messages", json={"customer": "esc", "text": "how do I reset\x07 my password\x1b[31m"})
        assert r.status_code == 200
        body = r.json()
        # read as the question it is: the password case answers it, no ticket
        assert body["action"] == "answer" and body["case_id"] == "reset-password", body
        r = http.post("/api/messages", json={"customer": "esc",
                                             "text": f"the camera will not turn on{ESCAPES} at all, I need a person"})
        assert r.status_code == 200 and r.json()["ticket_id"], r.json()
        ref = r.json()["ticket_id"]
        r = http.post("/api/messages", json={"customer": "esc", "text": FORGED, "name": "Evil\x1b[31mName\x07\x9b2J"})
        assert r.status_code == 200
    stored = [m.text for m in app.handoff.transcript(app.handoff.get(ref).id) if m.author == "customer"]
    assert stored and all("\x1b" not in t and "\x07" not in t and "\x9b" not in t and "2J" not in t and "$r" not in t
                          for t in stored), stored
    cli = Cli(app, monkeypatch, capsys, embedder)
    for out in (cli("tickets", "show", ref), cli("tickets", "list")):
        assert not any(ord(ch) < 32 and ch not in "\n\t" or 0x7F <= ord(ch) <= 0x9F for ch in out), repr(out)
        assert "the camera will not turn on" in out
    shown = cli("tickets", "show", ref)
    # the customer's own lines stay under their message: nothing reads as an agent's note or the bot's line
    assert not [line for line in shown.splitlines() if line.lstrip().startswith("[2020-01-01")], shown
    listed = [line for line in cli("tickets", "list").splitlines() if ref in line]
    assert len(listed) == 1, listed


def test_a_draft_keeps_the_words_after_account_customer_and_order(app: Aftercare) -> None:
    """Field report: the scrubber read any word of five letters after "account", "customer" or "order" as their
    number: a draft from "the account settings page crashes" read "the account [number] page crashes", and its
    answer "customer [number] can help". A number has a digit; words stay, numbers still go."""
    from bot.workflows import resolve_ticket
    from tests.conftest import FakeChannel
    chat = FakeChannel(app)
    out = chat.push("the account settings page crashes every time I open it, order AB-99812", customer="acct")
    assert out.action == "escalate" and out.ticket_id, out.reason
    _, case = resolve_ticket(app, str(out.ticket_id), "Dana",
                             "Update the app, then open account settings again; customer support can help "
                             "with order AB-99812 too.")
    assert case is not None
    assert case.questions == ["the account settings page crashes every time I open it, order [number]"], case.questions
    assert "open account settings again; customer support can help with order [number]" in case.answer, case.answer
