"""What a new user met on a first try of the merged product, each through the surface they met it on:
the terminal chat, the web API, the console, the command line."""

from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.terminal import run_terminal
from bot.cli import main
from bot.messages import IncomingMessage
from bot.workflows import resolve_ticket
from tests.console_support import add_users, csrf_of, login
from tests.webchat import web_client

TORN = "how do I change my plan or cancel"
CRASH = "the app crashes every time I upload a photo"


def test_a_number_that_is_not_an_option_asks_again_and_the_next_number_picks(app) -> None:
    out = io.StringIO()
    run_terminal(app, customer="fay", inp=io.StringIO(f"{TORN}\n7\n1\n/quit\n"), out=out, poll_seconds=0)
    text = out.getvalue()
    first = app.kb.get(app.pipeline.decide(TORN).options[0])
    assert first.answer.splitlines()[0] in text  # "1" after the stray "7" still picked option 1
    assert app.handoff.list() == []  # nobody was bothered
    msgs = app.handoff.customer_messages("terminal", "fay")
    assert msgs[-1].meta["kind"] == "answer" and msgs[-1].meta["asked"] == TORN


def test_a_bare_number_after_a_rating_keeps_the_ticket_resolved_and_says_how_to_change_it(make_app) -> None:
    ac = make_app()
    with web_client(ac) as client:
        body = client.post("/api/messages", json={"customer": "w1", "text": CRASH}).json()
        tid = body["ticket_id"]
        resolve_ticket(ac, tid, "sam", "Fixed in app 4.2")
        assert client.post("/api/messages", json={"customer": "w1", "text": "5"}).json()["action"] == "rated"
        for again in ("3", "3/5", "two stars"):
            r = client.post("/api/messages", json={"customer": "w1", "text": again}).json()
            assert ac.handoff.get(tid).status == "resolved", again  # not reopened
            assert r["ticket_id"] == tid and "5 out of 5 already" in r["replies"][0]["text"], again
            assert ac.handoff.rating(tid) == 5
        assert client.post("/api/messages", json={"customer": "w1", "text": "I meant 3"}).json()["action"] == "rated"
        assert ac.handoff.rating(tid) == 3
        # a number that counts things is a new message about the ticket: it reopens it
        client.post("/api/messages", json={"customer": "w1", "text": "2 more cameras are broken now"})
        assert ac.handoff.get(tid).status != "resolved"


def test_console_forms_with_a_nul_are_shown_again_with_the_text_and_the_reason(make_app) -> None:
    ac = make_app()
    add_users(ac, (("ann", "agent"), ("eve", "editor")))
    with web_client(ac) as client:
        tid = client.post("/api/messages", json={"customer": "w2", "text": CRASH}).json()["ticket_id"]
        login(client, "ann")
        token = csrf_of(client.get(f"/console/tickets/{tid}").text)
        before = len(ac.handoff.transcript(ac.handoff.get(tid).id))
        for path, field, box in (("reply", "text", "reply-text"), ("note", "text", "note-text"),
                                 ("resolve", "resolution", "resolution-text")):
            typed = "Please update to 4.2.1\x00 and try again; 감사합니다"
            r = client.post(f"/console/tickets/{tid}/{path}", data={"csrf": token, field: typed})
            assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), (path, r.text[:200])
            assert "NUL character" in r.text and "Check it and send again" in r.text, path
            assert f'id="{box}">Please update to 4.2.1 and try again; 감사합니다</textarea>' in r.text, path
        assert len(ac.handoff.transcript(ac.handoff.get(tid).id)) == before  # nothing half-stored
        assert ac.handoff.get(tid).status != "resolved"
        client.cookies.clear()
        login(client, "eve")
        token = csrf_of(client.get("/console/cases/new").text)
        r = client.post("/console/cases/new", data={"csrf": token, "id": "fridge", "confirm": "1",
                                                    "questions": "runs on a fridge?", "answer": "No\x00, not yet."})
        assert r.status_code == 400 and "NUL character" in r.text and "No, not yet." in r.text


def test_kb_review_approve_refuses_a_phrasing_the_draft_does_not_have(app, cli) -> None:
    app.kb.add_case("ticket-ac-000091", ["the hub blinks red after the update", "is it fixed yet?"],
                    "Unplug the hub for ten seconds; it finishes the update.", state="draft", source="ticket")
    out = cli("kb", "review", "approve", "ticket-ac-000091", "-q", "hub blinking red", code=1)
    assert "not approved" in out and "'hub blinking red'" in out and "the hub blinks red after the update" in out
    c = app.kb.get("ticket-ac-000091")
    assert c.state == "draft" and c.questions == ["the hub blinks red after the update", "is it fixed yet?"]
    out = cli("kb", "review", "approve", "ticket-ac-000091", "-q", "the hub blinks red after the update",
              "--answer", "Unplug the hub for ten seconds.")
    c = app.kb.get("ticket-ac-000091")
    assert "approved" in out and c.state == "published" and c.questions == ["the hub blinks red after the update"]
    assert c.answer == "Unplug the hub for ten seconds."  # approve --answer publishes the edited answer
    assert "not a draft" in cli("kb", "review", "approve", "ticket-ac-000091", code=1)


def test_a_button_action_that_is_no_button_gets_400_with_the_reason(make_app) -> None:
    ac = make_app()
    with web_client(ac) as client:
        body = client.post("/api/messages", json={"customer": "w3", "text": "how do I reset my password?"}).json()
        [helped] = [b["action"] for m in body["messages"] for b in m.get("buttons", []) if "helped" in b["action"]]
        for bad, says in (("zap:1", "unknown button action"), ("fb:meh:1", "fb:helped:<id>"),
                          ("rate:AC-000001:9", "rate:<ticket>:<1-5>"), ("pick:x:1", "pick:<id>"),
                          (helped + "x", "fb:helped:<id>")):
            r = client.post("/api/buttons", json={"customer": "w3", "action": bad})
            assert r.status_code == 400 and says in r.json()["error"], (bad, r.text)
        r = client.post("/api/buttons", json={"customer": "w3", "action": helped})
        assert r.status_code == 200 and r.json()["text"]  # the real button still works


def test_an_aftercare_variable_that_is_no_setting_stops_the_start_naming_it(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path))
    for name, says in (("AFTERCARE_WEB", "AFTERCARE_<SECTION>__<KEY>"), ("AFTERCARE_WEB_PORT", "AFTERCARE_WEB__PORT?"),
                       ("AFTERCARE_DATABASE_URL", "AFTERCARE_DATABASE__URL?")):
        monkeypatch.setenv(name, "1")
        assert main(["run", "--port", "0"]) == 2, name
        err = capsys.readouterr().err
        assert f"{name}: not a setting" in err and says in err, err
        monkeypatch.delenv(name)


def test_tickets_reply_takes_the_words_after_the_options(app, cli) -> None:
    tid = app.pipeline.handle(IncomingMessage(channel="test", customer="gus", text=CRASH)).ticket_id
    assert tid
    out = cli("tickets", "reply", tid, "--case", "reset-password", "Here is how, step by step:", "--agent", "ann")
    assert "sent to the customer" in out
    out = cli("tickets", "reply", tid, "--agent", "ann", "--note", "asked twice already")
    assert "internal note added" in out
    texts = [m.text for m in app.handoff.transcript(app.handoff.get(tid).id)]
    assert any(t.startswith("Here is how, step by step:") and "Forgot password" in t for t in texts), texts
    assert "asked twice already" in texts
    with pytest.raises(SystemExit):  # words that fill nothing are still refused
        main(["tickets", "reply", tid, "--agent", "ann", "words", "extra"])
    app.kb.add_case("ticket-ac-000092", ["the hub blinks red"], "Unplug it.", state="draft", source="ticket")
    assert "approved" in cli("kb", "review", "approve", "-q", "the hub blinks red", "ticket-ac-000092")


def test_the_consoles_suggested_answers_are_in_the_korean_customers_language(make_app) -> None:
    ac = make_app()
    add_users(ac, (("ann", "agent"),))
    with web_client(ac) as client:
        text = "비밀번호 재설정 메일이 안 와서 로그인이 안 돼요. 상담원 연결해 주세요"
        body = client.post("/api/messages", json={"customer": "w4", "text": text}).json()
        tid = body["ticket_id"]
        assert tid and ac.handoff.get(tid).language == "ko", body
        login(client, "ann")
        page = html.unescape(client.get(f"/console/tickets/{tid}").text)
        reset = ac.kb.get("reset-password")
        assert 'data-case="reset-password"' in page, "the password case is suggested"
        assert f'data-answer="{reset.translations["ko"]}"' in page  # "Use in reply" pastes the Korean answer
        assert reset.answer not in page


def test_the_jobs_and_the_inboxes_read_the_apps_clock_and_load_no_slack_client() -> None:
    # `aftercare jobs run-once` from cron on a host without Slack: pruning Slack's seen events needs no
    # Slack client libraries
    probe = "import sys, bot.jobs; print(sorted(m for m in sys.modules if m.startswith(('slack_', 'slack.'))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
    # one source of time: what holds the app reads the app's clock (a ManualClock in tests, the wall clock in
    # production), not the desk's copy of it
    root = Path(__file__).resolve().parent.parent / "bot"
    readers = [str(p.relative_to(root)) for p in root.rglob("*.py") if "ac.handoff.now" in p.read_text("utf-8")]
    assert readers == [], readers


def test_emoji_only_messages_open_no_ticket_and_no_known_issue(make_app) -> None:
    ac = make_app()
    with web_client(ac) as client:
        for i, text in enumerate(("😡😡😡", "🔥🔥", "?!", "🤔 ...", "📷")):
            r = client.post("/api/messages", json={"customer": f"e{i}", "text": text}).json()
            assert r["action"] == "reply" and r["ticket_id"] is None, (text, r)
            assert "tell me a bit more" in r["replies"][0]["text"], (text, r)
        r = client.post("/api/messages", json={"customer": "e9", "text": "👍👍 🙂"}).json()
        assert r["action"] == "reply" and r["label"] == "thanks", r
        assert ac.handoff.list() == [] and ac.handoff.problems() == []  # no ticket, no "known issue" of emoji
        # words with an emoji are read as words
        r = client.post("/api/messages", json={"customer": "e8", "text": CRASH + " 😡"})
        assert r.json()["action"] == "escalate"


@pytest.mark.parametrize(("first", "follow"), [
    ("my camera shows a black screen since the update", "any news? it still shows black"),
    (CRASH, "it crashed again just now"),
    ("카메라 화면이 검게 나와요", "아직도 검은 화면이에요"),
])
def test_a_follow_up_in_other_words_joins_the_ticket_without_a_new_issue_flag(make_app, first, follow) -> None:
    ac = make_app()
    with web_client(ac) as client:
        tid = client.post("/api/messages", json={"customer": "f1", "text": first}).json()["ticket_id"]
        r = client.post("/api/messages", json={"customer": "f1", "text": follow}).json()
        assert r["action"] == "joined" and r["ticket_id"] == tid and "flagged" not in r["reason"], r
        assert not [m for m in ac.handoff.transcript(ac.handoff.get(tid).id) if m.author == "note"]
        # something else is still flagged, "still" or not
        r = client.post("/api/messages", json={"customer": "f1", "text": "the doorbell still makes no sound when "
                                                                        "someone rings"}).json()
        assert "flagged" in r["reason"], r


@pytest.mark.parametrize(("first", "chase"), [("카메라 화면이 검게 나와요", "언제 고쳐지나요?"),
                                              (CRASH, "when will it be fixed?")])
def test_chasing_an_open_ticket_joins_it_and_gets_no_case_answer(make_app, first, chase) -> None:
    ac = make_app()
    with web_client(ac) as client:
        tid = client.post("/api/messages", json={"customer": "c1", "text": first}).json()["ticket_id"]
        r = client.post("/api/messages", json={"customer": "c1", "text": chase}).json()
        assert r["action"] == "joined" and r["ticket_id"] == tid and r["case_id"] is None, r


def test_a_command_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path) -> None:
    # `aftercare report --format json | head -3`: the reader closes the pipe; no traceback follows
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "tickets", "list", "--status", "all"], env=env,
                            cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before the command writes a line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) in (0, 1)
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_agents_may_type_a_ticket_id_short(app, cli) -> None:
    tid = app.pipeline.handle(IncomingMessage(channel="test", customer="hal", text=CRASH)).ticket_id
    assert tid == "AC-000001"
    for ref in ("AC-1", "ac-1", " ac-0001 "):
        assert "AC-000001" in cli("tickets", "show", ref), ref
    assert "no ticket" in cli("tickets", "show", "AC-2", code=1)
    assert "no ticket" in cli("tickets", "show", "XY-1", code=1)
    cli("tickets", "priority", "ac-1", "URGENT", "--agent", "ann")  # and a value in capitals
    assert app.handoff.get(tid).priority == "urgent"


def test_send_this_answer_double_clicked_sends_it_once(make_app) -> None:
    ac = make_app()
    add_users(ac, (("ann", "agent"),))
    with web_client(ac) as client:
        text = "I forgot my password and the reset email never arrives, please get me a person"
        tid = client.post("/api/messages", json={"customer": "w5", "text": text}).json()["ticket_id"]
        login(client, "ann")
        page = client.get(f"/console/tickets/{tid}").text
        form = page[page.index(f'action="/console/tickets/{tid}/reply_case"'):]
        fields = dict(re.findall(r'name="(csrf|case_id|form_key)" value="([^"]+)"', form)[:3])
        assert set(fields) == {"csrf", "case_id", "form_key"}, fields
        for _ in range(2):  # a double click
            assert client.post(f"/console/tickets/{tid}/reply_case", data=fields).status_code == 200
        sent = [m for m in ac.handoff.customer_messages("web", "w5") if m.author == "agent"]
        assert len(sent) == 1, [m.text for m in sent]


@pytest.mark.parametrize("chase", ["any update on my ticket?", "is it fixed yet?", "when will this be fixed"])
def test_chasing_with_no_open_ticket_asks_what_it_is_about_instead_of_opening_one(make_app, chase) -> None:
    ac = make_app()
    with web_client(ac) as client:
        r = client.post("/api/messages", json={"customer": "n1", "text": chase}).json()
        assert r["action"] == "reply" and r["ticket_id"] is None, r
        assert "can't find an open ticket" in r["replies"][0]["text"], r
        assert ac.handoff.list() == []
        # told what it is about: handled as any message (a fault opens its ticket)
        r = client.post("/api/messages", json={"customer": "n1", "text": CRASH}).json()
        assert r["action"] == "escalate" and r["ticket_id"], r
        # while that ticket is open, chasing joins it
        r2 = client.post("/api/messages", json={"customer": "n1", "text": chase}).json()
        assert r2["action"] == "joined" and r2["ticket_id"] == r["ticket_id"], r2
