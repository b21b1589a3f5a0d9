"""The console on the web app: login and logout, the pages of each role (:mod:`.agents`,
:mod:`.editors`, :mod:`.admin`, built on :mod:`.kit`) and the customer-facing embeddable chat widget.
Every route checks the role server-side and every form carries the session's CSRF token."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.adapters.chat_labels import PAGE_LABELS, labels_json, page_language
from bot.app import Aftercare
from bot.console.admin import admin_routes
from bot.console.agents import agent_routes
from bot.console.editors import editor_routes
from bot.console.errors import LoginBusy, LoginRefused, TooManyAttempts
from bot.console.kit import COOKIE, HERE, Forbidden, Kit, NeedLogin, nav, safe_next, secure, templates
from bot.console.users import UserStore

log = logging.getLogger(__name__)
LOGIN_COOKIE = "ac_login_csrf"
HOME = {"agent": "/console/queue", "editor": "/console/cases", "admin": "/console/queue"}


def mount_console(app: FastAPI, ac: Aftercare) -> None:
    """Add the console (``/console/...``) and the widget (``/widget.js``) to the web app."""
    cfg = ac.config.console
    store = UserStore(ac.sessions, clock=lambda: ac.clock(), session_hours=cfg.session_hours,
                      max_failures=cfg.login_max_failures, window_s=cfg.login_window_s,
                      address_max_failures=cfg.login_address_max_failures, hash_slots=cfg.login_hash_slots)
    app.state.console_users = store
    kit = Kit(ac, store, templates())
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    for router in (login_routes(kit), agent_routes(kit), editor_routes(kit), admin_routes(kit), widget_routes(kit)):
        app.include_router(router)

    @app.exception_handler(NeedLogin)
    async def _need_login(request: Request, exc: NeedLogin) -> Response:
        if exc.path.startswith("/console/api/"):
            return JSONResponse({"error": "log in first"}, status_code=401)
        return RedirectResponse("/console/login?" + urlencode({"next": exc.path}), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if request.url.path.startswith("/console/api/"):
            return JSONResponse({"error": exc.reason}, status_code=403)
        sess = kit.session_of(request)
        html = kit.pages.get_template("error.html").render(title="Not allowed", message=exc.reason, s=sess,
                                                           nav=nav(sess), path=request.url.path, msg="", error="")
        return secure(HTMLResponse(html, status_code=403))


def login_routes(kit: Kit) -> APIRouter:
    """``/console`` (to the role's home page), the login form (its own CSRF cookie; failures counted per
    user and per address, 429 with Retry-After when over) and logout."""
    cfg, store = kit.cfg, kit.store
    r = APIRouter()

    @r.get("/console", include_in_schema=False)
    @r.get("/console/", include_in_schema=False)
    def home(request: Request) -> Response:
        sess = kit.session_of(request)
        return RedirectResponse(HOME[sess.user.role] if sess else "/console/login", status_code=303)

    def login_page(request: Request, *, error: str = "", status: int = 200, name: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        resp = kit.page("login.html", None, request, status=status, title="Log in", error=error, login_csrf=token,
                        next=safe_next(request.query_params.get("next", "")), user_name=name)
        resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax", secure=cfg.secure_cookies,
                        path="/console/login", max_age=3600)
        return resp

    @r.get("/console/login", include_in_schema=False)
    def login_form(request: Request) -> Response:
        return login_page(request)

    @r.post("/console/login", include_in_schema=False)
    def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("")) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
            return login_page(request, error="The form expired or its security token is wrong; try again.",
                              status=403, name=name)
        client = request.client.host if request.client else "unknown"
        try:
            sess = store.login(name, password, client=client)
        except TooManyAttempts as e:
            resp = login_page(request, error=f"Too many failed attempts. Try again in {e.retry_after_s} seconds.",
                              status=429, name=name)
            resp.headers["Retry-After"] = str(e.retry_after_s)
            return resp
        except LoginBusy as e:
            resp = login_page(request, error=f"Too many logins at once. Try again in {e.retry_after_s} seconds.",
                              status=503, name=name)
            resp.headers["Retry-After"] = str(e.retry_after_s)
            return resp
        except LoginRefused:
            return login_page(request, error="Wrong user name or password.", status=401, name=name)
        resp = RedirectResponse(safe_next(next) or HOME[sess.user.role], status_code=303)
        resp.set_cookie(COOKIE, sess.token, httponly=True, samesite="lax", secure=cfg.secure_cookies,
                        path="/", max_age=int(cfg.session_hours * 3600))
        resp.delete_cookie(LOGIN_COOKIE, path="/console/login")
        return resp

    @r.post("/console/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        sess = kit.session_of(request)
        if sess is not None and secrets.compare_digest(csrf.encode(), sess.csrf.encode()):
            store.logout(sess.token)
        elif sess is not None:
            raise Forbidden("the form's security token is missing or wrong")
        resp = RedirectResponse("/console/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    return r


def widget_routes(kit: Kit) -> APIRouter:
    """The customer-facing chat widget: ``/widget.js`` (embeddable on any site) and its ``/widget`` frame."""
    r = APIRouter()

    @r.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        body = (HERE / "static" / "widget.js").read_text(encoding="utf-8")
        return PlainTextResponse(body, media_type="application/javascript; charset=utf-8",
                                 headers={"Cache-Control": "public, max-age=300",
                                          "Access-Control-Allow-Origin": "*"})

    @r.get("/widget", include_in_schema=False)
    def widget_frame(request: Request) -> Response:
        code = page_language(request.query_params.get("lang", ""), request.headers.get("accept-language", ""),
                             kit.ac.config.app.language)
        html = kit.pages.get_template("widget.html").render(
            title=request.query_params.get("title", "")[:80] or PAGE_LABELS[code]["title"],
            lang=code, t=PAGE_LABELS[code], labels_json=labels_json())
        return HTMLResponse(html)

    return r
