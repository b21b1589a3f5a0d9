"""The console's root exception (a :class:`bot.errors.BotError`)."""

from bot.errors import BotError


class ConsoleError(BotError):
    """A console request or account operation that cannot be done; the message says why."""


class LoginRefused(ConsoleError):
    """Wrong name or password, or a disabled account."""


class TooManyAttempts(ConsoleError):
    """Too many failed logins for this user name and address; try again later."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class LoginBusy(ConsoleError):
    """Every password-check slot is taken (argon2 costs 64 MiB each); try again in a moment."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many logins at once; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s
