"""Field cases of ``aftercare kb review`` as an editor meets it: ``--help`` says what list, approve, edit and
reject do; ``approve`` prints what it did, not the background calibration's log lines (those go to the log
at a lower level)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.workflows import resolve_ticket
from tests.conftest import FakeChannel

ROOT = Path(__file__).resolve().parents[1]
LOG_LINE = re.compile(r"\b(DEBUG|INFO|WARNING)\b")


def _aftercare(data: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "AFTERCARE_APP__LOG_LEVEL": "INFO"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *argv], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)


def test_review_help_says_what_each_action_does(cli) -> None:
    import pytest

    with pytest.raises(SystemExit):
        cli("kb", "review", "--help")
    shown = cli.capsys.readouterr().out
    for action, says in (("list", "draft cases waiting for review"), ("approve", "publish draft"),
                         ("edit", "change the answer"), ("reject", "never published")):
        assert re.search(rf"^\s+{action}\b.*{says}", shown, re.M), (action, shown)


def test_approve_prints_what_it_did_without_calibration_log_lines(chat: FakeChannel) -> None:
    ac = chat.ac
    out = chat.push("the app crashes every time I upload a photo", customer="rv")
    _, case = resolve_ticket(ac, str(out.ticket_id), "sam", "Update the Lumo app to 4.2.1: it fixes the crash on "
                             "photo upload.")
    assert case is not None and case.state == "draft"
    data = ac.data_dir
    ac.close()
    done = _aftercare(data, "kb", "review", "approve", case.id)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"case {case.id} approved and published" in done.stdout
    assert not LOG_LINE.search(done.stdout + done.stderr), done.stderr
