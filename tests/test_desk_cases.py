"""What agents do must never hurt a customer: merging into a resolved ticket, merged customers kept
in the loop, rating corrections, assigning only to active agents. Driven through the web chat API,
the console over HTTP and the command line."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.app import Aftercare
from tests.console_support import csrf_of, login
from tests.desk_support import Cli

# every test here meets the console staffed: ann, bob (agents), eve (editor), root (admin)
pytestmark = pytest.mark.usefixtures("ac")


def say(client: TestClient, customer: str, text: str) -> dict:
    r = client.post("/api/messages", json={"customer": customer, "text": text})
    assert r.status_code == 200, r.text
    return r.json()


def seen(client: TestClient, customer: str) -> list[str]:
    return [m["text"] for m in client.get("/api/messages", params={"customer": customer}).json()["messages"]]


# -- case 5: a merge into a resolved ticket reopens it ---------------------------------------------


def test_merging_into_a_resolved_ticket_reopens_it_and_a_closed_one_is_refused(client, ac: Aftercare,
                                                                               cli: Cli) -> None:
    first = say(client, "kai", "the app crashes every time I upload a photo")["ticket_id"]
    cli("tickets", "resolve", first, "Update to 4.2.", "--agent", "ann")
    second = say(client, "kim", "uploading a picture makes the app crash")["ticket_id"]
    assert second and second != first
    typed = f"ac-{int(second.rpartition('-')[2])}"  # as agents type it: "ac-2" is AC-000002
    out = cli("tickets", "merge", typed, first, "--agent", "ann", "--yes")
    assert f"{second} merged into {first}" in out, out
    t = ac.handoff.get(first)
    assert t.is_open and t.resolved_at is None  # nothing the customer reported leaves the open queue
    listing = cli("tickets", "list")
    assert first in listing and "no tickets" not in listing
    assert [e.kind for e in ac.handoff.events(first)][-2:] == ["reopened", "merged"]
    # a closed ticket takes no merge: refused with the reason, the duplicate stays open
    third = say(client, "lou", "the thermostat shows E7 and switches itself off")["ticket_id"]
    cli("tickets", "close", first, "--agent", "ann")
    out = cli("tickets", "merge", third, first, "--agent", "ann", "--yes", code=1)
    assert "closed" in out and "reopen it first" in out
    assert ac.handoff.get(third).is_open


# -- case 6: the merged ticket's customer is kept in the loop --------------------------------------


def test_merged_customer_joins_the_target_and_gets_its_replies_and_resolution(client, ac: Aftercare) -> None:
    a = say(client, "cust-a", "the app crashes every time I upload a photo")["ticket_id"]
    b = say(client, "cust-b", "uploading a picture makes the app crash")["ticket_id"]
    login(client, "ann")
    token = csrf_of(client.get(f"/console/tickets/{b}").text)
    # two different customers: the console asks for confirmation first, nothing changes yet
    r = client.post(f"/console/tickets/{b}/merge", data={"csrf": token, "into": a})
    assert "another customer" in r.text and f"Merge into {a} anyway" in r.text
    assert ac.handoff.get(b).is_open
    r = client.post(f"/console/tickets/{b}/merge", data={"csrf": token, "into": a, "confirm": "1"})
    assert f"{b} merged into {a}" in r.text
    # B's next message joins A's ticket, named as B in the transcript
    out = say(client, "cust-b", "it also crashes with videos from the gallery")
    assert out["action"] == "joined" and out["ticket_id"] == a
    page = client.get(f"/console/tickets/{a}").text
    assert "web:cust-b" in page and "it also crashes with videos" in page
    # the target's reply and resolution reach B in B's own chat, once
    client.post(f"/console/tickets/{a}/reply", data={"csrf": token, "text": "We found the bug, a fix is coming."})
    client.post(f"/console/tickets/{a}/resolve", data={"csrf": token, "resolution": "Fixed in app 4.2."})
    for customer in ("cust-a", "cust-b"):
        texts = seen(client, customer)
        assert texts.count("We found the bug, a fix is coming.") == 1, (customer, texts)
        assert any("Fixed in app 4.2." in x for x in texts), (customer, texts)
    # the transcript shows the reply once
    assert [m.text for m in ac.handoff.transcript(a)].count("We found the bug, a fix is coming.") == 1
    # B's rating rates B's own ticket (each customer rates their own; tests/test_field_merged_ratings.py)
    rated = say(client, "cust-b", "5")
    assert rated["action"] == "rated" and rated["ticket_id"] == b and ac.handoff.rating(b) == 5
    assert ac.handoff.rating(a) is None


# -- case 7: a rating correction replaces the first; the ticket stays resolved ---------------------


@pytest.mark.parametrize("correction", ["sorry, I meant 5", "oops, make that 5 stars", "5 not 2", "actually 5"])
def test_a_rating_correction_replaces_the_first_and_the_ticket_stays_resolved(client, ac: Aftercare, cli: Cli,
                                                                              correction: str) -> None:
    tid = say(client, "rae", "the app crashes every time I upload a photo")["ticket_id"]
    cli("tickets", "resolve", tid, "Update to 4.2.", "--agent", "ann")
    assert say(client, "rae", "2")["action"] == "rated"
    out = say(client, "rae", correction)
    assert out["action"] == "rated" and out["ticket_id"] == tid
    t = ac.handoff.get(tid)
    assert t.status == "resolved" and ac.handoff.rating(tid) == 5
    trail = [(e.kind, e.data.get("score"), e.data.get("previous")) for e in ac.handoff.events(tid)]
    assert ("rated", 2, None) in trail and ("rating changed", 5, 2) in trail
    import json

    report = json.loads(cli("report", "--since", "30d", "--format", "json"))
    assert report["csat_average"] == 5 and report["csat_count"] == 1


# -- case 8: only active agents can be assigned ----------------------------------------------------


def test_assign_takes_only_active_agents_on_the_command_line_and_in_the_console(client, ac: Aftercare,
                                                                                 cli: Cli, monkeypatch) -> None:
    monkeypatch.setenv("AFTERCARE_AGENT", "root")  # who assigns: an active agent, as every desk command needs
    tid = say(client, "sol", "the app crashes every time I upload a photo")["ticket_id"]
    out = cli("tickets", "assign", tid, "nobody-here", code=1)
    assert "not an active agent" in out and "ann" in out
    assert "not an active agent" in cli("tickets", "assign", tid, "eve", code=1)  # an editor
    assert ac.handoff.get(tid).assignee is None
    cli("agents", "set", "dana", "--away")  # a desk agent without a console account
    assert "assigned to dana" in cli("tickets", "assign", tid, "dana")
    assert "assigned to ann" in cli("tickets", "assign", tid, "ann")
    from bot.console.users import UserStore

    UserStore(ac.sessions).set_active("bob", False)
    assert "not an active agent" in cli("tickets", "assign", tid, "bob", code=1)  # disabled account
    login(client, "root")
    page = client.get(f"/console/tickets/{tid}").text
    options = page.split('name="to"', 1)[1].split("</select>", 1)[0]
    assert "<option" in options and "ann" in options and "root" in options and "dana" in options
    assert "eve" not in options and "bob" not in options
    r = client.post(f"/console/tickets/{tid}/assign", data={"csrf": csrf_of(page), "to": "eve"})
    assert "not an active agent" in r.text and ac.handoff.get(tid).assignee == "ann"


# -- case 9: the unassigned backlog raises an alert; returning agents take the oldest first --------


def test_unassigned_backlog_raises_an_alert_and_a_returning_agent_takes_the_oldest_first(
        make_app, monkeypatch, capsys, embedder) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from handoff.clock import ManualClock
    from tests.conftest import FakeChannel

    clock = ManualClock(datetime.now(UTC))
    app = make_app(assignment={"auto_assign": True, "unassigned_alert_minutes": 30}, clock=clock)
    monkeypatch.setenv("AFTERCARE_ASSIGNMENT__AUTO_ASSIGN", "true")
    cli = Cli(app, monkeypatch, capsys, embedder)
    cli("agents", "set", "ann", "--away")
    cli("agents", "set", "bob", "--away")
    clock.set(datetime.now(UTC) - timedelta(hours=2))  # the tickets came in two hours ago
    chat = FakeChannel(app)
    ids = []
    for who, text in (("p1", "the app crashes every time I upload a photo"),
                      ("p2", "my doorbell camera shows a black screen since this morning"),
                      ("p3", "the thermostat shows E7 and switches itself off")):
        ids.append(chat.push(text, customer=who).ticket_id)
        clock.advance(minutes=5)
    assert all(ids) and all(app.handoff.get(t).assignee is None for t in ids)  # every agent away
    out = cli("jobs", "run-once")
    assert "3 unassigned-ticket alerts" in out
    alerts = cli("alerts")
    assert all(t in alerts for t in ids) and "waited unassigned" in alerts and "no agent" in alerts
    assert "0 unassigned-ticket alerts" in cli("jobs", "run-once")  # once per ticket
    # ann comes back: the waiting tickets are hers, the oldest first
    out = cli("agents", "set", "ann", "--available")
    assert "oldest first: " + ", ".join(ids) in out
    order = sorted(ids, key=lambda t: next(e.at for e in app.handoff.events(t) if e.kind == "auto-assigned"))
    assert order == ids
    firsts = [[e for e in app.handoff.events(t) if e.kind == "auto-assigned"][0] for t in ids]
    assert [e.data["assignee"] for e in firsts] == ["ann", "ann", "ann"]


# -- case 10: the console's Reports page is the report of `aftercare report` ------------------------


def test_console_reports_page_shows_the_same_report_as_the_cli_with_the_period_and_charts(
        client, ac: Aftercare, cli: Cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import re

    t = say(client, "rex", "the app crashes every time I upload a photo")["ticket_id"]
    say(client, "ria", "how do I reset my password?")
    cli("tickets", "reply", t, "Looking into it.", "--agent", "ann")
    cli("tickets", "resolve", t, "Fixed in 4.2.", "--agent", "ann")
    say(client, "rex", "4")
    out = tmp_path / "report.html"
    cli("report", "--since", "7d", "-o", str(out))
    login(client, "eve")
    page = client.get("/console/reports", params={"days": "7"})
    assert page.status_code == 200
    shown = page.text.split('<div class="report">', 1)[1].rsplit("</div>", 1)[0]
    written = out.read_text(encoding="utf-8").split("</h1>", 1)[1].split("</body>", 1)[0]

    def period(html: str) -> str:
        m = re.search(r'<p class="muted period">(.*?)</p>', html, re.S)
        assert m, html[:500]
        return m.group(1)

    def sections(html: str) -> str:
        return re.sub(r'<p class="muted period">.*?</p>', "", html, flags=re.S).strip()

    # the period is printed with both dates and the time zone, not "08:59 AM to 08:59 AM"
    m = re.fullmatch(r"Tickets created from (\d{4}-\d\d-\d\d) \d\d:\d\d to (\d{4}-\d\d-\d\d) \d\d:\d\d UTC",
                     period(shown).strip())
    assert m and m.group(1) < m.group(2), period(shown)
    assert sections(shown) == sections(written)  # one builder, one rendering: nothing less on the page
    for title in ("Volume", "Customer satisfaction by week", "Tickets within SLA, by the day they came in",
                  "Response and resolution times", "Bot deflection"):
        assert title in shown, title
    assert shown.count("<svg") >= 5 and "1 ratings" in shown


# -- case 11: who the customer is, in the queue --------------------------------------------------------


def test_queue_shows_display_names_channel_last_activity_and_customer_replied(client, ac: Aftercare) -> None:
    from tests.conftest import FakeChannel

    named = client.post("/api/messages", json={"customer": "web-jeek8tm8mx3191tc", "name": "Mina Park",
                                               "text": "the app crashes every time I upload a photo"}).json()
    anon = say(client, "web-q7x0aa2b9c4d1", "my doorbell camera shows a black screen since this morning")
    tg = FakeChannel(ac, "telegram").push("the thermostat shows E7 and switches itself off", customer="4242",
                                          customer_name="Jisoo Kim")
    login(client, "ann")
    rows = {r["id"]: r for r in client.get("/console/api/queue").json()["tickets"]}
    assert rows[named["ticket_id"]]["customer"] == "Mina Park"
    assert rows[anon["ticket_id"]]["customer"] == "Web chat visitor c4d1"
    assert rows[tg.ticket_id]["customer"] == "Jisoo Kim" and rows[tg.ticket_id]["channel_title"] == "Telegram"
    assert not any(r["customer_replied"] for r in rows.values())
    page = client.get("/console/queue").text
    assert "Mina Park" in page and "Jisoo Kim" in page and ">web-jeek8tm8mx3191tc<" not in page
    assert "Last activity" in page
    token = csrf_of(page)
    client.post(f"/console/tickets/{named['ticket_id']}/reply", data={"csrf": token, "text": "Which phone?"})
    before = client.get("/console/api/queue").json()["tickets"]
    row = next(r for r in before if r["id"] == named["ticket_id"])
    assert not row["customer_replied"]
    say(client, "web-jeek8tm8mx3191tc", "an iPhone 12")
    row = next(r for r in client.get("/console/api/queue").json()["tickets"] if r["id"] == named["ticket_id"])
    assert row["customer_replied"] and row["last_activity"] > before[0]["created_at"]
    assert "customer replied" in client.get("/console/queue").text
    assert "Mina Park" in client.get(f"/console/tickets/{named['ticket_id']}").text


async def test_a_merged_telegram_customer_gets_the_targets_reply_pushed_once(ac: Aftercare) -> None:
    from bot.outbox import Outbox, Outgoing
    from tests.conftest import FakeChannel

    a = FakeChannel(ac, "web").push("the app crashes every time I upload a photo", customer="wa").ticket_id
    b = FakeChannel(ac, "telegram").push("uploading a picture makes the app crash", customer="9001",
                                         customer_name="Bea").ticket_id
    assert a and b
    box = Outbox(ac.sessions, ac.handoff, ac.config.outbox)
    pushed: list[tuple[str, str]] = []
    thread: list[str] = []

    async def telegram(out: Outgoing) -> None:
        pushed.append((out.customer_ref, out.message.text))

    async def agents(out: Outgoing) -> None:
        thread.append(out.message.text)

    box.add_customer_channel("telegram", telegram)
    box.set_agents_sink(agents)
    box.start_point()
    ac.handoff.merge(b, a, "ann", confirm=True)
    ac.handoff.reply(a, "ann", "A fix is on its way.")
    box.dispatch()
    await box.run_once()
    assert ("9001", "A fix is on its way.") in pushed  # in Bea's own Telegram chat
    assert thread.count("A fix is on its way.") == 1  # the agents' thread shows it once


# -- replying with a solved case: the same workflow from the CLI and the console --------------------


def test_a_reply_with_a_solved_case_reaches_the_customer_in_their_language_from_cli_and_console(
        client, ac: Aftercare, cli: Cli) -> None:
    body = say(client, "minji", "카메라 화면이 검게 나오고 아무것도 안 보여요. 어떻게 해야 하나요?")
    tid = body["ticket_id"]
    assert tid, body
    assert ac.handoff.get(tid).language == "ko"
    reset, email = ac.kb.get("reset-password"), ac.kb.get("change-email")
    assert reset.translations.get("ko") and email.translations.get("ko")

    out = cli("tickets", "reply", tid, "먼저 이것을 확인해 주세요.", "--case", "reset-password", "--agent", "ann")
    assert "reset-password" in out
    shown = seen(client, "minji")
    assert any("먼저 이것을 확인해 주세요." in t and reset.translations["ko"] in t for t in shown), shown
    assert not any(reset.answer in t for t in shown), "the English answer is not what a Korean customer reads"
    assert "needs text or --case" in cli("tickets", "reply", tid, "--agent", "ann", code=1)
    assert "cannot carry" in cli("tickets", "reply", tid, "--case", "reset-password", "--note", code=1)
    assert "no-such-case" in cli("tickets", "reply", tid, "--case", "no-such-case", "--agent", "ann", code=1)

    login(client, "ann")
    page = client.get(f"/console/tickets/{tid}")
    assert page.status_code == 200
    r = client.post(f"/console/tickets/{tid}/reply_case", data={"case_id": "change-email", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "change-email" in r.text, r.text
    assert any(email.translations["ko"] in t for t in seen(client, "minji"))
    before = len(seen(client, "minji"))
    r = client.post(f"/console/tickets/{tid}/reply_case", data={"case_id": "no-such-case", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "no-such-case" in r.text
    assert len(seen(client, "minji")) == before, "nothing is sent for an unknown case"
    forged = client.post(f"/console/tickets/{tid}/reply_case", data={"case_id": "change-email", "csrf": "forged"})
    assert forged.status_code == 403 and len(seen(client, "minji")) == before
