"""``aftercare eval``'s desk view: confusion summary, threshold sweep, calibration, and the HTML page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.test_eval import CASES, EXAMPLES

TEST = """text,expected
I forgot my password again,pw
when does my order arrive,ship
how long until my parcel is delivered,ship
the app keeps crashing on start,escalate
I got charged two times this month,escalate
can I pay with a gift card,escalate
"""


@pytest.fixture
def evaluated(make_app, tmp_path: Path, monkeypatch, capsys) -> tuple[dict, Path]:
    make_app(demo=False, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    for name, text in (("cases.csv", CASES), ("examples.csv", EXAMPLES), ("test.csv", TEST)):
        (tmp_path / name).write_text(text)
    assert main(["kb", "import", "-q", str(tmp_path / "cases.csv")]) == 0
    assert main(["classifier", "train", str(tmp_path / "examples.csv")]) == 0
    capsys.readouterr()
    html = tmp_path / "report.html"
    assert main(["eval", str(tmp_path / "test.csv"), "--json", "--html", str(html)]) == 0
    return json.loads(capsys.readouterr().out), html


def test_eval_desk_view_json_and_html(evaluated, tmp_path: Path, capsys) -> None:
    r, _ = evaluated
    assert r["n"] == 6 and "routing_accuracy" in r and "wrong_answer_rate" in r
    conf = r["confusion"]
    mistakes = r["answered_wrong"] + r["escalated_wrong"]
    assert conf["case_to_escalate"] + conf["escalate_to_case"] + conf["case_to_other_case"] == mistakes
    assert sum(p["count"] for p in conf["top_pairs"]) == mistakes
    for p in conf["top_pairs"]:
        assert p["expected"] != p["decision"] and p["count"] >= 1

    sweep = r["sweep"]
    assert [p["threshold"] for p in sweep] == [round(0.3 + 0.05 * i, 2) for i in range(14)]
    rates = [p["answer_rate"] for p in sweep]
    assert rates == sorted(rates, reverse=True)  # a higher threshold never answers more
    for p in sweep:
        assert 0.0 <= p["routing_accuracy"] <= 1.0 and 0.0 <= p["wrong_answer_rate"] <= 1.0

    cal = r["calibration"]
    assert len(cal["bins"]) == 10 and 0.0 <= cal["ece"] <= 1.0
    assert cal["answered"] == r["answered_correct"] + r["answered_wrong"]
    assert sum(b["n"] for b in cal["bins"]) == cal["answered"]

    # the HTML page: self-contained
    html = evaluated[1]
    page = html.read_text()
    assert page.count("<svg") == 2 and "<polyline" in page
    assert "Threshold sweep" in page and "Reliability" in page and "Confusion" in page
    assert str(r["calibration"]["ece"]) in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    assert "<script" not in page

    # the text output stays readable
    assert main(["eval", str(tmp_path / "test.csv")]) == 0
    out = capsys.readouterr().out
    assert "routing_accuracy" in out and "ece" in out and "top_pairs" not in out


def test_clarifications_are_scored_as_resolution_not_as_answers(tmp_path: Path) -> None:
    """A clarification offering the right case counts toward resolution_rate only; one offered to a
    message that should be escalated is a miss, never an escalation; the page and predictions show them."""
    import csv

    from bot.quality.evaluate import Row, diagnostics, summarize, write_predictions
    from bot.quality.report import render_report

    rows = [
        Row(text="reset pw", expected="pw", decision="pw", ms=5.0),
        Row(text="parcel?", expected="ship", decision="clarify", options=("ship", "pw")),
        Row(text="pw or ship", expected="pw", decision="clarify", options=("ship", "returns")),
        Row(text="app crashes", expected="escalate", decision="clarify", options=("pw", "ship")),
        Row(text="charged twice", expected="escalate", decision="escalate"),
        Row(text="ship wrong", expected="ship", decision="pw"),
    ]
    r = summarize(rows)
    assert (r["clarified"], r["clarified_correct"]) == (3, 1)
    assert r["routing_accuracy"] == round(2 / 6, 4)  # first turn: the answer and the escalation
    assert r["resolution_rate"] == round(3 / 6, 4)  # + the clarification offering the right case
    assert (r["answered_correct"], r["answered_wrong"], r["escalated_correct"], r["escalated_wrong"]) == (1, 1, 1, 0)
    assert r["wrong_answer_rate"] == 0.5 and r["answer_rate"] == round(2 / 6, 4)
    d = diagnostics(rows)
    assert d["confusion"]["clarify_missed"] == 2
    assert d["calibration"]["answered"] == 2
    assert [c["correct"] for c in d["clarifications"]] == [True, False, False]
    preds = tmp_path / "p.csv"
    write_predictions(rows, preds)
    got = list(csv.DictReader(preds.open()))
    assert got[1]["decision"] == "clarify" and got[1]["options"] == "ship|pw" and got[0]["options"] == ""
    page = render_report({**r, **d}, source="t.csv")
    assert "Clarifications" in page and "ship | pw" in page and "resolution_rate" in page
