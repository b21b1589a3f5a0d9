"""What every ``aftercare`` command shares: one way to open the app, and the exit codes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Aftercare

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
