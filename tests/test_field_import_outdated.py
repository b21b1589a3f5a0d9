"""Field case of `kb import --update`: a new answer without the Korean one says the Korean answer is now
outdated (dry run and import), and the Korean answer is kept and still served (as Zendesk Guide does)."""

from __future__ import annotations

from pathlib import Path

from bot.app import Aftercare
from tests.desk_support import Cli


def test_a_new_english_answer_without_answer_ko_flags_the_korean_one_outdated(ac: Aftercare, cli: Cli,
                                                                              tmp_path: Path) -> None:
    korean = ac.kb.get("reset-password").translations["ko"]
    f = tmp_path / "upd.csv"
    f.write_text("case_id,question,answer\n"
                 "reset-password,how do I reset my password?,Call us and we reset it for you.\n", encoding="utf-8")
    out = cli("kb", "import", str(f), "--dry-run")
    assert "outdated: the answer in Korean (ko) would not be updated" in out, out
    out = cli("kb", "import", str(f), "--update")
    assert "outdated: the answer in Korean (ko) is not updated" in out, out
    case = ac.kb.get("reset-password")
    assert case.answer == "Call us and we reset it for you." and case.translations["ko"] == korean
    f.write_text("case_id,question,answer,answer_ko\n"
                 "reset-password,how do I reset my password?,Call us.,전화 주세요.\n", encoding="utf-8")
    out = cli("kb", "import", str(f), "--update")
    assert "outdated" not in out, out
