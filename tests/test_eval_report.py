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
