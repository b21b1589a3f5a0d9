""""Did you mean...?": a message torn between two or three cases gets them as choices, plus "None of
these"; a pick answers, none goes to a person with the options shown, and it is never asked twice in a
row. The demo knowledge base and the real encoder decide; the terminal and the eval command are the
surfaces here (Telegram, Slack and the web chat have theirs in their own test files)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bot.adapters.terminal import run_terminal
from bot.cli import main

# Torn between cancelling and changing the plan: both cases are plausible, together nearly certain
TORN = "how do I change my plan or cancel"
NONE_LABEL = "None of these — talk to a person"


def test_torn_message_offers_the_cases_as_numbered_choices_and_a_typed_number_picks(app) -> None:
    out = io.StringIO()
    run_terminal(app, customer="ann", inp=io.StringIO(f"{TORN}\n2\n/quit\n"), out=out, poll_seconds=0)
    text = out.getvalue()
    assert "Did you mean one of these?" in text
    plans = app.kb.get("change-plan")
    cancel = app.kb.get("cancel-subscription")
    lines = [line.strip() for line in text.splitlines()]
    offered = [line for line in lines if line[:3] in ("1. ", "2. ", "3. ", "4. ")]
    assert offered[-1].endswith(NONE_LABEL)
    assert len(offered) in (3, 4)  # two or three cases, then "None of these"
    second = offered[1][3:]
    picked = plans if second == plans.questions[0] else cancel
    assert second == picked.questions[0]
    assert picked.answer.splitlines()[0] in text  # "2" answered with the second option's case
    assert app.handoff.list() == []  # nobody was bothered
    msgs = app.handoff.customer_messages("terminal", "ann")
    answer = msgs[-1]
    assert answer.meta["kind"] == "answer" and answer.meta["case_id"] == picked.id
    assert answer.meta["asked"] == TORN and answer.meta["picked_from"] == msgs[-2].id


def test_none_of_these_goes_to_a_person_with_the_options_shown(app) -> None:
    out = io.StringIO()
    run_terminal(app, customer="bea", inp=io.StringIO(f"{TORN}\nnone of these\n/quit\n"), out=out, poll_seconds=0)
    [ticket] = app.handoff.list()
    assert ticket.public_id in out.getvalue()
    assert "change-plan" in ticket.reason and "cancel-subscription" in ticket.reason
    assert ticket.subject == TORN  # the agent sees what the customer asked, not "none of these"


def test_never_asked_twice_in_a_row(app) -> None:
    out = io.StringIO()
    run_terminal(app, customer="cid", inp=io.StringIO(f"{TORN}\n{TORN}\n/quit\n"), out=out, poll_seconds=0)
    assert out.getvalue().count("Did you mean one of these?") == 1
    [ticket] = app.handoff.list()  # the second torn message goes to a person
    assert "asked which of" in ticket.reason


def test_a_pick_counts_once(app) -> None:
    first = app.pipeline.decide(TORN)
    assert first.action == "clarify" and 2 <= len(first.options) <= 3
    from bot.messages import IncomingMessage

    out = app.pipeline.handle(IncomingMessage(channel="test", customer="dan", text=TORN))
    assert out.action == "clarify" and out.options == list(first.options)
    actions = [a for _, a in out.replies[0].buttons]
    assert actions[-1].endswith(":none") and len(actions) == len(first.options) + 1
    clarify_id = int(actions[0].split(":")[1])
    picked = app.pipeline.pick("test", "dan", clarify_id, "0")
    assert picked is not None and picked.action == "answer" and picked.case_id == first.options[0]
    # one press per set of buttons: another press (another option, a double click, a retry) gets the first
    # press's answer again, and nothing more is stored
    again = app.pipeline.pick("test", "dan", clarify_id, "1")
    assert again is not None and again.case_id == first.options[0]
    assert [m.meta.get("case_id") for m in app.handoff.customer_messages("test", "dan")
            if m.meta.get("kind") == "answer"] == [first.options[0]]
    assert app.pipeline.pick("test", "eve", clarify_id, "0") is None  # another customer's message
    assert app.handoff.list() == []


def test_eval_scores_clarifications(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    ac = make_app(data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
    test = tmp_path / "test.csv"
    test.write_text(f"text,expected\n{TORN},change-plan\nhow do I reset my password?,reset-password\n"
                    f"{TORN},escalate\n")
    preds = tmp_path / "preds.csv"
    capsys.readouterr()
    assert main(["eval", str(test), "--json", "--predictions", str(preds)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["clarified"], r["clarified_correct"]) == (2, 1)  # offered to the fault: a miss
    assert r["routing_accuracy"] == round(1 / 3, 4) and r["resolution_rate"] == round(2 / 3, 4)
    rows = list(csv.DictReader(preds.open()))
    assert rows[0]["decision"] == "clarify" and "change-plan" in rows[0]["options"].split("|")
    assert rows[1]["decision"] == "reset-password" and rows[1]["options"] == ""


def test_calibration_counts_questions_the_kb_has_no_case_for(make_app, tmp_path: Path) -> None:
    """Leave-case-out votes (a phrasing whose whole case is taken out) stand for questions no case answers:
    they never lower the vote threshold, and options offered to them count against the clarify one."""
    kb_only = make_app(retrieval={"unseen_share": 0.0}).router().calibration()
    shipped = make_app().router().calibration()
    assert shipped.threshold >= kb_only.threshold
    assert shipped.clarify_points > 0 and shipped.clarify_threshold <= 1.0  # the demo still offers options
    assert 0.0 <= shipped.clarify_precision <= 1.0
