"""The terminal chat: `aftercare chat` reads lines, prints answers, shows agents' replies, and while it
waits for a line prints what agents say without the customer typing anything."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.adapters.terminal import run_terminal
from bot.cli import main
from bot.workflows import resolve_ticket

ROOT = Path(__file__).resolve().parents[1]
TICKET = re.compile(r"AC-\d{6}")
ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|[=>])")


def wait_for(check: Callable[[], object], what: str, *, timeout: float = 90.0) -> None:
    """Poll ``check`` until it is true, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


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


def test_terminal_prints_agent_reply_while_waiting_for_input(app) -> None:  # type: ignore[no-untyped-def]
    """The customer types one line and then nothing: the agent's reply, the resolution notice and the
    rating question still show up; the rating typed afterwards is stored."""
    r, w = os.pipe()
    keyboard, typed = os.fdopen(w, "w", encoding="utf-8", buffering=1), os.fdopen(r, "r", encoding="utf-8")
    screen = io.StringIO()
    chat = threading.Thread(target=run_terminal, kwargs={
        "ac": app, "customer": "pat", "inp": typed, "out": screen, "poll_seconds": 0.1})
    chat.start()
    try:
        keyboard.write("my camera will not power on at all\n")
        wait_for(lambda: TICKET.search(screen.getvalue()), "the ticket's acknowledgement")
        ticket = app.handoff.list()[0]
        assert ticket.customer_ref == "pat" and ticket.public_id in screen.getvalue()

        app.handoff.reply(ticket.public_id, "sam", "Please hold the reset button for 10 seconds.")
        wait_for(lambda: "sam (support): Please hold the reset button" in screen.getvalue(), "the agent's reply")
        resolve_ticket(app, ticket.public_id, "sam", "Battery replaced", propose=False)
        wait_for(lambda: "Rate it from 1" in screen.getvalue(), "the resolution notice")

        keyboard.write("5 thanks\n")
        wait_for(lambda: "rated ticket" in screen.getvalue(), "the rating's thanks")
        keyboard.write("/quit\n")
        chat.join(timeout=30)
        assert not chat.is_alive()
    finally:
        keyboard.close()
        chat.join(timeout=30)
        typed.close()
    text = screen.getvalue()
    assert text.count("reset button") == 1 and text.count("Battery replaced") == 1, text
    assert text.index("reset button") < text.index("Battery replaced") < text.index("rated ticket")
    assert app.handoff.rating(ticket.public_id) == 5


def test_aftercare_chat_on_a_terminal_keeps_the_typed_line(tmp_path: Path, seeded_dir: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The real `aftercare chat` on a pseudo-terminal: while the customer has typed half a line, an agent
    replies with `aftercare tickets reply`; the reply appears, the half line is drawn again below it, and
    finishing it sends the whole line."""
    import pty
    import shutil

    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(data))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TERM": "xterm", "INPUTRC": os.devnull}
    exe = Path(sys.executable).parent / "aftercare"
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(exe), "chat", "--customer", "kim"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    seen: list[str] = []

    def screen() -> str:
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the chat has ended
                break
            if not chunk:
                break
            seen.append(chunk.decode("utf-8", "replace"))
        return ANSI.sub("", "".join(seen)).replace("\r", "")

    try:
        wait_for(lambda: "you> " in screen(), "the prompt", timeout=300)
        os.write(master, b"my camera will not power on at all\r")
        wait_for(lambda: TICKET.search(screen()) and screen().rstrip(" ").endswith("you>"), "the next prompt")
        ticket = TICKET.findall(screen())[-1]
        os.write(master, b"/qu")
        wait_for(lambda: screen().endswith("you> /qu"), "the typed half line")

        agent = ["--config", str(ROOT / "config.yaml"), "tickets", "reply", "--agent", "sam"]
        assert main([*agent, ticket, "Please hold the reset button."]) == 0
        wait_for(lambda: "sam (support): Please hold the reset button." in screen(), "the agent's reply")
        wait_for(lambda: screen().endswith("Please hold the reset button.\nyou> /qu"), "the half line redrawn")

        os.write(master, b"it\r")  # "/qu" + "it": the line typed before the reply was kept
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
