"""Database engine, Alembic migrations and retries for a database that is briefly away."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from bot.errors import DatabaseUnavailable, UnstorableValue

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


INT64 = 2**63 - 1


class ChannelBase(DeclarativeBase):
    """The bot's own tables (outbox, inbox, answer feedback, Slack's), one metadata for the migrations."""


def _check_value(v: object) -> None:
    if isinstance(v, str):
        if "\x00" in v:
            raise UnstorableValue("text contains a NUL character")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as e:
            raise UnstorableValue("text contains a lone surrogate, which is not a character") from e
    elif isinstance(v, int) and not isinstance(v, bool) and not -INT64 - 1 <= v <= INT64:
        raise UnstorableValue("a number too large to store or look up")


def refuse_unstorable(conn: object, cursor: object, statement: str, params: object, context: object,
                      executemany: bool) -> None:
    """Engine hook (``before_cursor_execute``): every bound value is checked by ``_check_value``."""
    rows = params if executemany and isinstance(params, list | tuple) else [params]
    for row in rows:
        values = row.values() if isinstance(row, dict) else row if isinstance(row, list | tuple) else ()
        for v in values:
            _check_value(v)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        event.listen(engine, "before_cursor_execute", refuse_unstorable)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine, "before_cursor_execute", refuse_unstorable)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def insert_once(sessions: sessionmaker[Session], row: object) -> bool:
    """Add ``row`` and commit; False, with nothing written, when a unique key says it is there already."""
    with sessions() as s:
        s.add(row)
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return False
    return True


def is_transient(exc: BaseException) -> bool:
    """A connection-level failure worth retrying (server restarting, network blip, locked file)."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def with_retries(fn: Callable[[], T], *, attempts: int = 5, delay: float = 0.5) -> T:
    for i in range(attempts):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - filtered by is_transient
            if not is_transient(e):
                raise
            if i == attempts - 1:
                raise DatabaseUnavailable(
                    f"database unavailable after {attempts} attempts: {e.__class__.__name__}"
                ) from e
            log.warning("database call failed (%s); retrying in %.1fs", e.__class__.__name__, delay)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration (at start and by ``aftercare db upgrade``)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
