"""``aftercare eval``'s retrieval section (at_1, at_3, mrr over the hits each decision shows) and the
Bitext benchmark's split."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from bench.bitext import Message, build
from bot.cli import main

# Demo KB phrasings: rows 1-2 retrieve their own case first; row 3 is a delete-account phrasing
# expected to be reset-password, row 4 matches nothing, so both lower the figures; rows 5-6 are left
# out (an escalation and a case id the KB does not have).
TEST = """text,expected
how do I reset my password?,reset-password
how do I delete my account?,delete-account
how do I delete my account?,reset-password
zebra quantum marmalade on a tuesday,reset-password
the camera caught fire and the house is full of smoke,escalate
how do I reset my password?,no-such-case
"""


def test_eval_retrieval_figures(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    ac = make_app(demo=True, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    (tmp_path / "test.csv").write_text(TEST)
    preds, html = tmp_path / "preds.csv", tmp_path / "report.html"
    assert main(["eval", str(tmp_path / "test.csv"), "--json", "--predictions", str(preds),
                 "--html", str(html)]) == 0
    result = json.loads(capsys.readouterr().out)
    r = result["retrieval"]

    # the ranking a decision shows (5 distinct cases, in the order the neighbours voted for them), per message
    def rank(text: str, case: str) -> int | None:
        ids = [h.case_id for h in ac.router().decide(text, ac.embedder.encode([text])[0]).hits]
        assert sorted(ids) == sorted(h.case_id for h in ac.kb.search(text, 5))  # the same cases as a search
        return ids.index(case) + 1 if case in ids else None

    ranks = [rank(t, e) for t, e in (("how do I reset my password?", "reset-password"),
                                      ("how do I delete my account?", "delete-account"),
                                      ("how do I delete my account?", "reset-password"),
                                      ("zebra quantum marmalade on a tuesday", "reset-password"))]
    assert ranks[:2] == [1, 1] and ranks[2] != 1 and ranks[3] != 1
    assert r["n"] == 4  # the escalation and the unknown case are left out
    assert r["at_1"] == 0.5
    assert r["at_3"] == round(sum(1 for k in ranks if k is not None and k <= 3) / 4, 4)
    assert r["mrr"] == round(sum(1 / k for k in ranks if k is not None) / 4, 4)
    assert 0.5 <= r["mrr"] < 1 and r["at_1"] <= r["at_3"] <= 1
    for key in ("n", "routing_accuracy", "confusion", "sweep", "calibration"):  # the other keys stay
        assert key in result

    rows = list(csv.DictReader(preds.open()))
    assert list(rows[0]) == ["text", "expected", "decision", "top_case", "options"]
    assert [row["top_case"] for row in rows[:3]] == ["reset-password", "delete-account", "delete-account"]

    page = html.read_text()
    assert "Retrieval" in page and "at_1" in page and str(r["mrr"]) in page

    assert main(["eval", str(tmp_path / "test.csv")]) == 0
    out = capsys.readouterr().out
    assert f"at_1 {r['at_1']}" in out and f"mrr {r['mrr']}" in out and "(n 4)" in out


def test_eval_retrieval_without_cases_is_zero(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    make_app(demo=True, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    (tmp_path / "test.csv").write_text("text,expected\nmy camera is broken,escalate\n")
    assert main(["eval", str(tmp_path / "test.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["retrieval"] == {"at_1": 0.0, "at_3": 0.0, "mrr": 0.0, "n": 0}


def test_bitext_split_is_stratified_and_disjoint() -> None:
    sizes = {"cancel_order": 10, "track_order": 23, "get_refund": 7, "review": 2}
    by_intent = {i: [Message(text=f"{i} message {k}", response=f"answer {i} {k}", category=i.split("_")[-1].upper())
                     for k in range(n)] for i, n in sizes.items()}
    split = build(by_intent, test_frac=0.2, seed=0)

    held = Counter(expected for _, expected in split.test)
    kept = Counter(case_id for case_id, *_ in split.cases)
    assert held == {"cancel_order": 2, "track_order": 5, "get_refund": 1, "review": 1}  # 20% of each, at least 1
    assert all(kept[i] + held[i] == n and kept[i] >= 1 for i, n in sizes.items())
    assert split.intents == sorted(sizes)
    phrasings = {(case_id, q) for case_id, q, _, _ in split.cases}
    assert not {(e, t) for t, e in split.test} & phrasings
    assert not {t for t, _ in split.test} & {q for _, q in phrasings}
    for case_id, _, answer, tags in split.cases:  # one answer per case, from a kept message; tag = category
        first = next(q for c, q, _, _ in split.cases if c == case_id)
        assert answer == f"answer {case_id} {first.rsplit(' ', 1)[1]}"
        assert tags == case_id.split("_")[-1].upper()

    assert build(by_intent, test_frac=0.2, seed=0) == split  # a fixed seed gives the same split
    assert build(by_intent, test_frac=0.2, seed=1).test != split.test


def test_bitext_reader_drops_repeats_and_ambiguous_messages(tmp_path: Path) -> None:
    from bench.bitext import read_dataset

    path = tmp_path / "bitext.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["instruction", "intent", "category", "response"])
        w.writerows([["cancel my order", "cancel_order", "ORDER", "a1"],
                     ["Cancel  my order ", "cancel_order", "ORDER", "a2"],  # the same message again
                     ["where is my order", "track_order", "ORDER", "b1"],
                     ["help me", "track_order", "ORDER", "b2"],
                     ["help me", "get_refund", "REFUND", "c1"],  # under two intents: dropped
                     ["I want my money back", "get_refund", "REFUND", "c2"]])
    got = {i: [m.text for m in msgs] for i, msgs in read_dataset(path).items()}
    assert got == {"cancel_order": ["cancel my order"], "track_order": ["where is my order"],
                   "get_refund": ["I want my money back"]}
