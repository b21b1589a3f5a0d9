"""``aftercare kb lint``: the demo knowledge base with planted problems, worst first."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main


def test_lint_finds_planted_problems_worst_first(make_app, tmp_path: Path, monkeypatch, capsys) -> None:
    ac = make_app(data_dir=tmp_path / "d")  # the demo KB
    # a near-duplicate of reset-password, worded almost the same
    ac.kb.add_case("password-help", ["how can I reset my password?", "I forgot my password, help",
                                     "can't remember my password"], "See Settings > Password.")
    # a thin case: one phrasing
    ac.kb.add_case("gift-wrap", ["do you offer gift wrapping"], "Yes, at checkout.")
    # a phrasing misfiled under another case: it is about shipping times
    ac.kb.add_case("loyalty-points", ["how do loyalty points work", "where do I see my points balance",
                                      "how long does shipping take to my country"], "Points are in your account.")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    capsys.readouterr()
    assert main(["kb", "lint", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    issues = report["issues"]
    assert report["cases"] >= 39 and issues
    assert [i["severity"] for i in issues] == sorted((i["severity"] for i in issues), reverse=True)

    def find(kind: str, case: str) -> list[dict]:
        return [i for i in issues if i["kind"] == kind and case in (i["case_id"], i["other_case"])]

    dup = find("near_duplicate", "password-help")
    assert dup and {dup[0]["case_id"], dup[0]["other_case"]} == {"password-help", "reset-password"}
    assert issues[0]["kind"] == "near_duplicate"  # what to fix first
    coll = [i for i in find("collision", "loyalty-points") if i["case_id"] == "loyalty-points"]
    assert coll and any(o["phrasing"] == "how long does shipping take to my country" for o in coll[0]["phrasings"])
    assert any(o["similarity"] > o["own_best"] for o in coll[0]["phrasings"])
    thin = find("thin", "gift-wrap")
    assert thin and "only 1 phrasing" in thin[0]["detail"]
    assert not find("thin", "warranty-info")  # a healthy demo case is not flagged as thin
    # the demo's Korean phrasings are unknown tokens alike to the English encoder: judged by it, every case
    # with them was a near-duplicate of every other and thin; they are left to the encoder that reads them
    assert [i for i in issues if i["kind"] == "near_duplicate"] == dup

    assert main(["kb", "lint", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "issues (worst first)" in out and "near_duplicate" in out


def test_lint_names_questions_customers_ask_that_no_case_answers(make_app, tmp_path: Path, monkeypatch,
                                                                 capsys) -> None:
    """The shipped classifier examples hold questions customers ask; those no demo case covers are
    escalated by the bot, and lint lists them with the nearest case. Writing a case clears one."""
    from tests.conftest import FakeChannel

    ac = make_app(data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    chat = FakeChannel(ac)

    def unanswered() -> dict[str, dict]:
        capsys.readouterr()
        assert main(["kb", "lint", "--json"]) == 0
        issues = json.loads(capsys.readouterr().out)["issues"]
        return {i["phrasings"][0]["phrasing"]: i for i in issues if i["kind"] == "unanswered"}

    found = unanswered()
    assert "Is there a student discount?" in found and "how do you handle GDPR requests" in found
    assert "How do I turn on two-step login?" not in found  # the demo's enable-2fa case has it
    assert all(i["severity"] < 1.0 and "the bot escalates it" in i["detail"] for i in found.values())
    assert chat.push("Is there a student discount?", customer="s1").action == "escalate"
    ac.kb.add_case("student-discount", ["Is there a student discount?", "do students get a discount",
                                        "discount for students"], "Students get 20% off Plus with a valid ID.")
    assert "Is there a student discount?" not in unanswered()
    assert chat.push("Is there a student discount?", customer="s2").action == "answer"
    capsys.readouterr()
    assert main(["kb", "lint"]) == 0
    assert "unanswered" in capsys.readouterr().out
