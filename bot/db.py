"""Database engine, Alembic migrations and retries for a database that is briefly away."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.errors import DatabaseUnavailable, UnstorableValue

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

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


def make_engine(url: str, *, pool_size: int = 5, sqlite_synchronous: str = "normal") -> Engine:
    """The engine for ``url``. SQLite runs in WAL mode with ``PRAGMA synchronous`` = ``sqlite_synchronous``
    ("normal": commits are not synced to disk, which the SQLite documentation calls safe from corruption
    in WAL mode; "full": every commit synced). Raises ValueError for another ``sqlite_synchronous``."""
    if sqlite_synchronous not in ("normal", "full"):
        raise ValueError(f"sqlite_synchronous must be normal or full, not {sqlite_synchronous!r}")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous.upper()}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        event.listen(engine, "before_cursor_execute", refuse_unstorable)
        return engine
    # LIFO: the connection used last is lent next, so a busy worker's connections never sit idle long
    # enough to need a ping (ping_when_idle), and the ones a quiet worker keeps are the few it needs
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_use_lifo=True)
    event.listen(engine, "before_cursor_execute", refuse_unstorable)
    ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0  # a pooled connection unused for longer is pinged before it is lent out


def ping_when_idle(engine: Engine, idle_s: float | None = None) -> None:
    """Ping a pooled connection before lending it out only when it has been idle for more than ``idle_s``
    seconds (a fresh one never): SQLAlchemy's ``pool_pre_ping`` pings at every checkout, a round trip of its
    own before each transaction (a quarter of all statements under load, ``bench/load.py``). A connection
    the server dropped while it sat idle (a restart, a network cut) fails the ping and is replaced before
    anyone uses it, as with ``pool_pre_ping`` (SQLAlchemy's "pessimistic" disconnect handling, by its
    checkout-event recipe); one that breaks within ``idle_s`` of its last use fails its first statement
    instead, which invalidates the pool (SQLAlchemy's "optimistic" handling) and reaches the caller as a
    transient error: the message pipeline retries it (:func:`with_retries`), a web call answers 503.
    ``idle_s`` defaults to :data:`PING_AFTER_IDLE_S` as it is when the engine is made."""
    limit = PING_AFTER_IDLE_S if idle_s is None else idle_s

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _lent(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since <= limit:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as e:  # noqa: BLE001 - any failure: the pool connects anew (up to three times)
            raise DisconnectionError(f"pooled connection failed its ping: {e.__class__.__name__}") from e


class UnitConflict(Exception):
    """A unique key or a concurrent change met inside a unit of work (:meth:`UnitSessions.unit`): the
    unit is rolled back whole; the caller does its work again call by call (each call its own
    transaction, where the conflict is handled as it always was)."""


class UnitSession(Session):
    """A Session that can be lent to the calls made inside a unit of work: while lent, a caller's
    ``commit()`` only flushes what it inserted (ids assigned, unique keys checked) and leaves its updates
    to be flushed with the next query or the unit's one commit (two updates of one row become one
    statement); ``close()`` keeps the session open; ``rollback()`` raises :class:`UnitConflict`,
    because rolling back would undo the unit's earlier calls too."""

    lent = False

    def keep(self, instance: object) -> None:
        """Hold ``instance`` until the unit ends (the identity map holds only weak references): a later
        call's ``get`` of it is then answered without a query."""
        if self.lent:
            self.info.setdefault("unit_objects", []).append(instance)

    def commit(self) -> None:
        if self.lent:
            if self.new or self.deleted:
                self.flush()
            return
        super().commit()

    def rollback(self) -> None:
        if self.lent:
            raise UnitConflict("a conflict inside a unit of work")
        super().rollback()

    def close(self) -> None:
        if not self.lent:
            super().close()


@event.listens_for(UnitSession, "loaded_as_persistent")
@event.listens_for(UnitSession, "pending_to_persistent")
def _keep_in_unit(session: Session, instance: object) -> None:
    if isinstance(session, UnitSession):
        session.keep(instance)


class UnitSessions(sessionmaker[Session]):
    """The application's session factory. Outside a unit of work every call gets a new session, as a
    plain ``sessionmaker`` does; inside :meth:`unit` (same thread or task) every call gets the unit's
    session, so that a whole customer message is one transaction with one commit.

    Conflicts inside a unit (a unique key already there, a ticket changed by someone else) raise
    :class:`UnitConflict`, ``IntegrityError``, ``StaleDataError`` or ``PendingRollbackError`` out of
    :meth:`unit` after rolling it back: see :data:`UNIT_CONFLICTS`."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, class_=UnitSession, expire_on_commit=False)
        self._current: ContextVar[UnitSession | None] = ContextVar(f"aftercare-unit-{id(self)}", default=None)

    def __call__(self, **kw: Any) -> Session:
        current = self._current.get()
        if current is not None and not kw:
            return current
        return super().__call__(**kw)

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction for everything done through this factory inside the block (in this thread or
        task): committed at the end, rolled back whole on any exception. A unit inside a unit joins it."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        s = super().__call__()
        assert isinstance(s, UnitSession)
        s.lent = True
        token = self._current.set(s)
        try:
            yield s
            s.lent = False
            s.commit()
        except BaseException:
            s.lent = False
            s.rollback()
            raise
        finally:
            self._current.reset(token)
            s.lent = False
            s.info.pop("unit_objects", None)
            s.close()


UNIT_CONFLICTS = (UnitConflict, IntegrityError, StaleDataError, PendingRollbackError)


def make_sessions(engine: Engine) -> UnitSessions:
    return UnitSessions(engine)


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
    """Alembic's configuration for the migrations under ``bot/migrations`` on the database at ``url``."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migration_heads(versions: Path = MIGRATIONS / "versions") -> frozenset[str]:
    """The head revisions of the migration scripts in ``versions``: the revisions no other script names as its
    ``down_revision`` or ``depends_on`` (what Alembic keeps in ``alembic_version`` after ``upgrade heads``).
    Read from the scripts' text (``ast``), without importing Alembic or the scripts. Raises OSError,
    SyntaxError or ValueError for a script it cannot read (:func:`at_heads` then asks Alembic)."""
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)} & {"revision", "down_revision", "depends_on"}
                value = ast.literal_eval(node.value) if names else None
                if "revision" in names and isinstance(value, str):
                    revisions.add(value)
                elif names & {"down_revision", "depends_on"} and value:
                    parents.update([value] if isinstance(value, str) else value)
    return frozenset(revisions - parents)


def at_heads(engine: Engine) -> bool:
    """Whether the database already carries every head migration (its ``alembic_version`` rows are exactly
    :func:`migration_heads`): a worker starting on a migrated database then skips Alembic, whose import alone
    costs about 30 MiB of resident memory per worker (``make bench``)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        stored = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    try:
        heads = migration_heads()
    except (OSError, SyntaxError, ValueError) as e:  # a script this reader cannot follow: Alembic decides
        log.info("migration heads not read from the scripts (%s); asking Alembic", e)
        return False
    return stored == heads


def upgrade(engine: Engine) -> None:
    """Apply every migration (at start and by ``aftercare db upgrade``); nothing to do, and Alembic not even
    imported, when the database is already at the heads (:func:`at_heads`)."""
    if at_heads(engine):
        return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
