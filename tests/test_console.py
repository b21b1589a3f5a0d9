"""The agents' and editors' web console, over HTTP: access, CSRF, rate limiting, queue, tickets, cases."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import Aftercare
from bot.cli import main
from handoff.clock import ManualClock
from tests.conftest import make_config
from tests.console_support import PASSWORD, add_users, csrf_of, login
from tests.webchat import web_client

ROOT = Path(__file__).resolve().parents[1]

# every test here meets the console staffed: ann, bob (agents), eve (editor), root (admin)
pytestmark = pytest.mark.usefixtures("ac")
def escalate(client: TestClient, customer: str, text: str = "the app crashes every time I upload a photo") -> dict:
    body = client.post("/api/messages", json={"customer": customer, "text": text}).json()
    assert body["action"] == "escalate", body
    return body


# -- access ---------------------------------------------------------------------------------------


def test_users_add_from_the_command_line_hashes_with_argon2(tmp_path: Path, monkeypatch, make_app) -> None:
    ac = make_app(data_dir=tmp_path / "cli")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass-word\n"))
    assert main(["--config", str(ROOT / "config.yaml"), "users", "add", "dana", "--role", "editor",
                 "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--config", str(ROOT / "config.yaml"), "users", "add", "dan", "--role", "agent",
                 "--password-stdin"]) == 1
    from sqlalchemy import select

    from bot.console.models import ConsoleUser

    with ac.sessions() as s:
        row = s.scalar(select(ConsoleUser).where(ConsoleUser.name == "dana"))
        assert row is not None and row.role == "editor" and row.password_hash.startswith("$argon2")
        assert "s3cret" not in row.password_hash
    with web_client(ac) as c:
        r = login(c, "dana", "s3cret-pass-word")
        assert r.status_code == 200 and r.url.path == "/console/cases"


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(client, make_app) -> None:
    r = login(client, "ann", follow=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/queue"
    cookie = r.headers["set-cookie"].lower()
    assert "ac_console=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    ac2 = make_app(console={"secure_cookies": True})
    add_users(ac2)
    with web_client(ac2, base_url="https://testserver") as c2:
        r = login(c2, "ann", follow=False)
        cookies = [v.lower() for k, v in r.headers.multi_items() if k == "set-cookie" and "ac_console=" in v]
        assert cookies and "; secure" in cookies[0]


def test_wrong_password_and_pages_need_a_login(client) -> None:
    r = login(client, "ann", "not the password")
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    r = client.get("/console/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=%2Fconsole%2Fqueue")
    assert client.get("/console/api/queue").status_code == 401
    assert client.post("/console/tickets/AC-000001/reply", data={"text": "x", "csrf": "x"},
                       follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("user", "allowed", "refused"), [
    ("ann", ["/console/queue", "/console/api/queue", "/console/reports"],
     ["/console/cases", "/console/review", "/console/try", "/console/cases/new", "/console/users",
      "/console/unanswered", "/console/api/unanswered"]),
    ("eve", ["/console/cases", "/console/review", "/console/try", "/console/reports", "/console/unanswered",
             "/console/api/unanswered"],
     ["/console/queue", "/console/api/queue", "/console/tickets/AC-000001", "/console/users"]),
    ("root", ["/console/queue", "/console/cases", "/console/review", "/console/try", "/console/users",
              "/console/unanswered"], []),
])
def test_roles_are_checked_on_every_page(client, user: str, allowed: list[str], refused: list[str]) -> None:
    login(client, user)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        assert client.get(path).status_code == 403, path


def test_editor_cannot_post_agent_actions_and_agent_cannot_edit_cases(client, ac: Aftercare) -> None:
    t = escalate(client, "c-roles")["ticket_id"]
    login(client, "eve")
    page = client.get("/console/cases/reset-password")
    r = client.post(f"/console/tickets/{t}/reply", data={"text": "hi", "csrf": csrf_of(page.text)})
    assert r.status_code == 403
    assert [m.author for m in ac.handoff.transcript(t)].count("agent") == 0
    client.cookies.clear()
    login(client, "ann")
    page = client.get("/console/queue")
    r = client.post("/console/cases/reset-password/state", data={"state": "retired", "csrf": csrf_of(page.text)})
    assert r.status_code == 403 and ac.kb.get("reset-password").state == "published"


def test_forged_csrf_token_is_refused(client, ac: Aftercare) -> None:
    t = escalate(client, "c-csrf")["ticket_id"]
    login(client, "ann")
    assert client.get(f"/console/tickets/{t}").status_code == 200
    for token in ("forged-token", ""):
        r = client.post(f"/console/tickets/{t}/reply", data={"text": "evil", "csrf": token})
        assert r.status_code == 403
    assert all(m.text != "evil" for m in ac.handoff.transcript(t))
    # the login form has its own token (cookie + field)
    client.cookies.clear()
    client.get("/console/login")
    r = client.post("/console/login", data={"name": "ann", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403


def test_logout_ends_the_session(client) -> None:
    login(client, "ann")
    token = csrf_of(client.get("/console/queue").text)
    old = client.cookies.get("ac_console")
    client.post("/console/logout", data={"csrf": token})
    client.cookies.set("ac_console", old)
    assert client.get("/console/queue", follow_redirects=False).status_code == 303


def test_login_attempts_are_rate_limited_per_user_and_address(make_app, embedder, tmp_path: Path) -> None:
    base = make_app()
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    ac = Aftercare(make_config(base.data_dir, console={"login_max_failures": 3, "login_window_s": 600}),
                   embedder=embedder, clock=clock)
    add_users(ac)
    try:
        with web_client(ac) as c:
            for _ in range(3):
                assert login(c, "ann", "guess").status_code == 401
            r = login(c, "ann")  # the right password, but too many failures
            assert r.status_code == 429 and "Too many failed attempts" in r.text
            assert int(r.headers["retry-after"]) > 0
            assert login(c, "bob").status_code == 200  # another user from the same address is not blocked
            c.cookies.clear()
            clock.advance(seconds=601)
            r = login(c, "ann")
            assert r.status_code == 200 and r.url.path == "/console/queue"
    finally:
        ac.close()


# -- agents ---------------------------------------------------------------------------------------


def test_queue_lists_open_tickets_with_filters_and_sort(client, ac: Aftercare) -> None:
    a = escalate(client, "c-q1")["ticket_id"]
    b = escalate(client, "c-q2", "I want to talk to a person please")["ticket_id"]
    login(client, "ann")
    page = client.get("/console/queue")
    assert a in page.text and b in page.text
    rows = client.get("/console/api/queue").json()["tickets"]
    by_id = {r["id"]: r for r in rows}
    assert {"priority", "label", "impact", "channel", "owner", "due_at", "status"} <= set(by_id[a])
    assert by_id[a]["channel"] == "web" and by_id[a]["owner"] == ""
    ranks = ["urgent", "high", "normal", "low"]
    assert [ranks.index(r["priority"]) for r in rows] == sorted(ranks.index(r["priority"]) for r in rows)
    newest = [r["id"] for r in client.get("/console/api/queue", params={"sort": "newest"}).json()["tickets"]]
    assert newest.index(b) < newest.index(a)
    label_b = by_id[b]["label"]
    only = client.get("/console/api/queue", params={"label": label_b}).json()["tickets"]
    assert b in [r["id"] for r in only] and all(r["label"] == label_b for r in only)
    token = csrf_of(page.text)
    client.post(f"/console/tickets/{a}/claim", data={"csrf": token})
    mine = [r["id"] for r in client.get("/console/api/queue", params={"owner": "me"}).json()["tickets"]]
    unassigned = [r["id"] for r in client.get("/console/api/queue", params={"owner": "none"}).json()["tickets"]]
    assert mine == [a] and b in unassigned and a not in unassigned


def test_agent_claims_replies_notes_and_resolves(client, ac: Aftercare) -> None:
    body = escalate(client, "c-flow")
    t, last = body["ticket_id"], body["last_id"]
    login(client, "ann")
    page = client.get(f"/console/tickets/{t}")
    assert page.status_code == 200 and "crashes every time I upload a photo" in page.text
    assert "content-security-policy" in page.headers and page.headers["x-frame-options"] == "DENY"
    token = csrf_of(page.text)
    r = client.post(f"/console/tickets/{t}/claim", data={"csrf": token})
    assert r.status_code == 200 and "You have the ticket" in r.text and ac.handoff.get(t).assignee == "ann"
    r = client.post(f"/console/tickets/{t}/reply", data={"csrf": token, "text": "Which phone do you use?"})
    assert "Reply sent" in r.text
    client.post(f"/console/tickets/{t}/note", data={"csrf": token, "text": "probably the HEIC bug"})
    seen = client.get("/api/messages", params={"customer": "c-flow", "after": last}).json()["messages"]
    assert [(m["author"], m["text"]) for m in seen] == [("agent", "Which phone do you use?")]
    # the customer answers; the agent's page picks it up by polling its JSON
    client.post("/api/messages", json={"customer": "c-flow", "text": "an iPhone 12"})
    polled = client.get(f"/console/api/tickets/{t}", params={"after": seen[-1]["id"]}).json()["messages"]
    assert [m["author"] for m in polled][:2] == ["note", "customer"] and polled[1]["text"] == "an iPhone 12"
    page = client.get(f"/console/tickets/{t}")
    assert 'class="m note"' in page.text and 'class="m agent"' in page.text and 'class="m bot"' in page.text
    assert "claimed" in page.text and "replied" in page.text  # the event history
    # a second agent cannot claim it
    bob = TestClient(client.app)
    login(bob, "bob")
    r = bob.post(f"/console/tickets/{t}/claim", data={"csrf": csrf_of(bob.get(f"/console/tickets/{t}").text)})
    assert "ann has this ticket already" in r.text
    r = client.post(f"/console/tickets/{t}/resolve", data={"csrf": token, "resolution": "Update to 4.2.1."})
    assert "Resolved" in r.text and ac.handoff.get(t).status == "resolved"
    seen = client.get("/api/messages", params={"customer": "c-flow", "after": polled[-1]["id"]}).json()["messages"]
    assert seen[-1]["author"] == "system" and "Update to 4.2.1." in seen[-1]["text"]
    assert t not in [r["id"] for r in client.get("/console/api/queue").json()["tickets"]]
    # resolving proposes a draft solved case (personal data scrubbed) for the editors
    drafts = [c for c in ac.kb.list(state="draft") if c.source_ref == t]
    assert len(drafts) == 1 and "waiting for an editor" in r.text
    assert f'href="/console/cases/{drafts[0].id}"' in client.get(f"/console/tickets/{t}").text


def test_ticket_page_suggests_solved_cases_near_what_the_customer_wrote(client, ac: Aftercare) -> None:
    night = escalate(client, "sg1", "the night vision on my camera stopped working, the image is black at night")
    crash = escalate(client, "sg2")  # "the app crashes...": no case is close enough to suggest
    login(client, "ann")
    page = client.get(f"/console/tickets/{night['ticket_id']}")
    assert 'id="suggestions"' in page.text and 'data-case="night-vision"' in page.text
    assert ac.kb.get("night-vision").answer[:60] in page.text and "Use in reply" in page.text
    assert 'id="suggestions"' not in client.get(f"/console/tickets/{crash['ticket_id']}").text
    # the customer's later message counts too
    client.post("/api/messages", json={"customer": "sg2", "text": "also I forgot my password and cannot log in"})
    assert 'data-case="reset-password"' in client.get(f"/console/tickets/{crash['ticket_id']}").text


def test_desk_actions_priority_assign_wait_reopen_merge(client, ac: Aftercare) -> None:
    a = escalate(client, "c-desk1")["ticket_id"]
    b = escalate(client, "c-desk2", "the app crashes when I open the camera")["ticket_id"]
    login(client, "ann")
    row = {r["id"]: r for r in client.get("/console/api/queue").json()["tickets"]}[a]
    assert row["due_at"] and row["due_kind"] == "first reply"  # the SLA clock, counted down by the page
    token = csrf_of(client.get(f"/console/tickets/{a}").text)
    r = client.post(f"/console/tickets/{a}/priority", data={"csrf": token, "value": "urgent"})
    assert "Priority set to urgent" in r.text and ac.handoff.get(a).priority == "urgent"
    assert client.get("/console/api/queue").json()["tickets"][0]["id"] == a  # urgent first
    r = client.post(f"/console/tickets/{a}/assign", data={"csrf": token, "to": "bob"})
    assert "Assigned to bob" in r.text and ac.handoff.get(a).assignee == "bob"
    r = client.post(f"/console/tickets/{a}/wait", data={"csrf": token})
    assert "SLA clock is paused" in r.text and ac.handoff.get(a).status == "waiting"
    assert {r["id"]: r for r in client.get("/console/api/queue").json()["tickets"]}[a]["due_kind"] == "paused"
    client.post(f"/console/tickets/{a}/resolve", data={"csrf": token, "resolution": "Fixed in 4.2.1."})
    r = client.post(f"/console/tickets/{a}/reopen", data={"csrf": token})
    assert "Reopened" in r.text and ac.handoff.get(a).is_open
    r = client.post(f"/console/tickets/{b}/merge", data={"csrf": token, "into": a, "confirm": "1"})
    assert r.url.path == f"/console/tickets/{a}" and f"{b} merged into {a}" in r.text
    assert ac.handoff.get(b).status == "closed"
    assert "merged" in [e.kind for e in ac.handoff.events(a)]


def test_empty_reply_is_an_error_not_a_crash(client) -> None:
    t = escalate(client, "c-empty")["ticket_id"]
    login(client, "ann")
    token = csrf_of(client.get(f"/console/tickets/{t}").text)
    r = client.post(f"/console/tickets/{t}/reply", data={"csrf": token, "text": "   "})
    assert r.status_code == 200 and "a reply needs text" in r.text
    assert client.get("/console/tickets/AC-999999").status_code == 404


# -- editors --------------------------------------------------------------------------------------


def test_editor_creates_edits_and_retires_with_duplicate_warning(client, ac: Aftercare) -> None:
    login(client, "eve")
    page = client.get("/console/cases", params={"q": "password"})
    assert "reset-password" in page.text
    token = csrf_of(page.text)
    form = {"csrf": token, "id": "pw-again", "questions": "how do I reset my password?\nforgot my password",
            "answer": "Use the reset link.", "tags": "account", "product": ""}
    r = client.post("/console/cases/new", data=form)
    assert r.status_code == 409 and 'href="/console/cases/reset-password"' in r.text
    assert "pw-again" not in [c.id for c in ac.kb.list()]
    form = {**form, "id": "export-invoices-pdf", "questions": "how can I export my invoices as a PDF file?",
            "answer": "Billing > Invoices > Export PDF."}
    r = client.post("/console/cases/new", data=form)
    assert r.status_code == 200 and "created and published" in r.text
    assert ac.kb.search("export invoices as pdf", 1)[0].case_id == "export-invoices-pdf"
    # edit: the new phrasing is embedded and searchable at once
    r = client.post("/console/cases/export-invoices-pdf",
                    data={"csrf": token, "questions": "can I download a PDF of my bills for my accountant?",
                          "answer": "Billing > Invoices > Export PDF.", "tags": "billing", "product": ""})
    assert "saved" in r.text
    hit = ac.kb.search("can I download a PDF of my bills for my accountant?", 1)[0]
    assert hit.case_id == "export-invoices-pdf" and hit.score > 0.99
    r = client.post("/console/cases/export-invoices-pdf/state", data={"csrf": token, "state": "retired"})
    assert "retired" in r.text and ac.kb.get("export-invoices-pdf").state == "retired"


def test_review_queue_approve_edit_then_approve_and_reject(client, ac: Aftercare) -> None:
    ac.kb.add_case("draft-a", ["how do I change the colour theme of the dashboard?"], "Settings > Theme.",
                   state="draft", source="ticket", source_ref="AC-000042")
    ac.kb.add_case("draft-b", ["can I pay my subscription with a bank transfer?"], "Yes, see Billing.",
                   state="draft", source="ticket")
    ac.kb.add_case("draft-c", ["my cat walked on the keyboard"], "n/a", state="draft", source="ticket")
    login(client, "eve")
    page = client.get("/console/review")
    assert all(c in page.text for c in ("draft-a", "draft-b", "draft-c", "AC-000042"))
    token = csrf_of(page.text)
    client.post("/console/cases/draft-a/state", data={"csrf": token, "state": "published", "to": "/console/review"})
    r = client.post("/console/cases/draft-b", data={"csrf": token, "questions": "can I pay by bank transfer?",
                                                    "answer": "Yes: Billing > Pay by transfer.", "tags": "",
                                                    "product": "", "publish": "1"})
    assert "saved and published" in r.text
    r = client.post("/console/cases/draft-c/state", data={"csrf": token, "state": "rejected", "to": "/console/review"})
    assert r.url.path == "/console/review" and "Nothing to review" in r.text
    assert [ac.kb.get(c).state for c in ("draft-a", "draft-b", "draft-c")] == ["published", "published", "rejected"]
    assert ac.kb.get("draft-b").answer == "Yes: Billing > Pay by transfer."
    d = ac.pipeline.decide("how do I change the colour theme of the dashboard?")
    assert d.action == "answer" and d.case_id == "draft-a"


def test_unanswered_lists_escalated_questions_and_an_editor_closes_them(client, ac: Aftercare) -> None:
    """Questions the bot handed to a person are listed for editors (most asked first, personal data
    scrubbed), with the case they lean to; adding one to that case makes the bot answer it, and
    answers customers said did not help are listed with their case."""
    def say(customer: str, text: str) -> dict:
        return client.post("/api/messages", json={"customer": customer, "text": text}).json()

    for customer in ("u1", "u2"):
        assert say(customer, "Is there a student discount?")["action"] == "escalate"
    assert say("u3", "Do you give discounts to students? write to jo@example.com")["action"] == "escalate"
    assert say("u8", "is there a discount for students")["action"] == "escalate"  # the same question
    trial = say("u4", "is the Pro plan trial available in my country")
    assert trial["action"] == "escalate", trial
    escalate(client, "u5")  # a fault: not a question for the editors
    assert say("u6", "how do I reset my password?")["action"] == "answer"
    assert say("u6", "that didn't help")["action"] == "escalate"

    login(client, "eve")  # editors (and admins) only: agents get 403, as test_roles checks
    page = client.get("/console/unanswered")
    assert page.status_code == 200 and 'href="/console/unanswered"' in page.text
    assert "Is there a student discount?" in page.text and "[email]" in page.text
    assert "jo@example.com" not in page.text and "crashes" not in page.text
    data = client.get("/console/api/unanswered").json()
    rows = {q["text"]: q for q in data["questions"]}
    assert rows["Is there a student discount?"]["asked"] == 3
    assert rows["Is there a student discount?"]["last_at"].endswith("+00:00")  # UTC, also on SQLite
    assert rows["Is there a student discount?"]["similar"] == ["is there a discount for students"]
    assert "also asked as: is there a discount for students" in page.text
    assert data["questions"][0]["text"] == "Is there a student discount?"  # most asked first
    assert rows["is the Pro plan trial available in my country"]["nearest"] == "free-trial"
    assert [(h["case_id"], h["question"]) for h in data["not_helpful"]] == [
        ("reset-password", "how do I reset my password?")]
    assert "reset-password" in page.text.split('id="not-helpful"')[1]

    # "New case" opens the form with the question as its first phrasing
    form = client.get("/console/cases/new", params={"questions": "Is there a student discount?"})
    assert ">Is there a student discount?</textarea>" in form.text
    # "Add to free-trial": the bot answers the question from then on and it leaves the list
    r = client.post("/console/unanswered/attach", data={"csrf": csrf_of(page.text), "case_id": "free-trial",
                                                        "text": "is the Pro plan trial available in my country"})
    assert r.status_code == 200 and "the bot now answers it with free-trial" in r.text
    assert "is the Pro plan trial available in my country" in ac.kb.get("free-trial").questions
    assert say("u7", "is the Pro plan trial available in my country")["action"] == "answer"
    after = client.get("/console/api/unanswered").json()
    assert "is the Pro plan trial available in my country" not in {q["text"] for q in after["questions"]}
    assert after["answered_now"] >= 1


def test_kb_unanswered_on_the_command_line(client, ac: Aftercare, monkeypatch, capsys) -> None:
    for customer in ("k1", "k2"):
        client.post("/api/messages", json={"customer": customer, "text": "Is there a student discount?"})
    client.post("/api/messages", json={"customer": "k3", "text": "how do I reset my password?"})
    client.post("/api/messages", json={"customer": "k3", "text": "that didn't help"})
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
    capsys.readouterr()
    assert main(["--config", str(ROOT / "config.yaml"), "kb", "unanswered"]) == 0
    out = capsys.readouterr().out
    assert "2x  'Is there a student discount?'" in out and "reset-password" in out
    assert main(["--config", str(ROOT / "config.yaml"), "kb", "unanswered", "--json", "--days", "7"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions"][0]["asked"] == 2 and data["not_helpful"][0]["case_id"] == "reset-password"


def test_try_the_bot_shows_the_decision_and_why(client) -> None:
    login(client, "eve")
    token = csrf_of(client.get("/console/try").text)
    r = client.post("/console/try", data={"csrf": token, "text": "how do I reset my password?"})
    assert r.status_code == 200
    assert 'id="decision-action">answer<' in r.text and 'id="decision-case">reset-password<' in r.text
    assert "Threshold" in r.text and "Label probabilities" in r.text and "question" in r.text
    r = client.post("/console/try", data={"csrf": token, "text": "the app crashes every time I upload a photo"})
    assert 'id="decision-action">escalate<' in r.text


def test_reports_page_shows_figures_and_charts(client, ac: Aftercare) -> None:
    t = escalate(client, "c-rep")["ticket_id"]
    client.post("/api/messages", json={"customer": "c-rep2", "text": "how do I reset my password?"})
    ac.handoff.reply(t, "ann", "Looking into it.")
    login(client, "root")
    r = client.get("/console/reports", params={"days": "7"})
    assert r.status_code == 200
    assert "Volume" in r.text and "<svg" in r.text and "<rect" in r.text
    assert "Bot deflection" in r.text and "SLA compliance" in r.text


def test_admin_adds_a_user_in_the_browser(client) -> None:
    login(client, "root")
    token = csrf_of(client.get("/console/users").text)
    r = client.post("/console/users", data={"csrf": token, "name": "carl", "role": "editor",
                                            "password": "another-long-one"})
    assert "User carl (editor) added" in r.text
    fresh = TestClient(client.app)
    assert login(fresh, "carl", "another-long-one").url.path == "/console/cases"


# -- widget ---------------------------------------------------------------------------------------


def test_widget_script_and_frame_are_served(client) -> None:
    r = client.get("/widget.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")
    assert "/widget?title=" in r.text
    r = client.get("/widget")
    assert r.status_code == 200 and "/static/chat.js" in r.text and 'id="composer"' in r.text


def test_the_widget_frame_carries_the_chat_labels_in_the_visitors_language(client) -> None:
    """The frame runs the chat page's script, which reads its words from ``data-labels``: without them a
    refused or failed load showed the bare key ("not_loaded"). The browser's language picks the words."""
    import html
    import json as _json

    r = client.get("/widget", headers={"accept-language": "ko-KR,ko;q=0.9"})
    assert r.status_code == 200 and 'data-lang="ko"' in r.text and "보내기" in r.text
    labels = _json.loads(html.unescape(r.text.split("data-labels='", 1)[1].split("'", 1)[0]))
    assert {"en", "ko"} <= set(labels) and all("not_loaded" in words for words in labels.values())
    r = client.get("/widget?title=Help")
    assert 'data-lang="en"' in r.text and ">Send<" in r.text and "<title>Help</title>" in r.text
