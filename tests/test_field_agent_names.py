"""Field cases of agents' names and the case marker on the command line: ``--agent Alice`` and ``" alice"``
are agent ``alice`` (trimmed, case ignored, the stored name kept), for acting and for ``assign``'s target;
``tickets reply ID "!case CASE [words]"`` sends the case's answer as a Slack thread's marker does, never
the literal marker."""

from __future__ import annotations

import pytest

from tests.desk_support import no_agent_identity, open_ticket  # noqa: F401 (no_agent_identity: a fixture)

pytestmark = pytest.mark.usefixtures("no_agent_identity")


@pytest.mark.parametrize("typed", ["Ann", " ann "])
def test_an_agent_name_is_trimmed_and_matched_ignoring_case(ac, cli, client, typed: str) -> None:
    tid = open_ticket(client, "nam1")
    assert f"{tid} claimed by ann" in cli("tickets", "claim", tid, "--agent", typed)
    cli("tickets", "reply", tid, "We are on it.", "--agent", typed)
    assert [m.author_name for m in ac.handoff.transcript(tid) if m.author == "agent"] == ["ann"]
    out = cli("tickets", "assign", tid, typed.replace("Ann", "Bob").replace("ann", "bob"), "--agent", typed)
    assert ac.handoff.get(tid).assignee == "bob", out
    assert "'Mia' is not an active agent" in cli("tickets", "claim", tid, "--agent", "Mia", code=1)


def test_the_case_marker_sends_the_cases_answer_not_the_marker(ac, cli, client) -> None:
    tid = open_ticket(client, "nam2")
    case = ac.kb.get("reset-password")
    out = cli("tickets", "reply", tid, "!case reset-password Here is how:", "--agent", "ann")
    assert "reply with case reset-password sent" in out
    sent = [m.text for m in ac.handoff.transcript(tid) if m.author == "agent"]
    assert sent and not any("!case" in t for t in sent), sent
    assert "Here is how:" in sent[-1] and case.answer.splitlines()[0] in sent[-1]
    # a marker with no published case of that id: refused, nothing sent
    out = cli("tickets", "reply", tid, "!case no-such-case", "--agent", "ann", code=1)
    assert "no-such-case" in out
    out = cli("tickets", "reply", tid, "!case", "--agent", "ann", code=1)
    assert "case id" in out
    assert len([m for m in ac.handoff.transcript(tid) if m.author == "agent"]) == 1


@pytest.mark.parametrize("marker", ["!CASE", "!Case", " !case"])
def test_the_case_marker_is_read_whatever_its_letter_case(ac, cli, client, marker: str) -> None:
    tid = open_ticket(client, f"nam3{marker.strip()}")
    case = ac.kb.get("reset-password")
    out = cli("tickets", "reply", tid, f"{marker} reset-password Here is how:", "--agent", "ann")
    assert "reply with case reset-password sent" in out, out
    sent = [m.text for m in ac.handoff.transcript(tid) if m.author == "agent"]
    assert sent and not any(marker.strip().lower() in t.lower() for t in sent), sent
    assert "Here is how:" in sent[-1] and case.answer.splitlines()[0] in sent[-1]
    out = cli("tickets", "reply", tid, marker, "--agent", "ann", code=1)  # the marker alone: the case id asked
    assert "case id" in out
