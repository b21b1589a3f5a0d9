"""Helpers for the desk tests: the CLI on an app's data dir (the clock the tests move is
:class:`handoff.clock.ManualClock`, given to ``make_app(clock=...)``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.app
from bot.app import Aftercare
from bot.cli import main
from kb.embedder import Embedder

ROOT = Path(__file__).resolve().parents[1]


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
        # the loaded MiniLM for the main encoder; any other (the multilingual half) loads for real
        real = bot.app.load_embedder
        monkeypatch.setattr("bot.app.load_embedder",
                            lambda name, *a, **k: embedder if name == embedder.name else real(name, *a, **k))

    def __call__(self, *argv: str, code: int = 0) -> str:
        self.capsys.readouterr()
        rc = main(["--config", str(ROOT / "config.yaml"), *argv])
        out = self.capsys.readouterr()
        assert rc == code, out.err + out.out
        return out.out + out.err
