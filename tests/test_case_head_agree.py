"""A light head beside the neighbour vote (classifier/head_agree.py), as a customer meets it in the web chat
on the demo knowledge base with the real encoder: a message the vote leads to a case without the calibrated
share is answered when the head names the same case with high probability; a message no case covers stays
with a person however the vote leans."""

from __future__ import annotations

from bot.app import Aftercare
from classifier.head_agree import HeadAgreeRouter
from tests.webchat import web_client


def test_an_unsure_vote_the_case_head_confirms_is_answered(app: Aftercare) -> None:
    assert isinstance(app.router(), HeadAgreeRouter)
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "head-1", "text": "2fa setup pls"}).json()
        assert body["action"] == "answer" and body["case_id"] == "enable-2fa", body
        # the vote leans to a case (0.70) but the head gives it 0.10: a person takes it
        body = http.post("/api/messages", json={"customer": "head-2", "text": "do u sell tvs"}).json()
        assert body["action"] == "escalate", body


def test_the_head_can_be_turned_off(make_app) -> None:
    app = make_app(retrieval={"case_head": False})
    assert not isinstance(app.router(), HeadAgreeRouter)
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "head-3", "text": "2fa setup pls"}).json()
    assert body["action"] == "escalate", body
