"""The router's calibration (leave-one-out votes over the knowledge base: seconds with 10,000 cases) is
saved in the data dir and loaded by the next start on the same knowledge base; a published case, another
setting or a damaged file makes the start compute it again (and save the new one)."""

from __future__ import annotations

import json

from tests.conftest import AppFactory, FakeChannel

MARK = 0.123  # a vote threshold no calibration of the demo KB gives


def mark_saved(path: object) -> None:
    """Put MARK in the saved calibration, key untouched: a start that shows MARK loaded the file."""
    from pathlib import Path

    p = Path(str(path))
    saved = json.loads(p.read_text(encoding="utf-8"))
    saved["calibration"]["threshold"] = MARK
    p.write_text(json.dumps(saved), encoding="utf-8")


def test_the_next_start_loads_the_saved_calibration(make_app: AppFactory) -> None:
    first = make_app()
    computed = first.router().calibration()
    path = first.data_dir / "calibration.json"
    assert json.loads(path.read_text(encoding="utf-8"))["calibration"]["threshold"] == computed.threshold
    mark_saved(path)

    again = make_app(data_dir=first.data_dir)
    again.warm()
    assert again.router().calibration().threshold == MARK
    # and the restarted bot answers with it
    out = FakeChannel(again).push("how do I reset my password?", customer="after-restart")
    assert out.action == "answer" and out.case_id == "reset-password"


def test_a_changed_knowledge_base_recomputes_and_replaces_it(make_app: AppFactory) -> None:
    first = make_app()
    first.warm()
    path = first.data_dir / "calibration.json"
    key = json.loads(path.read_text(encoding="utf-8"))["key"]
    mark_saved(path)

    again = make_app(data_dir=first.data_dir)
    again.kb.add_case("chime-pairing", ["how do I pair the doorbell chime with the base station?"],
                      "Hold the chime's button until it blinks blue.")
    assert again.router().calibration().threshold != MARK
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["key"] != key and saved["calibration"]["threshold"] != MARK
    out = FakeChannel(again).push("how do I pair the doorbell chime with the base station?", customer="new-case")
    assert out.case_id == "chime-pairing"


def test_another_setting_or_a_damaged_file_is_not_used(make_app: AppFactory) -> None:
    first = make_app()
    first.warm()
    path = first.data_dir / "calibration.json"
    mark_saved(path)

    stricter = make_app(data_dir=first.data_dir, retrieval={"target_precision": 0.99})
    assert stricter.router().calibration().threshold != MARK

    path.write_text("{not json", encoding="utf-8")
    damaged = make_app(data_dir=first.data_dir)
    assert damaged.router().calibration().threshold != MARK
    assert json.loads(path.read_text(encoding="utf-8"))["calibration"]["threshold"] != MARK  # written anew
    out = FakeChannel(damaged).push("how do I reset my password?", customer="damaged")
    assert out.action == "answer"
