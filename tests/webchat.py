"""A TestClient that speaks as web-chat customers the way an embedding site does: a request to the
chat API naming a customer (``customer`` in the JSON body or the query) carries that customer's
key, asked once from ``POST /api/session`` with the site's identity hash of the id."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.adapters.web import create_web_app
from bot.adapters.web_access import identity_hash
from bot.app import Aftercare

SITE_SECRET = "site-secret-for-tests"
CHAT_API = ("/api/messages", "/api/history", "/api/buttons")


class WebChatClient(TestClient):
    """``client.post("/api/messages", json={"customer": "w1", ...})`` as customer w1, with w1's key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys: dict[str, str] = {}

    def key_for(self, customer: str) -> str:
        if customer not in self.keys:
            r = super().request("POST", "/api/session",
                                json={"user_id": customer, "user_hash": identity_hash(SITE_SECRET, customer)})
            assert r.status_code == 200, r.text
            self.keys[customer] = r.json()["key"]
        return self.keys[customer]

    def request(self, method: str, url: Any, **kw: Any) -> Any:  # type: ignore[override]
        path = str(url).split("?", 1)[0]
        headers = dict(kw.pop("headers", None) or {})
        customer = ""
        if isinstance(kw.get("json"), dict):
            customer = str(kw["json"].get("customer") or "")
        if not customer and isinstance(kw.get("params"), dict):
            customer = str(kw["params"].get("customer") or "")
        if path in CHAT_API and customer and not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = f"Bearer {self.key_for(customer)}"
        return super().request(method, url, headers=headers, **kw)


def web_client(ac: Aftercare, **kwargs: Any) -> WebChatClient:
    """The web app of ``ac`` (identity secret ``SITE_SECRET``) behind a ``WebChatClient``; ``kwargs``
    go to the TestClient (``base_url``...)."""
    return WebChatClient(create_web_app(ac, identity_secret=SITE_SECRET), **kwargs)


def session_body(customer: str) -> dict[str, str]:
    """The ``POST /api/session`` body an embedding site sends for its user ``customer``."""
    return {"user_id": customer, "user_hash": identity_hash(SITE_SECRET, customer)}


def key_over_http(base: str, customer: str) -> str:
    """A chat key for ``customer`` from a server started with ``WEB_IDENTITY_SECRET=SITE_SECRET``."""
    import json
    import urllib.request

    req = urllib.request.Request(f"{base}/api/session", data=json.dumps(session_body(customer)).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return str(json.loads(r.read())["key"])
