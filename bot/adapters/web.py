"""Web chat page and its JSON API (the page and the widget use the same API), plus /healthz.

Every read and write of a conversation carries the key ``POST /api/session`` issued
(``Authorization: Bearer <key>``, see ``bot.adapters.web_access``). Messages come back as the
customer saw them, each with the buttons every channel shows under it ("That helped" / "Talk to a
person" under an answer, 1-5 under a resolution notice), pressed through ``POST /api/buttons``
into the same stored verdicts as Telegram's and Slack's buttons.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.adapters.base import Channel
from bot.adapters.chat_labels import PAGE_LABELS, page_language
from bot.adapters.web_access import ButtonIn, IdentityRefused, MessageIn, SessionIn, WebChatKeys
from bot.adapters.web_api import KEY_HOLDER, ApiRequests, ChatKeys, api_error, invalid_request
from bot.app import Aftercare
from bot.console.routes import mount_console
from bot.db import DatabaseUnavailable, UnstorableValue, ping, with_retries
from bot.feedback import verdicts_of
from bot.jsonbody import BadBody, clean_text
from bot.limits import BodyLimit, BodyTooLarge, too_large
from bot.loop import Service
from bot.messages import IncomingMessage
from bot.metrics import CONTENT_TYPE as METRICS_TYPE
from bot.outbox.render import action_problem, feedback, press_problem, pressed_message, render
from bot.ratelimit import window
from bot.replies import LANGUAGES
from handoff.errors import HandoffError
from handoff.service import MessageView, TicketView

log = logging.getLogger(__name__)
WEB = Path(__file__).resolve().parent.parent / "web"
CHANNEL = "web"
CHAT_API = ("/api/messages", "/api/history", "/api/buttons")  # the routes that need a key (from /api/session)


def create_web_app(ac: Aftercare, *, services: Sequence[Service] = (), identity_secret: str | None = None) -> FastAPI:
    """The web app; ``services`` (channels, outbox, jobs) start with it and stop with it.
    ``identity_secret`` (default: the WEB_IDENTITY_SECRET environment variable) lets an embedding
    site bind the chat to its own signed-in user (``bot.adapters.web_access``)."""
    if identity_secret is None:
        identity_secret = os.environ.get("WEB_IDENTITY_SECRET", "")
    keys = WebChatKeys(ac.sessions, identity_secret=identity_secret)
    db = ac.config.database

    def key_holder(auth: str) -> str | JSONResponse:
        """The customer whose chat key the ``Authorization`` header ``auth`` carries ("Bearer <key>"); else
        the answer: 401 without a key or with an unknown one, 503 when the database is away."""
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not key:
            return JSONResponse({"error": "no chat key: POST /api/session first, then send it as "
                                          "'Authorization: Bearer <key>'"}, status_code=401)
        try:
            customer = with_retries(lambda: keys.customer_of(key), attempts=db.connect_retries,
                                    delay=db.retry_delay_s)
        except DatabaseUnavailable as e:
            return JSONResponse({"error": str(e)}, status_code=503)
        if customer is None:
            return JSONResponse({"error": "unknown chat key: start a new session"}, status_code=401)
        return customer

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        started: list[Service] = []
        try:
            for svc in services:
                await svc.start()
                started.append(svc)
                log.info("started %s", svc.name)
            yield
        finally:
            for svc in reversed(started):
                try:
                    await svc.stop()
                except Exception:  # noqa: BLE001 - stop the others anyway
                    log.exception("stopping %s failed", svc.name)

    app = FastAPI(title="Aftercare", docs_url="/api/docs", redoc_url=None, lifespan=lifespan)
    app.add_middleware(ApiRequests)  # /api/: a JSON body whatever its content type
    # the chat API's key before its body or query is read: no key is 401, never the 422 of a malformed body
    app.add_middleware(ChatKeys, paths=CHAT_API, holder=key_holder)
    app.add_middleware(BodyLimit, max_bytes=ac.config.web.max_body_bytes)  # every route, chunked or not
    proxies = [p.strip() for p in ac.config.web.trusted_proxies.split(",") if p.strip()]
    if proxies:  # X-Forwarded-For believed only from these addresses; otherwise the connection's own address
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        return invalid_request(exc)  # 422, the first problem in plain words

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """``{"error": ...}`` on the chat API, the framework's answer elsewhere."""
        return api_error(request, exc) or await http_exception_handler(request, exc)

    @app.exception_handler(UnstorableValue)
    async def _unstorable(_request: Request, exc: UnstorableValue) -> JSONResponse:
        return JSONResponse({"error": f"bad input: {exc}"}, status_code=400)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, exc: BodyTooLarge) -> JSONResponse:
        return too_large(exc.limit)
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")
    pages = Environment(loader=FileSystemLoader(str(WEB / "pages")), autoescape=select_autoescape())
    app.state.aftercare = ac
    mount_console(app, ac)  # agents' and editors' console, /widget.js

    @app.get("/", response_class=HTMLResponse)
    def chat_page(request: Request, lang: str = "") -> str:
        code = page_language(lang, request.headers.get("accept-language", ""), ac.config.app.language)
        return pages.get_template("chat.html").render(
            lang=code, t=PAGE_LABELS[code], labels_json=json.dumps(PAGE_LABELS, ensure_ascii=False))

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            with_retries(lambda: ping(ac.engine), attempts=2, delay=0.2)
            body = {"status": "ok", "database": "ok", "kb_revision": ac.kb.revision(),
                    "kb_cases": ac.kb.count(), "language": ac.config.app.language}
            return JSONResponse(body)
        except DatabaseUnavailable as e:
            return JSONResponse({"status": "error", "database": str(e)}, status_code=503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text format: this worker's counters, the desk's figures from the database."""
        return Response(ac.metrics.render(), media_type=METRICS_TYPE)

    web = ac.config.web
    shared_db = ac.engine if web.rate_limit_database and not web.rate_limit_redis else None
    per_address = window(web.address_messages_per_minute, 60.0, redis_url=web.rate_limit_redis, engine=shared_db)
    new_sessions = window(web.address_messages_per_minute, 60.0, redis_url=web.rate_limit_redis, engine=shared_db)

    def too_many(request: Request, customer: str) -> JSONResponse | None:
        """HTTP 429 when the client address or the customer is over its per-minute limit."""
        address = request.client.host if request.client else "unknown"
        wait = per_address.hit(address)
        if not wait and web.customer_messages_per_minute > 0:
            now = ac.clock()
            db = ac.config.database
            try:
                n, oldest = with_retries(
                    lambda: ac.handoff.customer_sent_since(CHANNEL, customer, now - timedelta(minutes=1)),
                    attempts=db.connect_retries, delay=db.retry_delay_s)
            except DatabaseUnavailable:  # the message goes on; the pipeline answers 503 if the database is away
                n, oldest = 0, None
            if n >= web.customer_messages_per_minute and oldest is not None:
                wait = max(1.0, (oldest + timedelta(minutes=1) - now).total_seconds())
        if not wait:
            return None
        seconds = int(wait) + 1
        log.warning("web chat: too many messages from %s (customer %s); refused for %d s", address, customer,
                    seconds)
        return JSONResponse({"error": f"too many messages: wait {seconds} seconds, then send again",
                             "retry_after": seconds}, status_code=429, headers={"Retry-After": str(seconds)})

    def caller(request: Request, claimed: str = "") -> str | JSONResponse:
        """The customer whose key the request carries (checked by :class:`ChatKeys` before the route; 401
        without a known key, 503 when the database is away), then 422 when ``claimed`` is no customer id and
        403 when it names another customer."""
        held = request.scope.get("state", {}).get(KEY_HOLDER)
        customer = held or key_holder(request.headers.get("authorization", ""))
        if isinstance(customer, JSONResponse):
            return customer
        try:
            clean_text(claimed, "customer")
        except BadBody as e:
            return JSONResponse({"error": str(e)}, status_code=422)
        if claimed and claimed != customer:
            return JSONResponse({"error": "this key does not speak for that customer"}, status_code=403)
        return customer

    def shown(customer: str, rows: list[MessageView], language: str | None = None) -> list[dict[str, Any]]:
        """Messages as the page shows them: text, author, ticket id, and the buttons every channel
        puts under them (left off once pressed), in ``language`` (read once from the conversation when not
        given)."""
        if language is None and rows:
            language = ac.handoff.language(rows[0].conversation_id)
        tickets: dict[int, TicketView | None] = {}
        for m in rows:
            if m.ticket_id is not None and m.ticket_id not in tickets:
                try:
                    tickets[m.ticket_id] = ac.handoff.get(m.ticket_id)
                except HandoffError:
                    tickets[m.ticket_id] = None
        verdicts = verdicts_of(ac.sessions, [m.id for m in rows if m.author == "bot"])
        rated = {tid for tid, t in tickets.items() if t is not None and ac.handoff.rating(tid) is not None}
        out = []
        for m in rows:
            ticket = tickets.get(m.ticket_id) if m.ticket_id is not None else None
            buttons = render(ac, m, ticket, language=language).buttons if m.author != "customer" else []
            own = str(m.meta.get("own_ticket") or "") if m.ticket_id is None else ""  # a merged customer's copy
            done = m.ticket_id in rated or bool(own) and ac.handoff.rating(own) is not None
            if m.id in verdicts or (done and all(a.startswith("rate:") for _, a in buttons)):
                buttons = []
            out.append({"id": m.id, "author": m.author, "author_name": m.author_name, "text": m.text,
                        "created_at": m.created_at.isoformat(),
                        "ticket_id": ticket.public_id if ticket is not None else None,
                        "buttons": [{"label": label, "action": action} for label, action in buttons]})
        return out

    @app.post("/api/session")
    def new_session(request: Request, body: SessionIn | None = None) -> JSONResponse:
        """A key for a new anonymous customer, or for the embedding site's user (with its hash)."""
        address = request.client.host if request.client else "unknown"
        body = body or SessionIn()
        # anonymous keys are limited per address (counted apart from messages); a site-signed one needs the
        # site's secret, so it cannot be asked for in bulk by anyone else
        wait = 0.0 if body.user_id else new_sessions.hit(f"session:{address}")
        if wait:
            seconds = int(wait) + 1
            return JSONResponse({"error": f"too many requests: wait {seconds} seconds", "retry_after": seconds},
                                status_code=429, headers={"Retry-After": str(seconds)})
        try:
            customer, key = with_retries(
                lambda: keys.issue(at=ac.clock(), user_id=body.user_id, user_hash=body.user_hash),
                attempts=db.connect_retries, delay=db.retry_delay_s)
        except IdentityRefused as e:
            return JSONResponse({"error": str(e)}, status_code=403)
        except DatabaseUnavailable as e:
            return JSONResponse({"error": str(e)}, status_code=503)
        return JSONResponse({"customer": customer, "key": key})

    @app.post("/api/messages")
    def post_message(body: MessageIn, request: Request) -> JSONResponse:
        customer = caller(request, body.customer)
        if isinstance(customer, JSONResponse):
            return customer
        language = body.language.strip().lower().split("-")[0].split("_")[0]
        if language and language not in LANGUAGES:
            return JSONResponse({"error": f"language {body.language[:16]!r} is not supported: use one of "
                                          f"{', '.join(LANGUAGES)}, or leave it out"}, status_code=400)
        refused = too_many(request, customer)
        if refused is not None:
            return refused
        # one key per message: the client's Idempotency-Key (its retry after a 503 or a lost answer is the same
        # message), else one made here, so the pipeline's own retries after a database blip repeat nothing
        given = request.headers.get("idempotency-key", "")[:100]
        scoped = hashlib.sha256(f"{customer}\n{given}".encode()).hexdigest()  # one customer's keys only
        key = f"web:{scoped}" if given else f"web:{uuid.uuid4().hex}"
        # as Telegram's app language does: the page's language until the customer's words say otherwise
        msg = IncomingMessage(channel=CHANNEL, customer=customer, text=body.text, customer_name=body.name,
                              key=key, language=language)
        out = ac.pipeline.handle(msg)
        payload: dict[str, Any] = {
            "replies": [{"text": r.text, "kind": r.kind, "case_id": r.case_id} for r in out.replies],
            "ticket_id": out.ticket_id, "action": out.action, "label": out.label,
            "confidence": out.confidence, "case_id": out.case_id, "priority": out.priority,
            "impact": out.impact, "reason": out.reason, "last_id": None, "language": out.language,
            "message_id": out.message_id, "messages": [],
        }
        if out.action == "error":
            return JSONResponse({**payload, "error": out.reason}, status_code=503)
        if out.action == "conflict":  # Stripe's contract: a key names one message, never another
            return JSONResponse({"error": "this Idempotency-Key was already used for a different message; "
                                          "send a new message with a new key", "action": "conflict"},
                                status_code=422)
        if out.message_id is not None:
            seen = ac.handoff.customer_messages(CHANNEL, customer, after=out.message_id)
            payload["messages"] = shown(customer, seen, out.language)
            payload["last_id"] = max((m.id for m in seen), default=out.message_id)
        return JSONResponse(payload)

    @app.get("/api/messages")
    def poll_messages(request: Request, customer: str = Query(default="", max_length=200),
                      after: int = Query(default=0, ge=0, le=2**63 - 1)) -> JSONResponse:
        """What the customer should see since message ``after`` (agents' replies, notices)."""
        who = caller(request, customer)
        if isinstance(who, JSONResponse):
            return who
        try:
            # the customer's own words too: what they wrote in another tab or on another device shows here
            rows = ac.handoff.customer_messages(CHANNEL, who, after=after, with_own=True)
            return JSONResponse({"messages": shown(who, rows)})
        except DatabaseUnavailable as e:
            return JSONResponse({"error": str(e)}, status_code=503)

    @app.get("/api/history")
    def history(request: Request, limit: int = Query(default=50, ge=1, le=500)) -> JSONResponse:
        """The customer's last ``limit`` messages (their own too), oldest first, with the open ticket:
        what the page shows again after a reload."""
        who = caller(request)
        if isinstance(who, JSONResponse):
            return who
        try:
            rows = ac.handoff.history(CHANNEL, who, limit=limit)
            open_t = ac.handoff.open_ticket(rows[0].conversation_id) if rows else None
            return JSONResponse({"customer": who, "messages": shown(who, rows),
                                 "last_id": rows[-1].id if rows else 0,
                                 "open_ticket": open_t.public_id if open_t is not None else None})
        except DatabaseUnavailable as e:
            return JSONResponse({"error": str(e)}, status_code=503)

    @app.post("/api/buttons")
    def press(body: ButtonIn, request: Request) -> JSONResponse:
        """A button under a message ("That helped", "Talk to a person", a 1-5 rating): the same stored
        verdicts as Telegram's and Slack's buttons. The answer's text, and the messages it caused."""
        who = caller(request)
        if isinstance(who, JSONResponse):
            return who
        problem = action_problem(body.action)
        if problem is not None:
            return JSONResponse({"error": problem}, status_code=400)
        try:
            problem = press_problem(ac, CHANNEL, who, body.action)
            if problem is not None:  # a rating of a ticket not this customer's, feedback on no answer of theirs
                return JSONResponse({"error": problem}, status_code=400)
            before = ac.handoff.history(CHANNEL, who, limit=1)
            text = feedback(ac, CHANNEL, who, name=body.name, action=body.action)
            after = before[-1].id if before else 0
            # what the press caused, and what came after the pressed message: a second press of the same
            # button (a double click, another tab, a retry) is shown the first one's answer too
            pressed = pressed_message(body.action)
            if pressed is not None and pressed <= after:
                after = pressed
            rows = ac.handoff.customer_messages(CHANNEL, who, after=after)
        except DatabaseUnavailable as e:
            return JSONResponse({"error": str(e)}, status_code=503)
        return JSONResponse({"text": text, "messages": shown(who, rows)})

    for svc in services:  # channel webhooks (/telegram/webhook, /slack/events); their logic lives in the adapter
        for path, endpoint in svc.http_routes() if isinstance(svc, Channel) else ():
            app.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)

    return app
