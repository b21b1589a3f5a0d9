"""Field cases of the web chat page and the widget, in real headless Chromium against the app on
127.0.0.1: the conversation survives a reload, a refused message keeps its words, answers carry
the same feedback buttons as Telegram and Slack, and a site binds the chat to its signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.web_access import identity_hash
from bot.app import Aftercare
from bot.feedback import answer_verdicts
from bot.workflows import resolve_ticket
from tests.browser_support import WAIT_MS, require_chromium, served_demo, static_site

SITE_SECRET = "shop-secret"

require_chromium()
from playwright.sync_api import Browser, Page, expect  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder) -> Iterator[tuple[str, Aftercare]]:  # type: ignore[no-untyped-def]
    with served_demo(tmp_path_factory, seeded_dir, embedder, "field-browser", identity_secret=SITE_SECRET) as served:
        yield served


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#log[data-ready='1']")).to_have_count(1, timeout=WAIT_MS)


def say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#send")


def test_the_conversation_and_its_ticket_come_back_after_a_reload(server, browser: Browser) -> None:
    base, ac = server
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/")
    say(page, "the app crashes every time I upload a photo")
    expect(page.locator(".msg.bot .ticket")).to_contain_text("AC-", timeout=WAIT_MS)
    ticket = page.locator(".msg.bot .ticket").first.inner_text().replace("Ticket ", "").strip()
    ac.handoff.reply(ticket, "sam", "Which phone do you use?")
    expect(page.locator(".msg.agent")).to_contain_text("Which phone do you use?", timeout=WAIT_MS)

    page.reload()
    open_chat(page, f"{base}/")
    expect(page.locator(".msg.customer")).to_have_text(["the app crashes every time I upload a photo"])
    expect(page.locator(".msg.bot .ticket")).to_contain_text(ticket)
    expect(page.locator(".msg.agent")).to_have_count(1)
    # and it keeps polling: a later reply and the resolution (with its 1-5 rating) show up
    ac.handoff.reply(ticket, "sam", "Please update to 4.2.1.")
    expect(page.locator(".msg.agent").last).to_contain_text("4.2.1", timeout=WAIT_MS)
    resolve_ticket(ac, ticket, "sam", "Fixed in 4.2.1", propose=False)
    expect(page.locator(".msg.system .choice")).to_have_count(5, timeout=WAIT_MS)
    page.locator(".msg.system .choice", has_text="4").click()
    expect(page.locator(".msg.bot").last).to_contain_text("4", timeout=WAIT_MS)
    assert ac.handoff.rating(ticket) == 4
    page.reload()
    open_chat(page, f"{base}/")
    expect(page.locator(".msg.system .choice")).to_have_count(0)  # rated: no buttons again


def test_a_refused_message_stays_in_the_box_with_the_reason(server, browser: Browser) -> None:
    base, ac = server
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/")
    long_text = "My camera stopped recording. " * 200  # over app.max_message_chars
    assert len(long_text) > ac.config.app.max_message_chars
    say(page, long_text)
    expect(page.locator("#status")).to_contain_text("too long", timeout=WAIT_MS)
    expect(page.locator("#status")).to_contain_text(str(ac.config.app.max_message_chars))
    assert page.input_value("#text") == long_text
    expect(page.locator(".msg.customer")).to_have_count(0)
    # shortened, it goes
    say(page, "My camera stopped recording after the update")
    expect(page.locator(".msg.customer")).to_have_count(1, timeout=WAIT_MS)
    assert page.input_value("#text") == ""


def test_answers_in_the_web_chat_have_the_feedback_buttons_of_every_channel(server, browser: Browser) -> None:
    base, ac = server
    since = ac.handoff.now() - timedelta(minutes=1)
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/")
    say(page, "how do I reset my password?")
    answer = page.locator(".msg.bot").last
    expect(answer.locator(".choice")).to_have_text(["That helped", "Talk to a person"], timeout=WAIT_MS)
    answer.locator(".choice", has_text="That helped").click()
    expect(answer.locator(".choice")).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator(".msg.bot").last).to_contain_text(ac.replies.render("feedback_thanks"))
    assert sorted(answer_verdicts(ac.sessions, since).values()) == ["helped"]
    page.reload()
    open_chat(page, f"{base}/")
    expect(page.locator(".msg.bot .choice")).to_have_count(0)  # pressed once, gone for good

    say(page, "how do I change my email address?")
    answer = page.locator(".msg.bot").last
    expect(answer.locator(".choice")).to_have_count(2, timeout=WAIT_MS)
    answer.locator(".choice", has_text="Talk to a person").click()
    expect(page.locator(".msg.bot .ticket")).to_contain_text("AC-", timeout=WAIT_MS)
    assert sorted(answer_verdicts(ac.sessions, since).values()) == ["helped", "human"]


def test_the_widget_on_a_site_shows_buttons_and_follows_the_signed_in_user(server, browser: Browser,
                                                                           tmp_path: Path) -> None:
    base, ac = server
    since = ac.handoff.now() - timedelta(minutes=1)
    shop = tmp_path / "shop"
    shop.mkdir()
    user_hash = identity_hash(SITE_SECRET, "shop-user-7")  # computed by the shop's server
    (shop / "index.html").write_text(
        f"<!doctype html><html><body><h1>Shop</h1><script src='{base}/widget.js' data-title='Help' "
        f"data-user-id='shop-user-7' data-user-hash='{user_hash}' data-user-name='Kim'></script></body></html>")
    (shop / "forged.html").write_text(
        f"<!doctype html><html><body><script src='{base}/widget.js' data-user-id='shop-user-7' "
        f"data-user-hash='{'0' * 64}'></script></body></html>")
    with static_site(shop) as site:
        phone = browser.new_context().new_page()
        phone.goto(f"{site}/index.html")
        phone.click("#aftercare-widget-button")
        frame = phone.frame_locator("#aftercare-widget-frame")
        expect(frame.locator("#log[data-ready='1']")).to_have_count(1, timeout=WAIT_MS)
        frame.locator("#text").fill("how do I reset my password?")
        frame.locator("#send").click()
        answer = frame.locator(".msg.bot").last
        expect(answer.locator(".choice")).to_have_count(2, timeout=WAIT_MS)
        answer.locator(".choice", has_text="That helped").click()
        expect(answer.locator(".choice")).to_have_count(0, timeout=WAIT_MS)
        assert "helped" in answer_verdicts(ac.sessions, since).values()
        assert ac.handoff.history("web", "shop-user-7")[0].text == "how do I reset my password?"

        # the same user on another device finds the conversation; a forged hash gets nothing
        laptop = browser.new_context().new_page()
        laptop.goto(f"{site}/index.html")
        laptop.click("#aftercare-widget-button")
        frame2 = laptop.frame_locator("#aftercare-widget-frame")
        expect(frame2.locator(".msg.customer")).to_have_text(["how do I reset my password?"], timeout=WAIT_MS)
        forged = browser.new_context().new_page()
        forged.goto(f"{site}/forged.html")
        forged.click("#aftercare-widget-button")
        frame3 = forged.frame_locator("#aftercare-widget-frame")
        expect(frame3.locator("#status")).to_contain_text("user_hash", timeout=WAIT_MS)
        expect(frame3.locator(".msg")).to_have_count(0)


def test_did_you_mean_shows_the_cases_as_buttons_and_a_pick_answers(server, browser: Browser) -> None:
    """A message torn between two or three cases gets them as buttons plus "None of these" in the web
    chat; pressing one answers with that case's answer, and the buttons go for good."""
    base, ac = server
    torn = "how do I change my plan or cancel"
    first = ac.pipeline.decide(torn)
    assert first.action == "clarify", first.reason
    titles = [ac.kb.get(case_id).questions[0] for case_id in first.options]
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/")
    say(page, torn)
    asked = page.locator(".msg.bot", has_text="Did you mean").last  # pinned: the answer comes after it
    expect(asked).to_have_count(1, timeout=WAIT_MS)
    choices = asked.locator(".choice")
    expect(choices).to_have_count(len(titles) + 1, timeout=WAIT_MS)
    expect(choices.last).to_contain_text("None of these")
    expect(choices.first).to_have_text(titles[0])
    picked = ac.kb.get(first.options[1])
    choices.nth(1).click()
    expect(asked.locator(".choice")).to_have_count(0, timeout=WAIT_MS)
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text(picked.answer.splitlines()[0], timeout=WAIT_MS)
    expect(answer.locator(".choice")).to_have_text(["That helped", "Talk to a person"])  # a normal answer now
    assert all(t.subject != torn for t in ac.handoff.list())  # nobody was bothered
    page.reload()
    open_chat(page, f"{base}/")
    expect(page.locator(".msg.bot .choice", has_text="None of these")).to_have_count(0)  # pressed once


def test_two_tabs_of_one_browser_show_the_same_conversation_as_it_goes(server, browser: Browser) -> None:
    """What the customer writes in one tab shows in the other (their words and the answers), without a
    reload; a torn question's options picked in one tab and then in the other answer once."""
    base, ac = server
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    open_chat(first, f"{base}/")
    open_chat(second, f"{base}/")
    say(first, "how do I reset my password?")
    expect(second.locator(".msg.customer")).to_have_text(["how do I reset my password?"], timeout=WAIT_MS)
    expect(second.locator(".msg.bot")).to_have_count(1, timeout=WAIT_MS)
    say(second, "how do I change my plan or cancel")
    expect(first.locator(".msg.customer")).to_have_text(["how do I reset my password?",
                                                         "how do I change my plan or cancel"], timeout=WAIT_MS)
    expect(first.locator(".msg.bot").last.locator(".choice")).to_have_count(3, timeout=WAIT_MS)
    expect(second.locator(".msg.bot").last.locator(".choice")).to_have_count(3, timeout=WAIT_MS)
    first.locator(".msg.bot").last.locator(".choice").first.click()
    second.locator(".msg.bot").last.locator(".choice").nth(1).click()
    for page in (first, second):
        expect(page.locator(".msg.bot")).to_have_count(3, timeout=WAIT_MS)  # the answer, once in each tab
        expect(page.locator(".msg.customer")).to_have_count(2)
    customer = first.evaluate("JSON.parse(localStorage.getItem('aftercare.chat')).customer")
    answers = [m for m in ac.handoff.history("web", customer) if m.author == "bot" and m.kind == "answer"]
    assert len(answers) == 2  # the password answer and the one pick


def test_a_korean_page_says_why_a_message_was_not_sent_in_korean(server, browser: Browser) -> None:
    base, _ac = server
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/?lang=ko")
    say(page, "\u200b\u3164")  # nothing visible
    expect(page.locator("#status")).to_contain_text("입력한 내용은 그대로", timeout=WAIT_MS)
    assert "Not sent" not in page.locator("#status").inner_text()
    assert page.input_value("#text") == "\u200b\u3164"


def test_the_name_field_speaks_the_pages_language(server, browser: Browser) -> None:
    base, _ac = server
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/?lang=ko")
    expect(page.locator("label[for=name]")).to_have_text("이름 (선택)")
    page = browser.new_context().new_page()
    open_chat(page, f"{base}/?lang=en")
    expect(page.locator("label[for=name]")).to_have_text("Your name (optional)")
    say(page, "구독 해지는 어떻게 하나요?")  # the conversation turns Korean: so does the whole page
    expect(page.locator("#title")).to_have_text("고객 지원 채팅", timeout=WAIT_MS)
    expect(page.locator("label[for=name]")).to_have_text("이름 (선택)")
    assert "Your name" not in page.locator("main").inner_text()
    assert page.get_attribute("#name", "placeholder") == "담당자가 누구신지 알 수 있도록"
