"""kb import: CSV and JSONL, repeated ids add phrasings, malformed files refused whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import Aftercare
from bot.cli import main
from kb.errors import ImportFileError
from kb.importer import parse_file

GOOD = """case_id,question,answer,tags
reset,How do I reset my password?,Use Settings > Password.,account;password
reset,forgot my password,,
refund,When do I get my refund?,Refunds take 5 days.,billing
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def test_csv_rows_repeating_a_case_add_phrasings(tmp_path: Path) -> None:
    rows = parse_file(write(tmp_path, "c.csv", GOOD))
    assert [r.case_id for r in rows] == ["reset", "refund"]
    assert rows[0].questions == ["How do I reset my password?", "forgot my password"]
    assert rows[0].tags == ["account", "password"]


def test_jsonl_with_question_lists(tmp_path: Path) -> None:
    lines = [
        {"case_id": "a", "question": ["q one", "q two"], "answer": "A", "tags": ["x"]},
        {"case_id": "a", "question": "q three"},
        {"case_id": "b", "question": "q b", "answer": "B"},
    ]
    rows = parse_file(write(tmp_path, "c.jsonl", "\n".join(json.dumps(x) for x in lines)))
    assert rows[0].questions == ["q one", "q two", "q three"]
    assert rows[1].answer == "B"


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"),
    [
        ("h.csv", "id,question,answer\n1,q,a\n", 1, "lacks column"),
        ("f.csv", "case_id,question,answer\nx,q,a\ny,q\n", 3, "expected 3 fields"),
        ("q.csv", "case_id,question,answer\nx,q,a\ny, ,a\n", 3, "question is empty"),
        ("a.csv", "case_id,question,answer\nx,q,\n", 2, "answer is empty"),
        ("d.csv", "case_id,question,answer\nx,q,a\nx,q2,b\n", 3, "different answer"),
        ("i.csv", "case_id,question,answer\nbad id!,q,a\n", 2, "case_id"),
        ("u.csv", b"case_id,question,answer\nx,q,a\ny,\xff\xfe,a\n", 3, "UTF-8"),
        ("j.jsonl", '{"case_id": "a", "question": "q", "answer": "A"}\n{"case_id": \n', 2, "not valid JSON"),
        ("k.jsonl", '{"case_id": "a", "question": "q", "answer": "A", "colour": 1}\n', 1, "unknown key"),
        ("q2.csv", 'case_id,question,answer\nx,"unterminated,a\n', None, ""),
    ],
)
def test_malformed_files_are_refused_with_line(tmp_path: Path, name: str, content: str | bytes,
                                               line: int | None, reason: str) -> None:
    with pytest.raises(ImportFileError) as err:
        parse_file(write(tmp_path, name, content))
    if line is not None:
        assert err.value.line == line
    assert reason in err.value.reason


def test_binary_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="binary"):
        parse_file(write(tmp_path, "b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00"))
    with pytest.raises(ImportFileError, match="empty"):
        parse_file(write(tmp_path, "e.csv", ""))
    with pytest.raises(ImportFileError, match="unknown file type"):
        parse_file(write(tmp_path, "e.xlsx", "x"))


def test_cli_import_malformed_file_imports_nothing(make_app, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    ac: Aftercare = make_app(demo=False, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    bad = write(tmp_path, "bad.csv", GOOD + "broken,row\n")
    assert main(["--config", "config.yaml", "kb", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 5" in err and "expected 4 fields" in err
    assert ac.kb.count(state=None) == 0


def test_cli_import_then_search(make_app, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    make_app(demo=False, data_dir=tmp_path / "d")
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "d"))
    good = write(tmp_path, "good.csv", GOOD)
    assert main(["kb", "import", "-q", str(good)]) == 0
    assert "2 new cases" in capsys.readouterr().out
    assert main(["kb", "search", "--json", "I forgot my password"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["case_id"] == "reset" and hits[0]["score"] > 0.9
    # importing the same file again changes nothing, and says so
    assert main(["kb", "import", "-q", str(good)]) == 0
    assert "0 new cases, 0 updated, 0 phrasings added" in capsys.readouterr().out
    assert main(["kb", "export", "--format", "jsonl"]) == 0
    exported = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {e["case_id"] for e in exported} == {"reset", "refund"}
    assert main(["kb", "show", "reset"]) == 0
    assert "forgot my password" in capsys.readouterr().out
