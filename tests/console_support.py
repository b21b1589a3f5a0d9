"""Signing in to the console as the tests' staff: the users (one password), the CSRF token of a page,
and a login over a TestClient, an httpx.Client or an httpx.AsyncClient."""

from __future__ import annotations

import re
from typing import Any

import httpx

from bot.app import Aftercare
from bot.console.users import UserStore

PASSWORD = "correct horse battery"
STAFF = (("ann", "agent"), ("bob", "agent"), ("eve", "editor"), ("root", "admin"))


def add_users(ac: Aftercare, users: tuple[tuple[str, str], ...] = STAFF) -> None:
    """Console users (name, role), each with ``PASSWORD``: by default ann, bob (agents), eve (editor),
    root (admin)."""
    store = UserStore(ac.sessions)
    for name, role in users:
        store.add(name, role, PASSWORD)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a console page."""
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def login(client: httpx.Client, name: str, password: str = PASSWORD, *, follow: bool = True, base: str = "",
          headers: dict[str, str] | None = None) -> httpx.Response:
    """Log ``name`` in through the login form (``client``: a TestClient, or an httpx.Client and the server's
    ``base`` URL); the response of the form's POST (the redirect itself when ``follow`` is False)."""
    page = client.get(f"{base}/console/login")
    return client.post(f"{base}/console/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)},
                       headers=headers or {}, follow_redirects=follow)


async def alogin(http: httpx.AsyncClient, name: str = "ann", password: str = PASSWORD) -> Any:
    """:func:`login` over an AsyncClient (its ``base_url`` set); asserts the login was accepted."""
    page = await http.get("/console/login")
    r = await http.post("/console/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)})
    assert r.status_code == 303, r.text
    return r
