"""Stored times: every timestamp column reads back as an aware UTC datetime, on SQLite (which keeps no
zone) as on PostgreSQL, whatever zone it was written in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from bot.db import make_engine, make_sessions
from handoff.desk_models import Alert  # noqa: F401 - the desk's tables share Base
from handoff.models import Base, Conversation, Message, UTCDateTime


def test_every_timestamp_column_is_utc_aware() -> None:
    import bot.adapters.slack.models  # noqa: F401 - Slack's tables share ChannelBase
    import bot.adapters.web_access  # noqa: F401
    import bot.feedback  # noqa: F401
    import bot.inbox  # noqa: F401
    import bot.outbox.models  # noqa: F401
    from bot.console.models import Base as ConsoleBase
    from bot.db import ChannelBase

    plain = [f"{t.name}.{c.name}" for base in (Base, ChannelBase, ConsoleBase)
             for t in base.metadata.tables.values() for c in t.columns
             if c.type.python_type is datetime and not isinstance(c.type, UTCDateTime)]
    assert not plain


def test_a_time_written_in_another_zone_reads_back_as_utc(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    Base.metadata.create_all(engine)
    sessions = make_sessions(engine)
    seoul = timezone(timedelta(hours=9))
    written = datetime(2026, 3, 2, 18, 30, tzinfo=seoul)
    with sessions() as s:
        c = Conversation(channel="web", customer_ref="k1", customer_name="", created_at=written,
                         last_seen_at=written)
        s.add(c)
        s.flush()
        s.add(Message(conversation_id=c.id, author="customer", text="hi", meta={}, created_at=written))
        s.commit()
    with sessions() as s:
        m = s.scalars(select(Message)).one()
        assert m.created_at == written and m.created_at.tzinfo == UTC
        assert m.created_at.hour == 9
        # a bound comparison is made in UTC too
        assert s.scalar(select(Message.id).where(Message.created_at >= written)) == m.id
        assert s.scalar(select(Message.id).where(Message.created_at > written + timedelta(seconds=1))) is None
    engine.dispose()
