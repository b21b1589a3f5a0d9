"""What the headless-Chromium tests share: where Chromium is (a missing one skips the module, or fails
it when CI is set), its flags, the demo app served by uvicorn on 127.0.0.1 with a module's settings,
and a static "shop" site on another origin that embeds the widget. The ``browser`` fixture is in
``tests/conftest.py``."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.web import create_web_app
from bot.app import Aftercare
from kb.embedder import Embedder
from tests.conftest import make_config
from tests.console_support import add_users
from tests.serving import serving

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 20_000


def require_chromium() -> None:
    """Skip the calling test module without Chromium (raise in CI, where it must be installed)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)


@contextmanager
def served_demo(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder: Embedder, name: str, *,
                identity_secret: str = "", users: tuple[tuple[str, str], ...] = (),
                **sections: dict[str, Any]) -> Iterator[tuple[str, Aftercare]]:
    """(base URL, app) of a copy of the seeded demo, warmed, with console ``users`` (name, role) and
    config ``sections`` overridden, served by uvicorn until the block ends."""
    data = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(seeded_dir, data)
    ac = Aftercare(make_config(data, **sections), embedder=embedder)
    ac.migrate()
    ac.warm()
    add_users(ac, users)
    try:
        with serving(create_web_app(ac, identity_secret=identity_secret)) as base:
            yield base, ac
    finally:
        ac.close()


@contextmanager
def static_site(directory: Path) -> Iterator[str]:
    """``directory`` served over HTTP on another origin (``http://localhost:<port>``) until the block ends."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
