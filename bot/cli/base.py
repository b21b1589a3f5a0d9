"""What every ``aftercare`` command shares: one way to open the app, the exit codes, printing rows."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.app import Aftercare

T = TypeVar("T")
EXIT_USAGE = 2  # a wrong argument or configuration
EXIT_DATABASE = 3  # the database did not answer


def open_app(args: argparse.Namespace, *, migrate: bool = True) -> Aftercare:
    """The app for the loaded configuration (``args.config_obj``), its database brought to the latest
    migration unless ``migrate`` is False. The app module is imported here, not at the top: ``aftercare
    --help`` and argument errors stay quick."""
    from bot.app import Aftercare

    ac = Aftercare(args.config_obj)
    if migrate:
        ac.migrate()
    return ac


def print_rows(rows: Sequence[T], line: Callable[[T], str], *, empty: str = "") -> None:
    """One printed line per row (``line`` formats it); ``empty`` printed instead when there are no rows."""
    for row in rows:
        print(line(row))
    if not rows and empty:
        print(empty)


def acting_agent(ac: Aftercare, name: str | None) -> str:
    """Who acts in an agent's command (reply, note, claim, resolve): ``name`` (``--agent``), else the
    ``AFTERCARE_AGENT`` environment variable, else ``$USER``. When the desk has agents (the console's agents
    and admins, ``aftercare agents set``) the name must be an active one, as ``tickets assign`` requires
    (trimmed and matched ignoring case: the stored name is returned).
    Raises HandoffError naming the active agents when it is not one, or when no name is known at all."""
    import os

    from bot.console.users import active_agents
    from handoff.assignment import roster_name
    from handoff.errors import HandoffError

    who = (name or os.environ.get("AFTERCARE_AGENT") or os.environ.get("USER") or "").strip()
    roster = active_agents(ac.sessions, [a.name for a in ac.handoff.agents()])
    listed = ", ".join(roster)
    if not who:
        raise HandoffError("who is acting? give --agent NAME (or set AFTERCARE_AGENT)"
                           + (f" (active agents: {listed})" if roster else ""))
    if not roster:
        return who
    named = roster_name(who, roster)  # " Alice" is "alice": trimmed, case ignored, the stored name kept
    if named is None:
        raise HandoffError(f"{who!r} is not an active agent (active agents: {listed}); "
                           f"give --agent NAME (or set AFTERCARE_AGENT)")
    return named
