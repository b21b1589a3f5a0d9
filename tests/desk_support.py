"""Helpers for the desk tests: the CLI on an app's data dir (the clock the tests move is
:class:`handoff.clock.ManualClock`, given to ``make_app(clock=...)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


# a fault the classifier escalates: each desk test opens its ticket with it
FAULT = "my camera will not power on at all"


@pytest.fixture
def no_agent_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixture: no ``$USER`` and no ``AFTERCARE_AGENT``: a desk command acts only as the ``--agent`` it is given."""
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("AFTERCARE_AGENT", raising=False)


def open_ticket(client: Any, customer: str, text: str = FAULT) -> str:
    """The public id of the ticket ``customer``'s ``text`` (a fault) opens through the web chat API;
    ``client`` is a :class:`tests.webchat.WebChatClient`."""
    r = client.post("/api/messages", json={"customer": customer, "text": text}).json()
    assert r["action"] == "escalate" and r["ticket_id"], r
    return str(r["ticket_id"])


def draft_words_after(ac: Aftercare, cli: Cli, customer: str, opening: str, resolution: str, *, gone: list[str],
                      kept: list[str]) -> str:
    """Open a ticket with ``customer``'s ``opening`` through the web chat, resolve it on the command line with
    ``resolution``, and check the phrasings of the draft case it proposes: none of the words ``gone`` and every
    text of ``kept`` in them. Returns the phrasings joined by spaces."""
    from tests.webchat import web_client

    with web_client(ac) as client:
        tid = open_ticket(client, customer, opening)
        cli("tickets", "resolve", tid, resolution, "--agent", "ann")
    text = " ".join(ac.kb.get(f"ticket-{tid.lower()}").questions)
    for word in gone:
        assert word not in text, text
    for words in kept:
        assert words in text, text
    return text


def resolved_ticket(client: Any, app: Aftercare, customer: str, text: str, *, agent: str = "alice",
                    note: str = "Fixed in app 4.2") -> str:
    """The id of a ticket ``customer`` opened with ``text`` through the web chat (``client``), resolved by
    ``agent`` with ``note`` (no draft case proposed). Fails when ``text`` did not open a ticket."""
    from bot.workflows import resolve_ticket

    opened = client.post("/api/messages", json={"customer": customer, "text": text}).json()
    assert opened["action"] == "escalate" and opened["ticket_id"], opened
    resolve_ticket(app, opened["ticket_id"], agent, note, propose=False)
    return str(opened["ticket_id"])
