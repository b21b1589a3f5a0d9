"""Compare-and-set for ticket changes: every UPDATE of a ticket names the version it read
(``Ticket.version``, SQLAlchemy's version counter), so two changes made from the same state cannot
both land. The loser's whole operation runs again on the state the winner left: a first reply
racing a claim then sees the ticket assigned and leaves its owner alone, instead of overwriting it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from handoff.errors import HandoffError

P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 5


class ConcurrentChange(HandoffError):
    """The ticket kept changing under this operation; nothing of it was stored. Try again."""


def on_fresh_state(fn: Callable[P, T]) -> Callable[P, T]:
    """Run ``fn`` (one transaction) again when the ticket it changed was changed by someone else since it
    was read (up to ATTEMPTS times); raise ConcurrentChange after that, with nothing stored."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for _ in range(ATTEMPTS - 1):
            try:
                return fn(*args, **kwargs)
            except StaleDataError:
                continue
        try:
            return fn(*args, **kwargs)
        except StaleDataError as e:
            raise ConcurrentChange("the ticket was changed by someone else at the same moment; try again") from e

    return run
