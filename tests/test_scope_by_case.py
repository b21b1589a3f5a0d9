"""Out of scope relative to each case's own spread (``retrieval.scope_by: case``, the default): a message near a
case whose phrasings all say nearly the same thing must be about as near before it is answered from it; one
near a case of varied phrasings may be farther. Through the CLI, as an operator evaluates a knowledge base."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.cli import main

CASES = (
    # a tight case: every phrasing nearly the same words
    ("bot-name", "I'm Lumo's assistant.", ("what is your name", "what's your name", "whats your name",
                                          "what is ur name", "tell me your name", "your name please",
                                          "may I know your name")),
    # loose cases: the same question asked in many ways
    ("order-status", "Track it under Orders.", ("where is my order", "has my package shipped yet",
                                                 "tracking number for my parcel please", "when does my delivery arrive",
                                                 "order still not here, status?")),
    ("returns", "Returns are free for 30 days.", ("can I return the shoes", "how do returns work",
                                                  "I want to send back what I bought", "refund for a returned item",
                                                  "return label please")),
    ("opening-hours", "9 to 6, Monday to Saturday.", ("when are you open", "what time does the store close on sunday",
                                                     "opening hours", "are you open on holidays", "store hours today")),
)
# near the tight case's words, about something else: nearer than the loose cases' own phrasings are to each other
# (0.45 from its nearest phrasing; its floor is 0.57. "whats your address" sat at 0.5725, within the int8
# encoder's rounding of the floor: not a test of the design)
OFF_TOPIC = ["how old are you", "what is your age"]
COVERED = [("may i ask your name", "bot-name"), ("is my order on its way", "order-status")]


@pytest.fixture
def kb_dir(make_app, tmp_path: Path, monkeypatch) -> Path:
    make_app(demo=False, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    with open(tmp_path / "cases.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("case_id", "question", "answer", "tags"))
        w.writerows((case, q, answer, "") for case, answer, qs in CASES for q in qs)
    with open(tmp_path / "test.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("text", "expected"))
        w.writerows([(m, "escalate") for m in OFF_TOPIC] + COVERED)
    assert main(["kb", "import", "-q", str(tmp_path / "cases.csv")]) == 0
    return tmp_path


def _decisions(folder: Path, capsys) -> list[str]:
    capsys.readouterr()
    preds = folder / "preds.csv"
    assert main(["eval", str(folder / "test.csv"), "--json", "--predictions", str(preds)]) == 0
    json.loads(capsys.readouterr().out)
    return [r["decision"] for r in csv.DictReader(preds.open())]


def test_off_topic_near_a_tight_case_is_escalated(kb_dir: Path, capsys, monkeypatch, embedder) -> None:
    assert _decisions(kb_dir, capsys) == ["escalate"] * len(OFF_TOPIC) + [case for _, case in COVERED]
    # one floor for the whole KB: the loose cases' spread lets the off-topic messages through to the tight case
    monkeypatch.setenv("AFTERCARE_RETRIEVAL__SCOPE_BY", "kb")
    assert _decisions(kb_dir, capsys)[: len(OFF_TOPIC)].count("bot-name") >= 2
