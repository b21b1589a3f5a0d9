"""A question about another company's product ("how do I cancel my Netflix subscription?", "삼성 TV 펌웨어
업데이트 방법") shares its words with one of the desk's cases and was answered with it, sure of it (0.97-1.00).
It goes to a person now, through the web chat on the demo knowledge base; a question naming a platform
the case itself names ("the app on my iPhone", Alexa) is still answered."""

from __future__ import annotations

import pytest

from bot.app import Aftercare
from classifier.brands import brands
from tests.webchat import web_client


@pytest.mark.parametrize("text", ["how do I cancel my Netflix subscription?", "넷플릭스 구독 해지는 어떻게 해요?",
                                  "how do I delete my Facebook account?", "삼성 TV 펌웨어 업데이트 방법 알려주세요",
                                  "카카오톡 비밀번호 바꾸는 법", "how do I reset my iphone password?"])
def test_another_companys_product_is_not_answered_with_our_case(app: Aftercare, text: str) -> None:
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "brand", "text": text}).json()
    assert body["action"] == "escalate", body
    assert "another company's product" in body["reason"], body


@pytest.mark.parametrize(("text", "case"), [("does lumo work with alexa?", "smart-home-integration"),
                                            ("where do I download the app for my iPhone?", None)])
def test_a_platform_the_case_names_is_still_answered(app: Aftercare, text: str, case: str | None) -> None:
    with web_client(app) as http:
        body = http.post("/api/messages", json={"customer": "platform", "text": text}).json()
    assert "another company's product" not in (body.get("reason") or ""), body
    if case is not None:
        assert body["action"] == "answer" and body["case_id"] == case, body


def test_brand_names_are_whole_words() -> None:
    assert brands("my macbook and my Galaxy") == {"macbook", "galaxy"}
    assert brands("machine learning, googled it") == set()
    assert brands("넷플릭스는 해지했어요") == {"넷플릭스"}
