"""Terminal chat: the customer types, the bot answers. What else is said to the customer (agents'
replies, the resolution notice with the rating question) is polled for in the background and shows up
while the terminal waits for input; on an interactive terminal the line being typed is redrawn below it.
What was said while the customer was away (no chat open) is shown when the chat starts: the id of the last
message shown is kept per customer in ``<data_dir>/terminal/``."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TextIO

from bot.app import Aftercare
from bot.messages import IncomingMessage
from bot.normalize import without_controls

CHANNEL = "terminal"
PROMPT = "you> "
POLL_SECONDS = 1.0
CLEAR_LINE = "\r\x1b[2K"

log = logging.getLogger(__name__)


def _line_editor(inp: TextIO, out: TextIO) -> ModuleType | None:
    """The readline module when the chat runs on the process's own terminal (input() then edits the
    line, and the typed text can be read back to redraw it), else None."""
    if inp is not sys.stdin or out is not sys.stdout or not (inp.isatty() and out.isatty()):
        return None
    try:
        import readline
    except ImportError:  # a Python built without it
        return None
    return readline


def _on_new_line(readline: ModuleType) -> Callable[[], int] | None:
    """readline's rl_on_new_line (the cursor is at the start of an empty line), so that a redisplay draws
    the prompt and the typed text with the cursor where it was; None when the library does not have it."""
    try:
        fn: Callable[[], int] = ctypes.PyDLL(readline.__file__).rl_on_new_line  # holds the GIL, as readline does
    except (AttributeError, OSError):
        return None
    return fn


class _Chat:
    """One terminal session's output: everything written goes through one lock, and each message said to
    the customer outside their own turn is printed once, by whichever thread sees it first."""

    def __init__(self, ac: Aftercare, customer: str, out: TextIO, *, interactive: bool,
                 readline: ModuleType | None) -> None:
        self.ac, self.customer, self.out = ac, customer, out
        self.interactive, self.readline = interactive, readline
        self.new_line = _on_new_line(readline) if readline is not None else None
        self.lock = threading.RLock()
        self.typing = False  # the prompt is shown and the customer may be typing after it
        self.mark = ac.data_dir / "terminal" / f"{hashlib.sha256(customer.encode()).hexdigest()[:32]}.read"
        self.after = self._last_read()
        self.saved = self.after

    def _last_read(self) -> int:
        """The id of the last message this customer was shown in a terminal: the kept mark, else (no chat
        kept one yet) their last message and the bot's replies to it, printed with their turn."""
        try:
            return int(self.mark.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            pass
        last, turn = 0, False
        for m in self.ac.handoff.customer_messages(CHANNEL, self.customer, with_own=True):
            turn = m.author == "customer" or (turn and m.author == "bot")  # the bot's replies to the turn
            if turn:
                last = m.id
        return last

    def _save_mark(self) -> None:
        """Keep the id of the last message shown (best effort: a data dir that cannot be written only means
        the next chat shows these messages again)."""
        if self.after == self.saved:
            return
        try:
            self.mark.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.mark.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(f"{self.after}\n", encoding="ascii")
            os.replace(tmp, self.mark)
            self.saved = self.after
        except OSError:
            log.debug("could not keep the terminal's read mark in %s", self.mark, exc_info=True)

    def write(self, text: str) -> None:
        with self.lock:
            self.out.write(without_controls(text))  # an agent's pasted escape sequence is not the terminal's
            self.out.flush()

    def show_new(self, *, unread: bool = False) -> None:
        """Print the agents' replies and notices that came in since the last look; with ``unread`` (the
        chat starting) the bot's messages too, under a heading: nothing of them was printed yet."""
        with self.lock:
            shown = []
            for m in self.ac.handoff.customer_messages(CHANNEL, self.customer, after=self.after):
                if m.author == "agent":
                    shown.append(self.ac.replies.render("agent_reply", agent=m.author_name or "Agent", text=m.text,
                                                        language=self.ac.handoff.language(m.conversation_id)))
                elif m.author == "system":
                    shown.append(f"* {m.text}")
                elif unread:
                    shown.append(f"bot> {m.text}")
                self.after = max(self.after, m.id)  # else the bot's own answers were printed with the turn
            if shown:
                heading = "While you were away:\n" if unread else ""
                self._interject(heading + "".join(f"{s}\n" for s in shown))
            self._save_mark()

    def _interject(self, text: str) -> None:
        text = without_controls(text)
        if not self.typing:
            self.out.write(text)
        elif self.readline is None:  # the typed text cannot be read back: leave it on its line
            self.out.write(f"\n{text}{PROMPT}")
        else:  # above the line being typed, then the prompt and the typed text again
            self.out.write(CLEAR_LINE + text)
            self.out.flush()
            if self.new_line is not None:
                self.new_line()
                self.readline.redisplay()
            else:
                self.out.write(PROMPT + self.readline.get_line_buffer())
        self.out.flush()

    def _typing(self, on: bool) -> None:
        with self.lock:
            self.typing = on

    def read_line(self, inp: TextIO) -> str | None:
        """The customer's next line without its newline; None at the end of input."""
        if self.readline is not None:
            self.readline.set_pre_input_hook(lambda: self._typing(True))  # the prompt is on the screen
            try:
                return input(PROMPT)
            except EOFError:
                self.write("\n")
                return None
            finally:
                self._typing(False)
                self.readline.set_pre_input_hook(None)
        if self.interactive:
            with self.lock:
                self.out.write(PROMPT)
                self.out.flush()
                self.typing = True
        try:
            line = inp.readline()
        finally:
            self._typing(False)
        return line.rstrip("\n") if line else None

    def poll(self, stop: threading.Event, every: float) -> None:
        failing = False
        while not stop.wait(every):
            try:
                self.show_new()
                failing = False
            except Exception:  # noqa: BLE001 - the chat goes on; the next poll tries again
                if not failing:
                    log.warning("could not check for new messages; retrying", exc_info=True)
                failing = True


def numbered(buttons: list[tuple[str, str]]) -> str:
    """A reply's buttons as numbered lines ("  1. How do I reset my password?"); typing the number picks."""
    return "".join(f"  {i}. {label}\n" for i, (label, _) in enumerate(buttons, start=1))


def run_terminal(ac: Aftercare, *, customer: str, inp: TextIO = sys.stdin, out: TextIO = sys.stdout,
                 poll_seconds: float = POLL_SECONDS) -> int:
    """Chat until /quit or the end of input. Every ``poll_seconds`` (0: never) a background thread looks
    for messages to the customer and prints them while the terminal waits for a line."""
    reconfigure = getattr(inp, "reconfigure", None)
    if reconfigure is not None:  # bytes that are not UTF-8 (a wrong terminal encoding, a pasted binary) must
        reconfigure(errors="surrogateescape")  # not end the chat: they reach the pipeline as U+FFFD
    chat = _Chat(ac, customer, out, interactive=inp.isatty(), readline=_line_editor(inp, out))
    chat.write("Aftercare support chat. Type your message; /quit to leave.\n")
    chat.show_new(unread=True)
    stop = threading.Event()
    poller = None
    if poll_seconds > 0:
        poller = threading.Thread(target=chat.poll, args=(stop, poll_seconds), name="terminal-poll", daemon=True)
        poller.start()
    try:
        while True:
            chat.show_new()
            text = chat.read_line(inp)
            if text is None or text.strip().lower() in ("/quit", "/exit"):  # "/QUIT" too: commands ignore case
                break
            if not text.strip():
                continue
            outcome = ac.pipeline.handle(IncomingMessage(channel=CHANNEL, customer=customer, text=text))
            chat.write("".join(f"bot> {r.text}\n" + numbered(r.buttons) for r in outcome.replies))
    except KeyboardInterrupt:
        chat.write("\n")
    finally:
        stop.set()
        if poller is not None:
            poller.join(timeout=poll_seconds + 10)
    chat.show_new()
    return 0
