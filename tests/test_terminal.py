"""The terminal chat: `aftercare chat` reads lines, prints answers, shows agents' replies."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.adapters.terminal import run_terminal

ROOT = Path(__file__).resolve().parents[1]


def test_terminal_chat_answers_and_escalates(app) -> None:
    out = io.StringIO()
    run_terminal(app, customer="tom", inp=io.StringIO(
        "how do I reset my password?\nthe app crashes every time I upload a photo\n/quit\n"), out=out)
    text = out.getvalue()
    assert app.kb.get("reset-password").answer.splitlines()[0] in text
    ticket = app.handoff.list()[0]
    assert ticket.public_id in text and ticket.channel == "terminal" and ticket.customer_ref == "tom"


def test_terminal_shows_agent_reply_between_turns(app) -> None:
    class Customer(io.StringIO):
        """Types a fault, then, while the agent answers, types a follow-up."""

        def __init__(self) -> None:
            super().__init__()
            self.lines = ["my camera will not power on at all\n", "still waiting\n"]

        def readline(self, *_: object) -> str:  # type: ignore[override]
            if len(self.lines) == 1:
                t = app.handoff.list()[0]
                app.handoff.reply(t.public_id, "sam", "Please hold the reset button for 10 seconds.")
            return self.lines.pop(0) if self.lines else ""

    out = io.StringIO()
    run_terminal(app, customer="ana", inp=Customer(), out=out)
    text = out.getvalue()
    assert "sam (support): Please hold the reset button for 10 seconds." in text
    assert text.count("reset button") == 1
    # a new session does not replay history
    out2 = io.StringIO()
    run_terminal(app, customer="ana", inp=io.StringIO(""), out=out2)
    assert "reset button" not in out2.getvalue()


def test_aftercare_chat_command_end_to_end(tmp_path: Path, seeded_dir: Path) -> None:
    """The real console script in a subprocess, on a copy of the demo data dir."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    exe = Path(sys.executable).parent / "aftercare"
    res = subprocess.run([str(exe), "chat", "--customer", "cli"], input="how do I reset my password?\n",
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "bot> " in res.stdout and "Settings" in res.stdout
