"""The console in real headless Chromium against the app served by uvicorn on 127.0.0.1.

Screenshots of the main pages at 1280 px and 390 px wide go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Aftercare
from bot.messages import IncomingMessage
from tests.browser_support import WAIT_MS, require_chromium, served_demo, static_site
from tests.console_support import PASSWORD

require_chromium()
from playwright.sync_api import Browser, Page, expect  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seeded_dir: Path, embedder) -> Iterator[tuple[str, Aftercare]]:  # type: ignore[no-untyped-def]
    with served_demo(tmp_path_factory, seeded_dir, embedder, "browser", users=(("ann", "agent"), ("eve", "editor")),
                     console={"queue_refresh_s": 1.0},
                     # an escalated question is what Unanswered lists: no "did you mean" from the case head
                     retrieval={"case_head_clarify": 0.0}) as served:
        yield served


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots at desktop and phone width."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height, tag in ((1280, 900, "1280"), (390, 844, "390")):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{tag}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def log_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".top .user")).to_contain_text(name)


def test_agent_claims_replies_and_resolves_while_the_customer_watches(server, browser: Browser) -> None:
    base, ac = server
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    customer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(agent, base, "ann")
    assert agent.url.endswith("/console/queue")
    shoot(agent, "login-then-empty-queue")

    customer.goto(f"{base}/")
    customer.fill("#text", "the app crashes every time I upload a photo")
    customer.click("#send")
    expect(customer.locator(".msg.bot .ticket")).to_contain_text("AC-", timeout=WAIT_MS)
    ticket = customer.locator(".msg.bot .ticket").first.inner_text().replace("Ticket ", "").strip()

    # the queue shows the new ticket without a reload
    row = agent.locator(f"#queue tr[data-id='{ticket}']")
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row).to_contain_text("Web chat")
    shoot(agent, "queue")

    row.locator("a").click()
    expect(agent.locator("h1")).to_contain_text(ticket)
    agent.click("#claim")
    expect(agent.locator(".flash.ok")).to_contain_text("You have the ticket")
    agent.fill("#reply-text", "Sorry about that! Which phone model do you use?")
    agent.click("#send-reply")
    expect(agent.locator(".flash.ok")).to_contain_text("Reply sent")
    agent.fill("#note-text", "Looks like the HEIC upload bug.")
    agent.click("#add-note")
    expect(agent.locator(".transcript .m.note")).to_contain_text("HEIC")

    # the reply reaches the customer's chat page; the internal note never does
    expect(customer.locator(".msg.agent")).to_contain_text("Which phone model do you use?", timeout=WAIT_MS)
    assert "HEIC" not in customer.locator("#log").inner_text()
    customer.fill("#text", "An iPhone 12, thanks")
    customer.click("#send")
    expect(agent.locator(".transcript .m.customer").last).to_contain_text("iPhone 12", timeout=WAIT_MS)
    shoot(agent, "ticket")
    shoot(customer, "customer-chat")

    agent.fill("#resolution-text", "Fixed in version 4.2.1: please update the app.")
    agent.click("#resolve")
    expect(agent.locator(".flash.ok")).to_contain_text("Resolved")
    expect(customer.locator(".msg.system")).to_contain_text("4.2.1", timeout=WAIT_MS)
    assert ac.handoff.get(ticket).status == "resolved"

    # an agent is refused on editor pages, server-side
    resp = agent.goto(f"{base}/console/review")
    assert resp is not None and resp.status == 403
    expect(agent.locator("main")).to_contain_text("cannot open editor pages")
    shoot(agent, "refused")


def test_agent_answers_with_a_suggested_solved_case(server, browser: Browser) -> None:
    """A fault ticket whose customer describes what a solved case explains: the ticket page suggests
    that case, "Use in reply" puts its answer in the reply box, and the customer gets it."""
    base, ac = server
    customer = browser.new_context().new_page()
    customer.goto(f"{base}/")
    customer.fill("#text", "the night vision on my camera stopped working, the image is black at night")
    customer.click("#send")
    expect(customer.locator(".msg.bot .ticket")).to_contain_text("AC-", timeout=WAIT_MS)
    ticket = customer.locator(".msg.bot .ticket").first.inner_text().replace("Ticket ", "").strip()

    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(agent, base, "ann")
    agent.goto(f"{base}/console/tickets/{ticket}")
    suggestion = agent.locator("#suggestions li[data-case='night-vision']")
    expect(suggestion).to_contain_text("infrared")
    shoot(agent, "ticket-suggestions")
    agent.fill("#reply-text", "Hi! Here is what usually fixes it:")
    suggestion.locator("button.use-answer").click()
    box = agent.locator("#reply-text")
    expect(box).to_have_value(re.compile(r"^Hi! Here is what usually fixes it:\n\nLumo cameras switch to infrared"))
    agent.click("#send-reply")
    expect(agent.locator(".flash.ok")).to_contain_text("Reply sent")
    expect(customer.locator(".msg.agent")).to_contain_text("infrared night vision", timeout=WAIT_MS)


def test_forged_csrf_token_is_refused_in_the_browser(server, browser: Browser) -> None:
    base, ac = server
    body = ac.pipeline.handle(IncomingMessage(channel="web", customer="csrf-victim",
                                              text="I want to speak to a human agent"))
    assert body.ticket_id
    page = browser.new_context().new_page()
    log_in(page, base, "ann")
    page.goto(f"{base}/console/tickets/{body.ticket_id}")
    page.eval_on_selector_all("input[name=csrf]", "els => els.forEach(e => e.value = 'forged-token')")
    page.fill("#reply-text", "this must not be sent")
    with page.expect_response(lambda r: r.url.endswith("/reply")) as info:
        page.click("#send-reply")
    assert info.value.status == 403
    expect(page.locator("main")).to_contain_text("security token")
    assert all(m.text != "this must not be sent" for m in ac.handoff.transcript(body.ticket_id))


def test_editor_approves_a_draft_and_the_bot_answers_from_it(server, browser: Browser) -> None:
    base, ac = server
    ac.kb.add_case("export-invoices-pdf", ["how can I export all my invoices as one PDF for my accountant?"],
                   "Open Billing > Invoices, select them all and choose Export PDF.", state="draft",
                   source="ticket", source_ref="AC-000001")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base, "eve")
    assert page.url.endswith("/console/cases")
    shoot(page, "cases")
    page.goto(f"{base}/console/cases/reset-password")
    shoot(page, "case-edit")
    page.goto(f"{base}/console/review")
    draft = page.locator("article.draft[data-case='export-invoices-pdf']")
    expect(draft).to_contain_text("accountant")
    shoot(page, "review")
    draft.locator("button.approve").click()
    expect(page.locator(".flash.ok")).to_contain_text("export-invoices-pdf published")
    assert ac.kb.get("export-invoices-pdf").state == "published"

    page.goto(f"{base}/console/try")
    page.fill("#try-text", "how can I export all my invoices as one PDF for my accountant?")
    page.click("#try")
    expect(page.locator("#decision-action")).to_have_text("answer")
    expect(page.locator("#decision-case")).to_have_text("export-invoices-pdf")
    expect(page.locator("#decision")).to_contain_text("Threshold")
    shoot(page, "try-the-bot")

    chat = browser.new_context().new_page()
    chat.goto(f"{base}/")
    chat.fill("#text", "how can I export all my invoices as one PDF for my accountant?")
    chat.click("#send")
    expect(chat.locator(".msg.bot").last).to_contain_text("Export PDF", timeout=WAIT_MS)

    # an editor is refused on agent pages
    resp = page.goto(f"{base}/console/queue")
    assert resp is not None and resp.status == 403


def test_editor_adds_an_unanswered_question_to_its_case(server, browser: Browser) -> None:
    """A customer's question the bot escalated shows on Unanswered; the editor adds it to the case it
    leans to with one click, and the same question is answered in the web chat from then on."""
    base, ac = server
    question = "is there a free trial of the Pro plan"
    chat = browser.new_context().new_page()
    chat.goto(f"{base}/")
    chat.fill("#text", question)
    chat.click("#send")
    expect(chat.locator(".msg.bot").last).to_contain_text("AC-", timeout=WAIT_MS)  # escalated: a ticket id

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base, "eve")
    page.click("nav >> text=Unanswered")
    row = page.locator(f"#unanswered tr[data-question='{question}']")
    expect(row).to_contain_text("free-trial")
    shoot(page, "unanswered")
    row.locator("button.attach").click()
    expect(page.locator(".flash.ok")).to_contain_text("the bot now answers it with free-trial")
    expect(page.locator(f"#unanswered tr[data-question='{question}']")).to_have_count(0)

    again = browser.new_context().new_page()
    again.goto(f"{base}/")
    again.fill("#text", question)
    again.click("#send")
    expect(again.locator(".msg.bot").last).to_contain_text("free trial", timeout=WAIT_MS)


def test_reports_page_and_widget_on_another_site(server, browser: Browser, tmp_path: Path) -> None:
    base, _ = server
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base, "ann")
    page.goto(f"{base}/console/reports")
    expect(page.locator("h1")).to_contain_text("Reports")
    shoot(page, "reports")

    # a company's own site, on another origin, with the one script tag
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "index.html").write_text(f"<!doctype html><html><head><meta name='viewport' content='width=device-width'>"
                                     f"</head><body><h1>Shop</h1><p>Our products.</p>"
                                     f"<script src='{base}/widget.js' data-title='Help'></script></body></html>")
    with static_site(shop) as shop_url:
        site = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        site.goto(f"{shop_url}/index.html")
        site.click("#aftercare-widget-button")
        frame = site.frame_locator("#aftercare-widget-frame")
        frame.locator("#text").fill("how do I reset my password?")
        frame.locator("#send").click()
        expect(frame.locator(".msg.bot").last).to_contain_text("password", timeout=WAIT_MS)
        shoot(site, "widget")


def test_queue_shows_who_the_customer_is_and_that_they_replied(server, browser: Browser) -> None:
    base, ac = server
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(agent, base, "ann")
    customer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    customer.goto(f"{base}/")
    customer.fill("#name", "Mina Park")
    customer.fill("#text", "my doorbell camera shows a black screen since this morning")
    customer.click("#send")
    expect(customer.locator(".msg.bot .ticket")).to_contain_text("AC-", timeout=WAIT_MS)
    ticket = customer.locator(".msg.bot .ticket").first.inner_text().replace("Ticket ", "").strip()
    row = agent.locator(f"#queue tr[data-id='{ticket}']")
    expect(row).to_contain_text("Mina Park", timeout=WAIT_MS)  # the name, not web-jeek8tm8mx3191tc
    expect(row).to_contain_text("Web chat")
    assert "web-" not in row.locator("td.subject").inner_text()
    expect(row.locator("td[data-th='Last activity'] time")).not_to_be_empty()
    expect(row.locator(".pill.replied")).to_have_count(0)
    ac.handoff.reply(ticket, "ann", "Thanks Mina, which camera model is it?")
    expect(customer.locator(".msg.agent")).to_contain_text("which camera model", timeout=WAIT_MS)
    customer.fill("#text", "the Lumo Doorbell 2")
    customer.click("#send")
    expect(row.locator(".pill.replied")).to_have_text("customer replied", timeout=WAIT_MS)  # refreshed by itself
    shoot(agent, "queue-customer-replied")
    row.locator("a").click()
    expect(agent.locator("dl")).to_contain_text("Mina Park")
