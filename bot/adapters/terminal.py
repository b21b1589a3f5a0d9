"""Terminal chat: the customer types, the bot answers; agents' replies show up between turns."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.app import Aftercare
from bot.messages import IncomingMessage

CHANNEL = "terminal"


def _show_new(ac: Aftercare, customer: str, after: int, out: TextIO) -> int:
    for m in ac.handoff.customer_messages(CHANNEL, customer, after=after):
        if m.author == "agent":
            out.write(ac.replies.render("agent_reply", agent=m.author_name or "Agent", text=m.text) + "\n")
        elif m.author == "system":
            out.write(f"* {m.text}\n")
        after = max(after, m.id)
    return after


def run_terminal(ac: Aftercare, *, customer: str, inp: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    interactive = inp.isatty()
    out.write("Aftercare support chat. Type your message; /quit to leave.\n")
    seen = ac.handoff.customer_messages(CHANNEL, customer)
    after = max((m.id for m in seen), default=0)
    while True:
        after = _show_new(ac, customer, after, out)
        if interactive:
            out.write("you> ")
        out.flush()
        line = inp.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip() in ("/quit", "/exit"):
            break
        if not text.strip():
            continue
        outcome = ac.pipeline.handle(IncomingMessage(channel=CHANNEL, customer=customer, text=text))
        for r in outcome.replies:
            out.write(f"bot> {r.text}\n")
        after = _show_new(ac, customer, after, out)  # agents' words that came in while typing
    _show_new(ac, customer, after, out)
    out.flush()
    return 0
