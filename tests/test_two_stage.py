"""Two stages (``retrieval.two_stage``, on by default): the labelled examples say whether a message is a question, then
the knowledge base's phrasings alone say which case, so that a case with few phrasings is answered even
when many examples sit near the message. Through the CLI, as an operator meets it: import a thin case,
train on examples, evaluate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.app import default_examples
from bot.cli import main

# a young knowledge base: four cases of two phrasings each; the classifier's examples hold other customers'
# ways of asking one of them
THIN = (
    ("refund-timing", "Refunds reach your account within 5 business days.",
     ("how long does a refund take to reach my account", "when will I get my money back after a return")),
    ("reset-password", "Tap Forgot password on the login screen.",
     ("how do I reset my password?", "I forgot my password")),
    ("cancel-subscription", "Cancel under Settings, Plan.",
     ("how do I cancel my subscription", "I want to stop my plan")),
    ("change-email", "Change it under Settings, Account.",
     ("how do I change my email address", "update the email on my account")),
)
ASKED_BEFORE = ["how many business days does a refund need", "how soon is a refund paid out",
                "what is the refund processing time", "how quickly do you pay refunds", "refund duration?",
                "how long is the wait for a refund"]
MESSAGES = ["how long do refunds take?", "refund takes how long", "how long until I see the refund in my bank account"]


@pytest.fixture
def thin_kb(make_app, tmp_path: Path, monkeypatch) -> Path:
    make_app(demo=False, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    with open(tmp_path / "thin.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("case_id", "question", "answer", "tags"))
        w.writerows((case, q, answer, "") for case, answer, qs in THIN for q in qs)
    with open(default_examples(), newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(fh)]
    with open(tmp_path / "examples.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("text", "label"))
        w.writerows(rows + [(t, "question") for t in ASKED_BEFORE])
    (tmp_path / "test.csv").write_text("text,expected\n" + "".join(f"{m},refund-timing\n" for m in MESSAGES))
    assert main(["kb", "import", "-q", str(tmp_path / "thin.csv")]) == 0
    assert main(["classifier", "train", str(tmp_path / "examples.csv")]) == 0
    return tmp_path


def _decisions(folder: Path, capsys) -> list[str]:
    capsys.readouterr()
    preds = folder / "preds.csv"
    assert main(["eval", str(folder / "test.csv"), "--json", "--predictions", str(preds)]) == 0
    json.loads(capsys.readouterr().out)
    return [r["decision"] for r in csv.DictReader(preds.open())]


def test_a_thin_case_is_answered_in_two_stages(thin_kb: Path, capsys, monkeypatch, embedder) -> None:
    # two stages (the default): the examples say "a question", the phrasings say which case
    assert _decisions(thin_kb, capsys) == ["refund-timing"] * len(MESSAGES)
    # one vote of all: the examples of the same question, which no phrasing covers, vote to escalate
    monkeypatch.setenv("AFTERCARE_RETRIEVAL__TWO_STAGE", "false")
    assert "refund-timing" not in _decisions(thin_kb, capsys)


def test_two_stages_still_escalate_faults(thin_kb: Path, capsys, embedder) -> None:
    (thin_kb / "test.csv").write_text("text,expected\nI returned the camera a month ago and my refund never "
                                      "came,escalate\nI was charged twice for my subscription,escalate\n")
    assert _decisions(thin_kb, capsys) == ["escalate", "escalate"]
