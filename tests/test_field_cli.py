"""Field cases met on the command line: files that are missing, directories or unwritable, and periods
out of range, get one line naming the problem and exit 1, never a traceback; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def data_dir(make_app, tmp_path: Path, monkeypatch) -> Path:
    d = tmp_path / "d"
    make_app(data_dir=d)
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(d))
    return d


def _bad_paths(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "a-folder"
    folder.mkdir(exist_ok=True)
    return {"missing": str(tmp_path / "no" / "such" / "file.csv"), "folder": str(folder)}


@pytest.mark.parametrize("kind", ["missing", "folder"])
@pytest.mark.parametrize("command", [
    ["kb", "import", "{path}"],
    ["kb", "import", "--dry-run", "{path}"],
    ["kb", "export", "-o", "{path}"],
    ["kb", "export", "--format", "jsonl", "-o", "{path}"],
    ["report", "--since", "30d", "-o", "{path}"],
    ["report", "--since", "30d", "--format", "json", "-o", "{path}"],
    ["classifier", "train", "{path}"],
    ["eval", "{path}"],
])
def test_a_file_that_cannot_be_read_or_written_gets_one_clear_line(data_dir, tmp_path, capsys, command, kind) -> None:
    path = _bad_paths(tmp_path)[kind]
    argv = [a.replace("{path}", path) for a in command]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("aftercare: ") and path in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("since", ["99999999999d", "999999999w", "9" * 30 + "h"])
def test_a_period_reaching_before_the_year_1_is_refused_with_the_reason(data_dir, capsys, since) -> None:
    assert main(["report", "--since", since]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aftercare: --since") and since in err, err
