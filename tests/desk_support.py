"""Helpers for the desk tests: a clock the tests move, and the CLI on an app's data dir."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Aftercare
from bot.cli import main
from kb.embedder import Embedder

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """Injected time: ``clock()`` is now; ``clock.advance(hours=2)`` moves it."""

    def __init__(self, start: datetime) -> None:
        self.t = (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> datetime:
        self.t += timedelta(**kw)
        return self.t

    def set(self, t: datetime) -> datetime:
        self.t = (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)
        return self.t


def with_clock(ac: Aftercare, start: datetime) -> Clock:
    clock = Clock(start)
    ac.handoff.now = clock
    return clock


class Cli:
    """``aftercare ...`` against the app's data dir (config.yaml settings), reusing the loaded model."""

    def __init__(
        self,
        ac: Aftercare,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        embedder: Embedder,
    ) -> None:
        self.capsys = capsys
        monkeypatch.setenv("AFTERCARE_DATA_DIR", str(ac.data_dir))
        if ac.config.database.url:
            monkeypatch.setenv("AFTERCARE_DATABASE__URL", ac.config.database.url)
        monkeypatch.setattr("bot.app.load_embedder", lambda *a, **k: embedder)

    def __call__(self, *argv: str, code: int = 0) -> str:
        self.capsys.readouterr()
        rc = main(["--config", str(ROOT / "config.yaml"), *argv])
        out = self.capsys.readouterr()
        assert rc == code, out.err + out.out
        return out.out + out.err
