"""Alembic environment: the tables of kb/ and handoff/, each package owning its own metadata."""

from alembic import context
from sqlalchemy import create_engine

import bot.adapters.slack.models  # noqa: F401 - Slack's tables share bot.db.ChannelBase
import bot.adapters.web_access  # noqa: F401 - the web chat's keys share bot.db.ChannelBase
import bot.console.models
import bot.db
import bot.feedback  # noqa: F401 - the bot's tables share bot.db.ChannelBase
import bot.inbox  # noqa: F401
import bot.outbox.models  # noqa: F401
import handoff.desk_models  # noqa: F401 - alerts, agents, problems share handoff.models.Base
import handoff.models
import kb.models

target_metadata = [kb.models.Base.metadata, handoff.models.Base.metadata, bot.console.models.Base.metadata,
                   bot.db.ChannelBase.metadata]
config = context.config


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
