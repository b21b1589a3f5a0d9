"""Field cases of the web chat's HTTP API: a JSON body is taken whatever its Content-Type, no key is 401
whatever the content type, every error is ``{"error": ...}``, a button under no message of the customer's is a
clear 400, and an unsupported language is refused naming the supported ones."""

from __future__ import annotations

import json

import pytest

from bot.app import Aftercare
from tests.webchat import web_client


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_is_taken_whatever_its_content_type(ac: Aftercare, content_type: str | None) -> None:
    with web_client(ac) as client:
        key = client.key_for("ria")
        headers = {"Authorization": f"Bearer {key}"}
        if content_type:
            headers["Content-Type"] = content_type
        body = json.dumps({"text": "how do I reset my password?"}).encode()
        r = client.post("/api/messages", content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["action"] == "answer"
        # a body that is no JSON at all: the 422 of invalid JSON, in the API's error shape
        r = client.post("/api/messages", content=b"text=hello", headers=headers)
        assert r.status_code == 422 and "error" in r.json()


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_no_key_is_401_whatever_the_content_type(ac: Aftercare, content_type: str | None) -> None:
    with web_client(ac) as client:
        headers = {"Content-Type": content_type} if content_type else {}
        for body in (b'{"text": "hi"}', b'{"text": "how do I reset my password?", "language": "en"}'):
            r = client.post("/api/messages", content=body, headers=headers)
            assert r.status_code == 401, (body, r.text)
            assert "Authorization" in r.json()["error"]
        r = client.post("/api/buttons", content=b'{"action": "fb:helped:1"}', headers=headers)
        assert r.status_code == 401 and "error" in r.json()


def test_a_body_not_in_utf8_gets_the_apis_error_shape(ac: Aftercare) -> None:
    with web_client(ac) as client:
        headers = {"Authorization": f"Bearer {client.key_for('sol')}", "Content-Type": "application/json"}
        r = client.post("/api/messages", content='{"text": "café crème"}'.encode("latin-1"), headers=headers)
        assert r.status_code == 400, r.text
        body = r.json()
        assert set(body) == {"error"} and "UTF-8" in body["error"]


@pytest.mark.parametrize("action", ["fb:helped:999999", "fb:human:999999", "pick:999999:0", "pick:999999:none"])
def test_a_button_under_no_message_of_the_customers_is_a_clear_error(ac: Aftercare, action: str) -> None:
    with web_client(ac) as client:
        r = client.post("/api/buttons", json={"customer": "tia", "action": action})
        assert r.status_code == 400, r.text
        assert "999999" in r.json()["error"]
        # an answer that is another customer's is no answer of this one's either
        answered = client.post("/api/messages", json={"customer": "uma", "text": "how do I reset my password?"})
        mid = next(m["id"] for m in answered.json()["messages"] if m["author"] == "bot")
        r = client.post("/api/buttons", json={"customer": "tia", "action": f"fb:helped:{mid}"})
        assert r.status_code == 400 and str(mid) in r.json()["error"]
        r = client.post("/api/buttons", json={"customer": "uma", "action": f"fb:helped:{mid}"})
        assert r.status_code == 200 and r.json()["text"]


@pytest.mark.parametrize("language", ["zz", "fr", "english"])
def test_an_unsupported_language_is_refused_naming_the_supported_ones(ac: Aftercare, language: str) -> None:
    with web_client(ac) as client:
        r = client.post("/api/messages", json={"customer": "vic", "text": "hello", "language": language})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert language in error and "en" in error and "ko" in error
        for ok in ("ko", "KO", "en-US", ""):
            r = client.post("/api/messages", json={"customer": "vic", "text": "hello", "language": ok})
            assert r.status_code == 200, (ok, r.text)


MALFORMED = [  # (method, path, what the request carries that the route would refuse as 422)
    ("POST", "/api/messages", {"content": b"{not json"}),
    ("POST", "/api/messages", {"content": b'{"text": 5, "customer": []}'}),
    ("POST", "/api/messages", {"content": b'{"text": "hi"}', "headers": {"Content-Type": "text/plain"}}),
    ("POST", "/api/buttons", {"content": b"[1, 2]"}),
    ("GET", "/api/messages", {"params": {"after": "abc"}}),
    ("GET", "/api/history", {"params": {"limit": "0"}}),
]


@pytest.mark.parametrize(("method", "path", "sent"), MALFORMED)
def test_no_key_is_401_before_the_body_or_the_query_is_read(ac: Aftercare, method: str, path: str,
                                                           sent: dict) -> None:
    sent = dict(sent)
    given = sent.pop("headers", {})
    with web_client(ac) as client:
        for auth in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic YWxpY2U6eA=="}):
            r = client.request(method, path, headers={**given, **auth}, **sent)
            assert r.status_code == 401, (auth, r.text)
            assert set(r.json()) == {"error"} and "key" in r.json()["error"]
        # with a key, the same request gets the answer its body or query calls for
        r = client.request(method, path, headers={**given, "Authorization": f"Bearer {client.key_for('wes')}"},
                           **sent)
        assert r.status_code in (200, 422), r.text
        assert r.status_code == 200 or "error" in r.json()


def test_the_consoles_json_api_is_401_before_its_query_is_read(ac: Aftercare) -> None:
    with web_client(ac) as client:
        r = client.get("/console/api/tickets/AC-000001", params={"after": "abc"})
        assert r.status_code == 401, r.text
        r = client.get("/console/api/queue", params={"limit": "abc"})
        assert r.status_code == 401, r.text


@pytest.mark.parametrize(("body", "said"), [
    (b"{}", 'the body has no "text" field'), (b'{"customer": "x"}', 'the body has no "text" field'),
    (b"not json", "the body is not valid JSON: expecting value at line 1 column 1"),
    (b'{"text": "hi",}', "the body is not valid JSON: expecting property name enclosed in double quotes at line 1"),
    (b'{\n  "text":\n}', "the body is not valid JSON: expecting value at line 3 column 1"),
    (b"[]", "the body must be a JSON object"), (b"", "the request has no body")])
def test_a_body_the_api_cannot_take_is_422_saying_what_is_wrong(ac: Aftercare, body: bytes, said: str) -> None:
    """``{}`` was a 200 with a "refused" outcome and malformed JSON said "1: JSON decode error"."""
    with web_client(ac) as client:
        headers = {"Authorization": f"Bearer {client.key_for('bodies')}", "Content-Type": "application/json"}
        r = client.post("/api/messages", content=body, headers=headers)
        assert r.status_code == 422 and said in r.json()["error"], r.text
        assert ac.handoff.customer_messages("web", "bodies") == []  # nothing stored
