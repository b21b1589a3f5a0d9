"""Field cases of who acts in an agent's command: ``tickets reply``, ``claim``, ``resolve`` and every other
desk command (assign, priority, wait, reopen, merge, close, problems resolve) refuse a name that is no active
agent, as ``tickets assign`` does, when the desk has agents; without ``--agent`` the identity comes from
``AFTERCARE_AGENT`` (else ``$USER``) and, when there is none, the command asks for one instead of acting as
"agent"; the resolution notice the customer sees in the web chat is authored by the agent who resolved."""

from __future__ import annotations

import pytest

from tests.desk_support import no_agent_identity, open_ticket  # noqa: F401 (no_agent_identity: a fixture)

pytestmark = pytest.mark.usefixtures("no_agent_identity")


def test_an_unknown_agent_is_refused_as_assign_refuses_it(ac, cli, client, monkeypatch) -> None:
    tid = open_ticket(client, "who1")
    refused = cli("tickets", "assign", tid, "mia", "--agent", "ann", code=1)
    assert "'mia' is not an active agent (active agents: ann, bob, root)" in refused
    out = cli("tickets", "reply", tid, "We are on it.", "--agent", "mia", code=1)
    assert "'mia' is not an active agent (active agents: ann, bob, root)" in out and "We are on it." in out
    out = cli("tickets", "claim", tid, "--agent", "eve", code=1)  # an editor is no agent
    assert "'eve' is not an active agent" in out
    out = cli("tickets", "resolve", tid, "Battery replaced", "--agent", "mia", code=1)
    assert "'mia' is not an active agent" in out
    t = ac.handoff.get(tid)
    assert t.assignee is None and t.status == "new"
    assert not [m for m in ac.handoff.transcript(tid) if m.author in ("agent", "system")]
    # without --agent and without an identity: asked, never "agent"
    out = cli("tickets", "claim", tid, code=1)
    assert "give --agent NAME" in out and "active agents: ann, bob, root" in out
    assert ac.handoff.get(tid).assignee is None
    monkeypatch.setenv("AFTERCARE_AGENT", "bob")
    assert f"{tid} claimed by bob" in cli("tickets", "claim", tid)
    monkeypatch.setenv("USER", "mia")  # $USER is not an agent either
    monkeypatch.delenv("AFTERCARE_AGENT")
    assert "'mia' is not an active agent" in cli("tickets", "reply", tid, "Hello", code=1)


def test_the_resolution_notice_is_authored_by_the_agent(ac, cli, client) -> None:
    tid = open_ticket(client, "who2")
    cli("tickets", "reply", tid, "Which model is it?", "--agent", "ann")
    assert ac.handoff.get(tid).assignee == "ann"
    cli("tickets", "resolve", tid, "Battery replaced", "--agent", "ann")
    shown = client.get("/api/history", params={"customer": "who2"}).json()["messages"]
    notice = [m for m in shown if m["author"] == "system"][-1]
    assert "Battery replaced" in notice["text"] and notice["author_name"] == "ann", notice
    agent = [m for m in shown if m["author"] == "agent"][-1]
    assert agent["author_name"] == "ann"


def test_without_agents_configured_the_identity_is_asked_for(app, cli, client, monkeypatch) -> None:
    tid = open_ticket(client, "who3")
    out = cli("tickets", "reply", tid, "We are on it.", code=1)
    assert "give --agent NAME" in out and "We are on it." in out
    assert not [m for m in app.handoff.transcript(tid) if m.author == "agent"]
    monkeypatch.setenv("USER", "alex")
    cli("tickets", "reply", tid, "We are on it.")
    assert app.handoff.get(tid).assignee == "alex"


def test_every_desk_command_acts_as_an_active_agent(ac, cli, client, monkeypatch) -> None:
    """wait, priority, reopen, close, merge and problems resolve took $USER (or "agent") unchecked: the
    ticket's history named someone who is no agent. They refuse such a name as reply does, and act as
    AFTERCARE_AGENT when no --agent is given."""
    tid = open_ticket(client, "who4")
    other = open_ticket(client, "who5")
    for args in (("wait", tid), ("priority", tid, "urgent"), ("close", tid), ("reopen", tid),
                 ("merge", other, tid, "--yes")):
        out = cli("tickets", *args, "--agent", "mia", code=1)
        assert "'mia' is not an active agent" in out, (args, out)
        out = cli("tickets", *args, code=1)  # no identity at all: asked for
        assert "give --agent NAME" in out, (args, out)
    assert ac.handoff.get(tid).status == "new" and ac.handoff.get(tid).priority != "urgent"
    assert "'mia' is not an active agent" in cli("problems", "resolve", "PRB-1", "fixed", "--agent", "mia", code=1)
    monkeypatch.setenv("AFTERCARE_AGENT", "bob")
    cli("tickets", "wait", tid)
    cli("tickets", "priority", tid, "urgent")
    actors = [e.actor for e in ac.handoff.events(tid) if e.actor != "bot"]
    assert actors and set(actors) == {"bob"}, actors
