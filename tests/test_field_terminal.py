"""Field cases met in the terminal chat: what was said while the customer was away shows when they come
back (once), and the screen shows the conversation only (log lines go to a file in the data dir)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.adapters.terminal import run_terminal
from bot.cli import main
from bot.workflows import resolve_ticket

ROOT = Path(__file__).resolve().parents[1]
LOG_LINE = re.compile(r"\b(DEBUG|INFO|WARNING|ERROR)\b|\bnan\b")


def test_replies_that_came_while_the_customer_was_away_show_when_they_come_back(app) -> None:
    run_terminal(app, customer="term-pat", inp=io.StringIO("my camera will not power on at all\n/quit\n"),
                 out=io.StringIO(), poll_seconds=0)
    ticket = app.handoff.list()[0]
    app.handoff.reply(ticket.public_id, "sam", "Please hold the reset button for 10 seconds.")
    resolve_ticket(app, ticket.public_id, "sam", "Battery replaced", propose=False)

    back = io.StringIO()
    run_terminal(app, customer="term-pat", inp=io.StringIO("/quit\n"), out=back, poll_seconds=0)
    text = back.getvalue()
    assert "sam (support): Please hold the reset button for 10 seconds." in text, text
    assert "Battery replaced" in text and text.index("reset button") < text.index("Battery replaced")
    assert "my camera will not power on" not in text  # the customer's own turn, and the bot's answer to it,
    assert ticket.public_id not in text.split("Please hold")[0]  # were seen then: not shown again

    again = io.StringIO()  # shown once: the next chat starts quiet
    run_terminal(app, customer="term-pat", inp=io.StringIO(""), out=again, poll_seconds=0)
    assert "reset button" not in again.getvalue() and "Battery replaced" not in again.getvalue()


def _chat(data: Path, customer: str, typed: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "AFTERCARE_APP__LOG_LEVEL": "INFO"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *extra, "chat", "--customer", customer], input=typed,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_aftercare_chat_shows_the_conversation_only_and_logs_to_the_data_dir(tmp_path: Path, seeded_dir: Path,
                                                                            monkeypatch, capsys) -> None:
    """`aftercare chat` at log level INFO: a ticket opened, an answer given; neither stdout nor stderr
    carries a log line, the log file does (and no "precision nan"); an agent's reply sent meanwhile shows
    on the next `aftercare chat`. With --verbose the log lines go to stderr."""
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    res = _chat(data, "term-pat", "my camera will not power on at all\nhow do I reset my password?\n")
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("bot> ") >= 2 and "AC-" in res.stdout, res.stdout
    for stream in (res.stdout, res.stderr):
        assert not LOG_LINE.search(stream), stream
    logged = (data / "logs" / "chat.log").read_text(encoding="utf-8")
    assert re.search(r"INFO bot\.[a-z_.]+: ticket AC-\d+ opened", logged), logged
    assert not re.search(r"\bnan\b", logged), logged

    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(data))
    ticket = re.search(r"AC-\d{6}", res.stdout).group(0)  # type: ignore[union-attr]
    assert main(["tickets", "reply", ticket, "Please hold the reset button for 10 seconds.", "--agent", "ann"]) == 0
    capsys.readouterr()
    back = _chat(data, "term-pat", "")
    assert back.returncode == 0, back.stderr[-2000:]
    assert "Please hold the reset button for 10 seconds." in back.stdout, back.stdout
    assert "my camera" not in back.stdout and not LOG_LINE.search(back.stdout + back.stderr), back.stdout

    verbose = _chat(data, "term-lee", "my phone screen cracked when I dropped it\n", "--verbose")
    assert verbose.returncode == 0, verbose.stderr[-2000:]
    assert re.search(r"INFO bot\.[a-z_.]+: ticket AC-\d+ opened", verbose.stderr), verbose.stderr
    assert not LOG_LINE.search(verbose.stdout), verbose.stdout


@pytest.mark.parametrize("command", ["/QUIT", "/Exit"])
def test_a_command_is_read_whatever_its_letter_case(app, command: str) -> None:
    out = io.StringIO()
    run_terminal(app, customer="term-case", inp=io.StringIO(f"{command}\nmy camera will not power on at all\n"),
                 out=out, poll_seconds=0)
    assert "bot>" not in out.getvalue(), out.getvalue()  # the chat ended at the command: nothing was sent
    assert app.handoff.list() == []
