"""The evaluation contract: kb import, classifier train, eval --json --predictions; eval changes no state."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from handoff.models import Conversation, Message, Ticket

CASES = """case_id,question,answer
pw,how do I reset my password,Go to Settings > Password.
pw,I forgot my password,
pw,can't remember my login password,
ship,how long does shipping take,Three to five days.
ship,when will my order arrive,
ship,delivery time for orders,
"""
EXAMPLES = """text,label
how do I reset my password,question
how long does shipping take,question
the app crashes when I open it,fault
I was charged twice,fault
my device is broken and won't start,fault
error 500 every time I log in,fault
"""
TEST = """text,expected
I forgot my password again,pw
when does my order arrive,ship
the app keeps crashing on start,escalate
I got charged two times this month,escalate
"""


@pytest.fixture
def workdir(make_app, tmp_path: Path, monkeypatch) -> Path:
    make_app(demo=False, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    for name, text in (("cases.csv", CASES), ("examples.csv", EXAMPLES), ("test.csv", TEST)):
        (tmp_path / name).write_text(text)
    return tmp_path


def _counts(ac) -> tuple[int, int, int]:
    with ac.sessions() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(t)) or 0) for t in (Ticket, Conversation, Message))


def test_eval_contract(workdir: Path, capsys, embedder) -> None:
    assert main(["kb", "import", "-q", str(workdir / "cases.csv")]) == 0
    assert main(["classifier", "train", str(workdir / "examples.csv")]) == 0
    capsys.readouterr()
    preds = workdir / "preds.csv"
    assert main(["eval", str(workdir / "test.csv"), "--json", "--predictions", str(preds)]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("n", "routing_accuracy", "answered_correct", "answered_wrong", "escalated_correct",
                "escalated_wrong", "wrong_answer_rate", "p50_ms", "p99_ms", "clarified", "clarified_correct",
                "resolution_rate"):
        assert key in result
    assert result["n"] == 4
    assert result["answered_correct"] + result["answered_wrong"] + result["escalated_correct"] \
        + result["escalated_wrong"] == 4
    assert result["escalated_correct"] == 2  # both faults escalated
    rows = list(csv.DictReader(preds.open()))
    assert list(rows[0]) == ["text", "expected", "decision", "top_case", "options"]
    assert [r["expected"] for r in rows] == ["pw", "ship", "escalate", "escalate"]
    assert all(r["decision"] in ("pw", "ship", "escalate", "clarify") for r in rows)
    assert all((r["decision"] == "clarify") == bool(r["options"]) for r in rows)
    assert result["resolution_rate"] >= result["routing_accuracy"]
    assert result["routing_accuracy"] >= 0.75


def test_eval_scores_every_message_and_times_a_sample(workdir: Path, capsys, embedder) -> None:
    """All messages are scored (encoded in batches); only the latency sample is timed one at a time."""
    assert main(["kb", "import", "-q", str(workdir / "cases.csv")]) == 0
    assert main(["classifier", "train", str(workdir / "examples.csv")]) == 0
    capsys.readouterr()
    assert main(["eval", str(workdir / "test.csv"), "--json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert full["latency_sample"] == 4  # fewer messages than the default sample: all timed
    assert main(["eval", str(workdir / "test.csv"), "--json", "--latency-sample", "2"]) == 0
    sampled = json.loads(capsys.readouterr().out)
    assert sampled["latency_sample"] == 2 and sampled["n"] == 4 and sampled["p50_ms"] > 0
    # the decisions do not depend on how many were timed
    drop = ("p50_ms", "p99_ms", "latency_sample")
    assert {k: v for k, v in sampled.items() if k not in drop} == {k: v for k, v in full.items() if k not in drop}
    assert main(["eval", str(workdir / "test.csv"), "--json", "--latency-sample", "-1"]) == 1
    assert "latency-sample" in capsys.readouterr().err


def test_eval_changes_no_state(workdir: Path, capsys, embedder) -> None:
    from bot.app import Aftercare
    from tests.conftest import make_config

    assert main(["kb", "import", "-q", str(workdir / "cases.csv")]) == 0
    ac = Aftercare(make_config(workdir / "d"), embedder=embedder)
    before = (_counts(ac), ac.kb.revision())
    assert main(["eval", str(workdir / "test.csv"), "--json"]) == 0
    assert (_counts(ac), ac.kb.revision()) == before
    ac.close()


def test_classifier_file_with_one_label_works(workdir: Path, capsys) -> None:
    (workdir / "one.csv").write_text("text,label\nhow do I reset my password,question\nshipping time,question\n")
    assert main(["kb", "import", "-q", str(workdir / "cases.csv")]) == 0
    assert main(["classifier", "train", str(workdir / "one.csv")]) == 0
    capsys.readouterr()
    assert main(["eval", str(workdir / "test.csv"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["answered_correct"] >= 2  # retrieval alone decides


def test_bad_training_and_test_files(workdir: Path, capsys) -> None:
    (workdir / "bad.csv").write_text("text,label\nhello,question\nboom,explosion\n")
    assert main(["classifier", "train", str(workdir / "bad.csv")]) == 1
    assert "line 3" in capsys.readouterr().err
    (workdir / "badtest.csv").write_text("message,answer\nx,y\n")
    assert main(["eval", str(workdir / "badtest.csv")]) == 1
    assert "text and expected" in capsys.readouterr().err


def test_the_demo_knowledge_base_on_its_test_set(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    """`make eval-demo`'s figures, as a floor: the demo's 36 cases against 55 held-out messages
    (paraphrased questions, faults, questions no case covers, a request for a person, French)."""
    ac = make_app(data_dir=tmp_path / "d")  # the demo KB, as `make run` starts
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
    root = Path(__file__).resolve().parents[1]
    capsys.readouterr()
    assert main(["--config", str(root / "config.yaml"), "eval", str(root / "kb" / "demo" / "test.csv"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 55
    assert r["retrieval"]["at_1"] >= 0.95  # the right case is ranked first
    assert r["routing_accuracy"] >= 0.78 and r["wrong_answer_rate"] <= 0.05


def test_the_demo_knowledge_base_on_its_korean_test_set(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    """`make eval-demo`'s Korean figures, as a floor, with the default configuration: every message of
    kb/demo/test_ko.csv (55 Korean messages written apart from the KB's phrasings and the dev split) is read
    by the multilingual half of the pair, and most are routed right."""
    ac = make_app(data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
    root = Path(__file__).resolve().parents[1]
    capsys.readouterr()
    assert main(["--config", str(root / "config.yaml"), "eval", str(root / "kb" / "demo" / "test_ko.csv"),
                 "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 55 and r["encoders"] == {"use-multilingual-v3": 55}
    assert r["routing_accuracy"] >= 0.8 and r["wrong_answer_rate"] <= 0.05
