"""Field case of `kb import --update`: a new answer without the Korean one says the Korean answer is now
outdated (dry run and import); the outdated Korean answer is kept aside and never served (a Korean customer
gets the new answer, introduced in Korean) until a new one is imported or written."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.app import Aftercare
from tests.console_support import login
from tests.desk_support import Cli
from tests.webchat import web_client


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
    assert "Korean customers get the new answer, introduced in Korean" in out, out
    case = ac.kb.get("reset-password")
    # the old Korean answer is kept aside, never served: a Korean customer gets the new answer
    assert case.answer == "Call us and we reset it for you." and "ko" not in case.translations
    assert case.outdated["ko"] == korean
    with web_client(ac) as client:
        r = client.post("/api/messages", json={"customer": "ko1", "text": "비밀번호를 어떻게 재설정하나요?"}).json()
    assert r["action"] == "answer" and r["case_id"] == "reset-password", r
    said = " ".join(x["text"] for x in r["replies"])
    assert "Call us and we reset it for you." in said and korean not in said, said
    with TestClient(create_web_app(ac)) as console:  # the editor sees the outdated Korean answer to rewrite
        login(console, "eve")
        assert "written for an older answer" in console.get("/console/cases/reset-password").text
    f.write_text("case_id,question,answer,answer_ko\n"
                 "reset-password,how do I reset my password?,Call us.,전화 주세요.\n", encoding="utf-8")
    out = cli("kb", "import", str(f), "--update")
    assert "outdated" not in out, out
    case = ac.kb.get("reset-password")
    assert case.translations["ko"] == "전화 주세요." and case.outdated == {}
