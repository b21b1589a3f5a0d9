"""The bot layer's errors, under one root. The domain packages keep their own roots (``KBError``,
``ClassifierError``, ``HandoffError``); the CLI turns each into its exit code and message, the HTTP host
into its status."""

from __future__ import annotations


class BotError(Exception):
    """Root of every error the bot layer raises on purpose; the message says what to do."""


class ConfigError(BotError):
    """A configuration file or value that cannot be used; the message names the key."""


class DatabaseUnavailable(BotError):
    """The database did not answer after the configured retries."""


class DeliveryFailed(BotError):  # noqa: N818 - reads as what happened
    """A send that did not go through: ``retry_after`` (seconds) from a 429; ``permanent``: do not retry."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class EvalFileError(BotError):
    """A test file for ``aftercare eval`` that cannot be read; the message names the line."""


class UnstorableValue(BotError, ValueError):
    """A value no database here can store: text with NUL or a lone surrogate, an integer past 64 bits.
    Raised before the statement is sent; the web app answers it with HTTP 400 and the reason."""
