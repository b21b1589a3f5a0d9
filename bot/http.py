"""The composition of ``aftercare run``: which background services run next to the web app. Push
channels (Telegram and Slack when their tokens are set), the outbox behind them, the periodic jobs.

Tokens come only from the environment: TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET in webhook
mode), SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP Events API).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from bot.adapters.base import Channel
from bot.app import Aftercare
from bot.config import Config, ConfigError
from bot.jobs import JobsService
from bot.loop import Service
from bot.outbox import Outbox

log = logging.getLogger(__name__)


def channel_services(ac: Aftercare, *, env: Mapping[str, str] | None = None) -> list[Any]:
    """The channels this environment asks for (each a :class:`bot.adapters.base.Channel`), then the
    outbox that delivers for them (it starts after them); empty when no channel token is set."""
    env = os.environ if env is None else env
    outbox = Outbox(ac.sessions, ac.handoff, ac.config.outbox, clock=ac.clock)
    channels: list[Channel] = []
    if env.get("TELEGRAM_BOT_TOKEN"):
        from bot.adapters.telegram import TelegramChannel

        channels.append(
            TelegramChannel(
                ac,
                outbox,
                token=env["TELEGRAM_BOT_TOKEN"],
                settings=ac.config.telegram,
                webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
            )
        )
    if env.get("SLACK_BOT_TOKEN"):
        if not (env.get("SLACK_APP_TOKEN") or env.get("SLACK_SIGNING_SECRET")):
            log.warning(
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET: Slack stays off"
            )
        else:
            from bot.adapters.slack import SlackChannel

            channels.append(
                SlackChannel(
                    ac,
                    outbox,
                    bot_token=env["SLACK_BOT_TOKEN"],
                    signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
                    app_token=env.get("SLACK_APP_TOKEN", ""),
                    settings=ac.config.slack,
                )
            )
    return [*channels, outbox] if channels else []


def build_services(ac: Aftercare, *, env: Mapping[str, str] | None = None) -> list[Service]:
    """The background services this configuration asks for: the periodic jobs when ``jobs.enabled``,
    then the channels with tokens set in ``env`` (default: the process environment) and the outbox."""
    services: list[Service] = []
    if ac.config.jobs.enabled:
        services.append(JobsService(ac))
    services.extend(channel_services(ac, env=env))
    return services


def check_workers(config: Config, *, env: Mapping[str, str] | None = None) -> None:
    """Refuse, with a :class:`ConfigError` naming the setting, what several worker processes cannot
    share: Telegram long polling (one process must own ``getUpdates``; use ``telegram.mode: webhook``)."""
    env = os.environ if env is None else env
    if env.get("TELEGRAM_BOT_TOKEN") and config.telegram.mode == "polling":
        raise ConfigError("telegram.mode: several workers need webhook mode (long polling takes Telegram's "
                          "updates in one process); set AFTERCARE_TELEGRAM__MODE=webhook and telegram.webhook_url")


def create_app() -> Any:
    """The ASGI app of one worker of ``aftercare run --workers N`` (or ``uvicorn --factory
    bot.http:create_app``, or gunicorn with uvicorn workers): settings from ``AFTERCARE_CONFIG`` and the
    environment, the index and classifier loaded from the data dir, the channels and jobs started."""
    from bot.adapters.web import create_web_app
    from bot.config import load_config

    config = load_config()
    logging.basicConfig(level=getattr(logging, config.app.log_level))
    ac = Aftercare(config)
    ac.migrate()
    ac.warm()
    return create_web_app(ac, services=build_services(ac))
