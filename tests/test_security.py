"""Hostile and unlucky input at the user's level: oversized and chunked bodies, raced logins and ticket
changes, forged buttons, bad JSON. Each test is one kind of attack or accident (see SECURITY.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.console.users import UserStore
from tests.serving import serving


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


# -- case 5: console logins ------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def _login(http: httpx.Client, base: str, name: str, password: str, *, xff: str = "") -> httpx.Response:
    page = http.get(f"{base}/console/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    headers = {"X-Forwarded-For": xff} if xff else {}
    return http.post(f"{base}/console/login", data={"name": name, "password": password, "csrf": token.group(1)},
                     headers=headers, follow_redirects=False)


def test_simultaneous_logins_on_one_name_check_no_more_passwords_than_the_limit(make_app) -> None:
    ac = make_app()
    UserStore(ac.sessions).add("ann", "agent", PASSWORD)
    with serving(create_web_app(ac)) as base:
        def attempt(i: int) -> int:
            with httpx.Client(timeout=60) as http:
                return _login(http, base, "ann", f"guess {i}").status_code

        with ThreadPoolExecutor(30) as pool:
            codes = list(pool.map(attempt, range(30)))
        checked = codes.count(401)
        assert checked <= ac.config.console.login_max_failures, codes
        assert set(codes) <= {401, 429, 503} and codes.count(429) >= 30 - 5 - codes.count(503)
        with httpx.Client(timeout=60) as http:  # the right password now: still locked for this name
            assert _login(http, base, "ann", PASSWORD).status_code == 429


def test_rotating_names_and_forwarded_addresses_meet_the_address_limit(make_app) -> None:
    ac = make_app()
    limit = ac.config.console.login_address_max_failures
    with serving(create_web_app(ac)) as base, httpx.Client(timeout=60) as http:
        # X-Forwarded-For from 127.0.0.1 is not believed unless web.trusted_proxies says so
        codes = [_login(http, base, f"user{i}", "guess", xff=f"10.0.{i}.1").status_code for i in range(limit + 5)]
    assert codes[:limit] == [401] * limit and codes[limit:] == [429] * 5, codes
