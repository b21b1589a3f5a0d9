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
