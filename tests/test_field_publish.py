"""Field cases of publishing a case: every way of publishing (the console's case page with "publish",
its state buttons, the console's new case, `kb add`, `kb publish`) applies the collision check `kb review
approve` applies; `kb review edit` of a published case names the right next step."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.app import Aftercare
from tests.console_support import csrf_of, login
from tests.desk_support import Cli

COLLIDING = ["the thermostat shows E7 and switches itself off", "how do I reset my password?"]
ANSWER = "Replace the thermostat's batteries; E7 means low power."


def test_saving_a_draft_with_publish_on_the_case_page_refuses_a_colliding_phrasing(ac: Aftercare) -> None:
    ac.kb.add_case("ticket-ac-000090", COLLIDING, ANSWER, state="draft", source="ticket")
    with TestClient(create_web_app(ac)) as client:
        login(client, "eve")
        token = csrf_of(client.get("/console/cases/ticket-ac-000090").text)
        form = {"csrf": token, "questions": "\n".join(COLLIDING), "answer": ANSWER, "publish": "1", "confirm": "1"}
        r = client.post("/console/cases/ticket-ac-000090", data=form)
        assert r.status_code == 400 and "not published" in r.text and "reset-password" in r.text, r.text[-3000:]
        assert ac.kb.get("ticket-ac-000090").state == "draft"
        r = client.post("/console/cases/new", data={**form, "id": "thermostat-e7"})
        assert "not published" in r.text and "reset-password" in r.text
        assert "thermostat-e7" not in [c.id for c in ac.kb.list(limit=10**6)]
        ac.kb.update_case("ticket-ac-000090", state="retired")
        r = client.post("/console/cases/ticket-ac-000090/state", data={"csrf": token, "state": "published"})
        assert "not published" in r.text and ac.kb.get("ticket-ac-000090").state == "retired"
        form["questions"] = COLLIDING[0]  # without the colliding phrasing: published
        ac.kb.update_case("ticket-ac-000090", state="draft")
        r = client.post("/console/cases/ticket-ac-000090", data=form)
        assert r.status_code == 200 and "published" in r.text
    assert ac.kb.get("ticket-ac-000090").state == "published"
    assert ac.pipeline.decide("how do I reset my password?").case_id == "reset-password"


def test_the_command_line_publishes_with_the_same_check_and_names_the_next_step(ac: Aftercare, cli: Cli) -> None:
    out = cli("kb", "add", "thermostat-e7", *[a for q in COLLIDING for a in ("-q", q)], "-a", ANSWER, code=1)
    assert "not published" in out and "reset-password" in out
    cli("kb", "add", "thermostat-e7", *[a for q in COLLIDING for a in ("-q", q)], "-a", ANSWER, "--draft")
    out = cli("kb", "publish", "thermostat-e7", code=1)
    assert "not published" in out and ac.kb.get("thermostat-e7").state == "draft"

    out = cli("kb", "review", "edit", "thermostat-e7", "-q", COLLIDING[0])
    assert "aftercare kb review approve thermostat-e7" in out  # a draft: approve is the next step
    cli("kb", "review", "approve", "thermostat-e7")
    out = cli("kb", "review", "edit", "thermostat-e7", "--answer", ANSWER + " Then restart it.")
    assert "review approve" not in out and "published" in out, out


def test_a_ticket_that_only_asked_for_a_person_proposes_no_draft(ac: Aftercare, cli: Cli) -> None:
    from tests.conftest import FakeChannel

    chat = FakeChannel(ac)
    tid = chat.push("get me an agent", customer="only-person").ticket_id
    assert tid
    chat.push("hello??", customer="only-person")
    out = cli("tickets", "resolve", tid, "Done: we fixed it on our side.", "--agent", "ann")
    assert "draft case" not in out and f"ticket-{tid.lower()}" not in [c.id for c in ac.kb.list(limit=10**6)]

    ac.kb.add_case("ticket-ac-000091", ["I want to talk to a human", "thanks"], "Done: we fixed it on our side.",
                   state="draft", source="ticket")
    out = cli("kb", "review", "approve", "ticket-ac-000091", code=1)
    assert "not approved" in out and "states a problem" in out
    assert ac.kb.get("ticket-ac-000091").state == "draft"


def test_a_new_case_asking_two_different_things_is_published_when_the_bot_takes_neither_for_another_case(
        ac: Aftercare) -> None:
    """Two phrasings of one new case that ask different things sit far from each other; one of them being a
    little nearer to some other case is no collision unless the bot answers it with that case (or nearly
    repeats that case's phrasing). A phrasing the bot answers with another case is still refused."""
    with TestClient(create_web_app(ac)) as client:
        login(client, "eve")
        token = csrf_of(client.get("/console/cases/new").text)
        form = {"csrf": token, "id": "gift-and-shops", "answer": "Gift wrapping is an option at checkout; we sell "
                "online only.", "tags": "", "product": "", "confirm": "1",
                "questions": "can you gift-wrap the camera?\ncan I buy the camera in a shop near me?"}
        r = client.post("/console/cases/new", data=form)
        assert r.status_code == 200 and "created and published" in r.text, r.text[-3000:]
        form = {**form, "id": "gift-and-password", "questions": "can you gift-wrap it?\nhow do I reset my password?"}
        r = client.post("/console/cases/new", data=form)
        assert r.status_code == 400 and "not published" in r.text and "reset-password" in r.text
