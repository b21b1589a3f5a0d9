"""A rating said in the words of the rating request ("1 (poor) to 5 (great)", "1(불만족)부터 5(매우 만족)") or
close to them, or on a 1-10 scale, right after a resolution, as a customer types it in the web chat: it is
that rating (the ticket stays resolved); a message that also says the problem is back reopens the ticket."""

from __future__ import annotations

from bot.workflows import resolve_ticket
from tests.conftest import FakeChannel

FAULTS = {"en": "the app crashes every time I upload a photo", "ko": "앱이 실시간 화면을 열 때마다 꺼져요"}

SAID = [  # (language, typed, score, in the reply)
    ("en", "great", 5, ""), ("en", "great, thanks!", 5, ""), ("en", "Excellent!", 5, ""),
    ("en", "poor", 1, ""), ("en", "terrible", 1, ""), ("en", "bad", 2, ""), ("en", "not bad", 3, ""),
    ("en", "very good", 5, ""), ("en", "it was good, thanks", 4, ""), ("en", "awful.", 1, ""),
    ("en", "10/10", 5, "10/10"), ("en", "8 out of 10", 4, "8/10"), ("en", "3/10 slow", 2, "3/10"),
    ("ko", "매우 만족", 5, ""), ("ko", "매우 만족합니다", 5, ""), ("ko", "불만족이에요", 1, ""),
    ("ko", "아주 만족해요", 5, ""), ("ko", "보통이에요", 3, ""), ("ko", "별로예요", 2, ""), ("ko", "만족합니다", 4, ""),
    ("ko", "최고예요 감사합니다", 5, ""), ("ko", "10점 만점에 8점", 4, "8/10"),
    # what worked before keeps working
    ("en", "5, works again now", 5, ""), ("en", "great, it's working again", 5, ""),
    ("en", "4/5 took a while", 4, ""), ("en", "five stars", 5, ""), ("ko", "5점이요", 5, ""),
    ("ko", "별 다섯 개요", 5, ""),
]
REOPEN = [  # the problem is back: never a rating
    ("en", "great, but it crashed again"), ("en", "poor, it still crashes"), ("ko", "별로예요 또 꺼졌어요"),
    ("ko", "매우 만족인데 아직도 꺼져요"),
]


def _resolved(chat: FakeChannel, customer: str, lang: str) -> str:
    out = chat.push(FAULTS[lang], customer=customer)
    assert out.action == "escalate" and out.ticket_id is not None, out
    resolve_ticket(chat.ac, out.ticket_id, "sam", "Fixed in app 4.2", propose=False)
    asked = chat.pop(customer=customer)[-1].text
    assert ("Rate it from 1 (poor) to 5 (great)" if lang == "en" else "1(불만족)부터 5(매우 만족)") in asked
    return out.ticket_id


def test_the_words_of_the_scale_are_a_rating_right_after_the_request(chat: FakeChannel) -> None:
    ac = chat.ac
    for n, (lang, typed, score, shown) in enumerate(SAID):
        tid = _resolved(chat, f"w{n}", lang)
        out = chat.push(typed, customer=f"w{n}")
        assert out.action == "rated", (typed, out)
        assert ac.handoff.rating(tid) == score and ac.handoff.get(tid).status == "resolved", typed
        reply = out.replies[0].text
        assert (f"{score} out of 5" if lang == "en" else f"5점 만점에 {score}점") in reply, (typed, reply)
        assert shown in reply, (typed, reply)
        assert "별도의 문제" not in reply and "separate" not in reply


def test_a_rating_that_says_the_problem_is_back_reopens(chat: FakeChannel) -> None:
    ac = chat.ac
    for n, (lang, typed) in enumerate(REOPEN):
        tid = _resolved(chat, f"b{n}", lang)
        out = chat.push(typed, customer=f"b{n}")
        assert out.action != "rated" and ac.handoff.rating(tid) is None, (typed, out)
        assert ac.handoff.get(tid).status != "resolved", typed


def test_words_answer_only_the_request_right_before(chat: FakeChannel) -> None:
    ac = chat.ac
    tid = _resolved(chat, "once", "en")
    assert chat.push("4", customer="once").action == "rated"
    out = chat.push("great, thanks!", customer="once")  # thanks for the thanks: not a new rating
    assert out.action != "rated" and ac.handoff.rating(tid) == 4
    # words that only start like a rating are not one
    tid = _resolved(chat, "signal", "en")
    out = chat.push("poor signal in the garden, the camera drops off", customer="signal")
    assert out.action != "rated" and ac.handoff.rating(tid) is None


def test_a_rating_button_is_thanked_with_the_score(client, app) -> None:
    """The 1-5 buttons under the notice (web chat, Telegram, Slack) rate without words read: the thanks says
    the score and nothing of a scale."""
    tid = client.post("/api/messages", json={"customer": "btn", "text": FAULTS["en"]}).json()["ticket_id"]
    resolve_ticket(app, tid, "sam", "Fixed in app 4.2", propose=False)
    r = client.post("/api/buttons", json={"customer": "btn", "action": f"rate:{tid}:4"})
    assert r.status_code == 200 and r.json()["text"] == f"Thank you: you rated ticket {tid} 4 out of 5.", r.text
    assert app.handoff.rating(tid) == 4
