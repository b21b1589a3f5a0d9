"""Hostile and unlucky input at the user's level: oversized and chunked bodies, raced logins and ticket
changes, forged buttons, bad JSON. Each test is one kind of attack or accident (see SECURITY.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(create_web_app(app)) as c:
        yield c


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("path", "kind"), [("/api/messages", "application/json"), ("/console/login", FORM),
                                            ("/console/tickets/1/reply", FORM), ("/console/try", FORM),
                                            ("/console/cases/new", "multipart/form-data; boundary=xyz")])
def test_a_chunked_body_over_the_limit_gets_413_on_every_route(client, path, kind) -> None:
    """No Content-Length (chunked transfer encoding): the limit holds on the bytes actually read."""
    r = client.post(path, content=_chunks(2 * 1024 * 1024), headers={"content-type": kind})
    assert r.status_code == 413, r.text
    assert "larger than 262144 bytes" in r.json()["error"]


def test_a_false_content_length_does_not_open_the_limit(client) -> None:
    r = client.post("/api/messages", content=b"x" * 300_000,
                    headers={"content-type": "application/json", "content-length": "10"})
    assert r.status_code in (400, 413)
    r = client.post("/api/messages", content=b"{}", headers={"content-type": "application/json",
                                                                  "content-length": "-5"})
    assert r.status_code == 400
