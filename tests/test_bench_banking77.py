"""The BANKING77 benchmark's split and its held-out figures (intents left out of the knowledge base)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bench.banking77 import ESCALATE, build, main, score_held_out

QUESTIONS = {
    "card_arrival": ["when will my card arrive", "my new card has not come yet, how long does it take",
                     "how many days until the card is delivered", "card delivery time", "is my card on its way",
                     "how long for a new card to arrive", "what is the delivery estimate for cards",
                     "when should i expect my card"],
    "exchange_rate": ["what exchange rate do you use", "how is the currency rate calculated",
                      "which rate applies when I exchange money", "is your exchange rate fair",
                      "where do the exchange rates come from", "what rate will I get for euros",
                      "how often do exchange rates change", "exchange rate source"],
    "top_up_limits": ["what is the maximum top up", "how much can I top up at once", "top up limit",
                      "is there a limit on top ups", "can I add more than 1000 to my account",
                      "what are the top-up limits", "max amount for a top up", "how high can my top up be"],
}
FAULTS = {
    "card_payment_declined": ["my card payment was declined", "the shop refused my card", "card declined again",
                              "why was my payment declined", "payment with card failed at the store",
                              "my card keeps getting declined", "declined card payment", "card not accepted"],
}


def _data() -> tuple[dict[str, list[str]], dict[str, str]]:
    by_intent = {**QUESTIONS, **FAULTS}
    actions = {**{i: "question" for i in QUESTIONS}, **{i: "fault" for i in FAULTS}}
    return by_intent, actions


def test_held_out_intents_are_escalations_and_are_scored_apart() -> None:
    by_intent, actions = _data()
    split = build(by_intent, actions, dev_frac=0.25, seed=0, phrasings=None, holdout_frac=0.34)
    assert len(split.held_out) == 1 and split.held_out[0] in QUESTIONS
    assert split.held_out[0] not in {c[0] for c in split.cases}
    assert len(split.test_intents) == len(split.test) == 8
    for (_, expected), intent in zip(split.test, split.test_intents, strict=True):
        assert expected == (ESCALATE if intent in split.held_out or intent in FAULTS else intent)
    # a perfect router, then one that answers every held-out message with a covered case
    perfect = [exp for _, exp in split.test]
    s = score_held_out(split, perfect)
    assert (s["held_out_recall"], s["covered_routing_accuracy"], s["covered_wrong_answer_rate"]) == (1.0, 1.0, 0.0)
    assert (s["held_out_messages"], s["covered_messages"]) == (2, 6)
    leaky = [split.kb_intents[0] if i in split.held_out else exp
             for (_, exp), i in zip(split.test, split.test_intents, strict=True)]
    assert score_held_out(split, leaky)["held_out_recall"] == 0.0
    with pytest.raises(ValueError):
        score_held_out(split, perfect[:-1])


def test_run_reports_held_out_recall_through_the_cli(tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    by_intent, actions = _data()
    with open(data / "train.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        w.writerows((t, i) for i, texts in by_intent.items() for t in texts)
    with open(data / "actions.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["category", "label"])
        w.writerows(actions.items())
    assert main(["--data", str(data), "--out", str(tmp_path / "out"), "--dev-frac", "0.25",
                 "--holdout-frac", "0.34", "--run"]) == 0
    result = json.loads(capsys.readouterr().out)
    held = result["held_out"]
    assert held["held_out_intents"] == 1 and held["held_out_messages"] == 2 and held["covered_messages"] == 6
    assert 0.0 <= held["held_out_recall"] <= 1.0 and 0.0 <= held["covered_routing_accuracy"] <= 1.0
    assert result["n"] == 8 and (tmp_path / "out" / "predictions.csv").exists()
