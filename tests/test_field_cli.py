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


@pytest.mark.parametrize("stdin_encoding", ["", "utf-8:strict"])  # the locale's default; a strict UTF-8 locale
def test_the_terminal_chat_takes_input_that_is_not_utf8_and_goes_on(tmp_path: Path, seeded_dir: Path,
                                                                   stdin_encoding: str) -> None:
    """`aftercare chat` with bytes that are not UTF-8 on its input (a pasted binary, a wrong terminal
    encoding): each such line gets a reply and the chat goes on to answer the next question."""
    import os
    import shutil
    import subprocess
    import sys

    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "PYTHONIOENCODING": stdin_encoding}
    typed = b"\xff\xfe\xfa\xfb\n" + b"my caf\xe9 camera will not connect\n" + b"how do I reset my password?\n"
    res = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--customer", "bytes"], input=typed,
                         capture_output=True, env=env, cwd=Path(__file__).resolve().parents[1], timeout=600)
    out = res.stdout.decode("utf-8", "replace")
    assert res.returncode == 0, res.stderr.decode("utf-8", "replace")[-2000:]
    assert out.count("bot> ") >= 3, out
    assert "I can only read text messages" in out  # the line of nothing but bad bytes
    assert "Settings" in out  # and the chat went on to answer the question


BAD_CONFIGS = {
    "not UTF-8": (b"\xff\xfe\x00web:\n", "not UTF-8 text"),
    "a folder": (None, "Is a directory"),
    "broken YAML": (b"web:\n  port: [1,2\n", "not valid YAML"),
    "a port out of range": (b"web:\n  port: 70000\n", "web.port: expected a port number"),
    "an unknown database": (b"database:\n  url: bogus://db\n", "database.url: no database driver for 'bogus'"),
    "no database URL": (b"database:\n  url: not a url\n", "database.url: not a database URL"),
    "a database whose driver is not installed": (b"database:\n  url: mysql://u@h/db\n",
                                                 "database.url: no database driver for 'mysql' installed"),
    "a negative limit": (b"web:\n  customer_messages_per_minute: -1\n",
                         "web.customer_messages_per_minute: expected 0 or more, got -1"),
    "a negative window": (b"tickets:\n  reopen_window_hours: -3\n", "tickets.reopen_window_hours: expected 0 or more"),
    "not a number": (b"tickets:\n  reopen_window_hours: .nan\n", "tickets.reopen_window_hours: expected 0 or more"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_bad_configuration_file_stops_every_command_with_one_line(data_dir, tmp_path, capsys, case) -> None:
    content, reason = BAD_CONFIGS[case]
    path = tmp_path / "a-folder.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    assert main(["--config", str(path), "tickets", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aftercare: configuration error: ") and reason in err, err
    assert "Traceback" not in err


def test_a_database_url_with_a_password_is_not_repeated_in_the_error(data_dir, capsys, monkeypatch) -> None:
    monkeypatch.setenv("AFTERCARE_DATABASE__URL", "nosuchdb://admin:hunter2@db.internal/x")
    assert main(["tickets", "list"]) == 2
    err = capsys.readouterr().err
    assert "database.url" in err and "hunter2" not in err, err
