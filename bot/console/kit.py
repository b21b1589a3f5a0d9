"""What every console page uses: the signed-in session and the role guards (a CSRF-checked variant for
forms), page rendering with the navigation and security headers, and the redirect back with a message
or an error. One :class:`Kit` is built per web app and handed to each role's routes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.app import Aftercare
from bot.config import ConsoleSettings
from bot.console.users import LoginSession, UserStore
from bot.console.views import PRIORITIES
from bot.errors import BotError

HERE = Path(__file__).resolve().parent
COOKIE = "ac_console"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


class NeedLogin(BotError):
    """The request needs a signed-in console user: answered with a redirect to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Forbidden(BotError):
    """The signed-in user's role may not do this: answered with 403 and the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def templates() -> Environment:
    """The console's Jinja environment (autoescaped)."""
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["form_key"] = lambda: secrets.token_urlsafe(16)  # one per rendered form: its idempotency key
    return env


def nav(sess: LoginSession | None) -> list[tuple[str, str]]:
    """(path, label) of the pages the session's role may open."""
    if sess is None:
        return []
    u = sess.user
    items: list[tuple[str, str]] = []
    if u.can("agent"):
        items += [("/console/queue", "Queue"), ("/console/problems", "Problems")]
    if u.can("editor"):
        items += [("/console/cases", "Cases"), ("/console/review", "Review"), ("/console/unanswered", "Unanswered"),
                  ("/console/try", "Try the bot")]
    if u.can("reports"):
        items.append(("/console/reports", "Reports"))
    if u.can("admin"):
        items.append(("/console/users", "Users"))
    return items


def secure(resp: Response) -> Response:
    """The console's security headers (CSP, no framing, no sniffing, no caching) on ``resp``."""
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def back(url: str, *, msg: str = "", error: str = "") -> RedirectResponse:
    """303 to ``url`` with the message or error the next page shows."""
    q = {k: v for k, v in (("msg", msg), ("error", error)) if v}
    return RedirectResponse(url + ("?" + urlencode(q) if q else ""), status_code=303)


def storable(text: str) -> str:
    """``text`` without what no database can store, to put a refused form's text back in its box: NUL
    characters dropped, lone surrogates as U+FFFD."""
    return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text if ch != "\x00")


def unstorable_reason(what: str, e: Exception) -> str:
    """The error shown for a form refused because ``what`` (the reply, the case) has text no database can
    store (:class:`bot.errors.UnstorableValue` ``e``)."""
    return (f"Not saved: the {what} {str(e).removeprefix('text ')}; it is shown again below without the "
            "characters that cannot be stored. Check it and send again.")


def safe_next(path: str) -> str:
    """``path`` when it is a console page of this site, else '' (no open redirects)."""
    return path if path.startswith("/console/") and not path.startswith("//") and "\\" not in path else ""


def days_param(request: Request, default: int = 30) -> int:
    """The ``days`` query parameter: 1-366, else ``default``."""
    days = request.query_params.get("days", str(default))
    return int(days) if days.isdigit() and 0 < int(days) <= 366 else default


@dataclass
class Kit:
    """The app, the console users and the templates, with the guards as FastAPI dependencies:
    ``agent``/``editor``/``reporter``/``admin`` for pages, ``*_post`` for forms (CSRF checked)."""

    ac: Aftercare
    store: UserStore
    pages: Environment

    def __post_init__(self) -> None:
        self.agent, self.agent_post = Depends(self.need("agent")), Depends(self.need_post("agent"))
        self.editor, self.editor_post = Depends(self.need("editor")), Depends(self.need_post("editor"))
        self.reporter = Depends(self.need("reports"))
        self.admin, self.admin_post = Depends(self.need("admin")), Depends(self.need_post("admin"))

    @property
    def cfg(self) -> ConsoleSettings:
        return self.ac.config.console

    def session_of(self, request: Request) -> LoginSession | None:
        return self.store.session(request.cookies.get(COOKIE, ""))

    def need(self, area: str) -> Callable[[Request], LoginSession]:
        """A guard: the signed-in session whose role may open ``area``; raises NeedLogin or Forbidden."""
        def guard(request: Request) -> LoginSession:
            sess = self.session_of(request)
            if sess is None:
                raise NeedLogin(request.url.path)
            if not sess.user.can(area):
                raise Forbidden(f"{sess.user.name} ({sess.user.role}) cannot open {area} pages")
            return sess
        return guard

    def need_post(self, area: str) -> Callable[..., LoginSession]:
        """As :meth:`need`, for a form: its ``csrf`` field must be the session's token."""
        check = self.need(area)

        def guard(request: Request, csrf: str = Form("")) -> LoginSession:
            sess = check(request)
            if not secrets.compare_digest(csrf.encode(), sess.csrf.encode()):
                raise Forbidden("the form's security token is missing or wrong; reload the page and try again")
            return sess
        return guard

    def not_found(self, sess: LoginSession, request: Request, message: str) -> Response:
        """The 404 page saying ``message`` ("No ticket AC-000123.")."""
        return self.page("error.html", sess, request, status=404, title="Not found", message=message)

    def page(self, template: str, sess: LoginSession | None, request: Request, *, status: int = 200,
             **ctx: Any) -> Response:
        """``template`` rendered with the navigation, the message or error, and ``ctx``; security headers set."""
        html = self.pages.get_template(template).render(
            s=sess, nav=nav(sess), path=request.url.path, msg=request.query_params.get("msg", ""),
            error=ctx.pop("error", None) or request.query_params.get("error", ""), priorities=PRIORITIES,
            refresh_ms=int(self.cfg.queue_refresh_s * 1000), **ctx)
        return secure(HTMLResponse(html, status_code=status))
