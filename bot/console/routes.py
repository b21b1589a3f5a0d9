"""The console's pages: login, agents' queue and tickets, editors' cases, review and "try the bot",
reports, users; plus the embeddable chat widget. Every route checks the role server-side and every
form carries the session's CSRF token."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.app import Aftercare
from bot.console.errors import ConsoleError, LoginBusy, LoginRefused, TooManyAttempts
from bot.console.models import ROLES
from bot.console.reports import report_page
from bot.console.users import LoginSession, UserStore, active_agents
from bot.console.views import (
    PRIORITIES,
    alert_row,
    event_row,
    filter_and_sort,
    message_row,
    near_duplicates,
    ticket_row,
)
from bot.errors import BotError
from bot.proposals import scrub
from bot.unanswered import suggested_cases, unanswered
from classifier.language import language_name
from handoff.errors import HandoffError, MergeNeedsConfirmation
from kb.errors import KBError

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
COOKIE = "ac_console"
LOGIN_COOKIE = "ac_login_csrf"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")
HOME = {"agent": "/console/queue", "editor": "/console/cases", "admin": "/console/queue"}


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


def _lines(text: str) -> list[str]:
    return [q.strip() for q in text.splitlines() if q.strip()]


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _ticket_ref(text: str) -> str:
    """A ticket id from a query string, or '' (it is put back into a form)."""
    return text if re.fullmatch(r"[A-Z]{1,10}-\d{1,12}", text) else ""


def _safe_next(path: str) -> str:
    return path if path.startswith("/console/") and not path.startswith("//") and "\\" not in path else ""


def mount_console(app: FastAPI, ac: Aftercare) -> None:
    """Add the console (``/console/...``) and the widget (``/widget.js``) to the web app."""
    cfg = ac.config.console
    store = UserStore(ac.sessions, clock=lambda: ac.handoff.now(), session_hours=cfg.session_hours,
                      max_failures=cfg.login_max_failures, window_s=cfg.login_window_s,
                      address_max_failures=cfg.login_address_max_failures, hash_slots=cfg.login_hash_slots)
    app.state.console_users = store
    pages = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(),
                        trim_blocks=True, lstrip_blocks=True)
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.include_router(build_router(ac, store, pages))

    @app.exception_handler(NeedLogin)
    async def _need_login(request: Request, exc: NeedLogin) -> Response:
        if exc.path.startswith("/console/api/"):
            return JSONResponse({"error": "log in first"}, status_code=401)
        return RedirectResponse("/console/login?" + urlencode({"next": exc.path}), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if request.url.path.startswith("/console/api/"):
            return JSONResponse({"error": exc.reason}, status_code=403)
        sess = store.session(request.cookies.get(COOKIE, ""))
        html = pages.get_template("error.html").render(title="Not allowed", message=exc.reason, s=sess,
                                                       nav=_nav(sess), path=request.url.path, msg="", error="")
        return _secure(HTMLResponse(html, status_code=403))


def _nav(sess: LoginSession | None) -> list[tuple[str, str]]:
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


def _secure(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def build_router(ac: Aftercare, store: UserStore, pages: Environment) -> APIRouter:
    cfg = ac.config.console
    r = APIRouter()

    # -- guards ---------------------------------------------------------------------------------

    def session_of(request: Request) -> LoginSession | None:
        return store.session(request.cookies.get(COOKIE, ""))

    def need(area: str) -> Callable[[Request], LoginSession]:
        def guard(request: Request) -> LoginSession:
            sess = session_of(request)
            if sess is None:
                raise NeedLogin(request.url.path)
            if not sess.user.can(area):
                raise Forbidden(f"{sess.user.name} ({sess.user.role}) cannot open {area} pages")
            return sess
        return guard

    def need_post(area: str) -> Callable[..., LoginSession]:
        check = need(area)

        def guard(request: Request, csrf: str = Form("")) -> LoginSession:
            sess = check(request)
            if not secrets.compare_digest(csrf.encode(), sess.csrf.encode()):
                raise Forbidden("the form's security token is missing or wrong; reload the page and try again")
            return sess
        return guard

    agent, agent_post = Depends(need("agent")), Depends(need_post("agent"))
    editor, editor_post = Depends(need("editor")), Depends(need_post("editor"))
    reporter = Depends(need("reports"))
    admin, admin_post = Depends(need("admin")), Depends(need_post("admin"))

    def page(template: str, sess: LoginSession | None, request: Request, *, status: int = 200,
             **ctx: Any) -> Response:
        html = pages.get_template(template).render(
            s=sess, nav=_nav(sess), path=request.url.path, msg=request.query_params.get("msg", ""),
            error=ctx.pop("error", None) or request.query_params.get("error", ""), priorities=PRIORITIES,
            refresh_ms=int(cfg.queue_refresh_s * 1000), **ctx)
        return _secure(HTMLResponse(html, status_code=status))

    def back(url: str, *, msg: str = "", error: str = "") -> RedirectResponse:
        q = {k: v for k, v in (("msg", msg), ("error", error)) if v}
        return RedirectResponse(url + ("?" + urlencode(q) if q else ""), status_code=303)

    # -- login ----------------------------------------------------------------------------------

    @r.get("/console", include_in_schema=False)
    @r.get("/console/", include_in_schema=False)
    def home(request: Request) -> Response:
        sess = session_of(request)
        return RedirectResponse(HOME[sess.user.role] if sess else "/console/login", status_code=303)

    def login_page(request: Request, *, error: str = "", status: int = 200, name: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        resp = page("login.html", None, request, status=status, title="Log in", error=error, login_csrf=token,
                    next=_safe_next(request.query_params.get("next", "")), user_name=name)
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
        resp = RedirectResponse(_safe_next(next) or HOME[sess.user.role], status_code=303)
        resp.set_cookie(COOKIE, sess.token, httponly=True, samesite="lax", secure=cfg.secure_cookies,
                        path="/", max_age=int(cfg.session_hours * 3600))
        resp.delete_cookie(LOGIN_COOKIE, path="/console/login")
        return resp

    @r.post("/console/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        sess = session_of(request)
        if sess is not None and secrets.compare_digest(csrf.encode(), sess.csrf.encode()):
            store.logout(sess.token)
        elif sess is not None:
            raise Forbidden("the form's security token is missing or wrong")
        resp = RedirectResponse("/console/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    # -- agents: queue --------------------------------------------------------------------------

    QUEUE_KEYS = ("status", "priority", "label", "channel", "owner", "sort")

    def queue_rows(request: Request, sess: LoginSession) -> list[dict[str, Any]]:
        q = {k: request.query_params.get(k, "") for k in QUEUE_KEYS}
        tickets = ac.handoff.list(status="open", limit=1000)
        shown = filter_and_sort(tickets, status=q["status"], priority=q["priority"], label=q["label"],
                                channel=q["channel"], owner=q["owner"], me=sess.user.name,
                                sort=q["sort"] or "priority")
        moved = ac.handoff.activity(t.id for t in shown)
        return [ticket_row(t, moved.get(t.id)) for t in shown]

    @r.get("/console/queue", include_in_schema=False)
    def queue(request: Request, sess: LoginSession = agent) -> Response:
        q = {k: request.query_params.get(k, "") for k in QUEUE_KEYS}
        all_open = ac.handoff.list(status="open", limit=1000)
        labels = sorted({t.label for t in all_open if t.label} | {s.name for s in ac.config.labels})
        channels = sorted({t.channel for t in all_open} | {"web"})
        return page("queue.html", sess, request, title="Queue", rows=queue_rows(request, sess), q=q,
                    labels=labels, channels=channels, query=urlencode({k: v for k, v in q.items() if v}),
                    alerts=[alert_row(a) for a in ac.handoff.recent_alerts(cfg.recent_alerts)])

    # -- agents: problems (recurring faults) -----------------------------------------------------

    @r.get("/console/problems", include_in_schema=False)
    def problems(request: Request, sess: LoginSession = agent) -> Response:
        shown = request.query_params.get("status", "open")
        shown = shown if shown in ("open", "resolved", "all") else "open"
        rows = ac.handoff.problems(status=None if shown == "all" else shown, limit=200)
        return page("problems.html", sess, request, title="Problems", problems=rows, shown=shown)

    @r.post("/console/problems/{ref}/resolve", include_in_schema=False)
    def problem_resolve(ref: str, resolution: str = Form(""), sess: LoginSession = agent_post) -> Response:
        from bot.workflows import resolve_problem

        try:
            done = resolve_problem(ac, ref, sess.user.name, resolution)
        except HandoffError as e:
            return back("/console/problems", error=str(e) or e.__class__.__name__)
        return back("/console/problems", msg=f"{ref.upper()} resolved; {len(done)} tickets resolved and "
                    "their customers told.")

    @r.get("/console/api/queue")
    def queue_json(request: Request, sess: LoginSession = agent) -> JSONResponse:
        rows = queue_rows(request, sess)
        return JSONResponse({"tickets": rows, "now": ac.handoff.now().isoformat()},
                            headers={"Cache-Control": "no-store"})

    # -- agents: one ticket ---------------------------------------------------------------------

    def actions() -> dict[str, bool]:
        h = ac.handoff
        return {name: callable(getattr(h, name, None))
                for name in ("reopen", "set_priority", "assign", "wait", "merge")}

    def problem_of(ticket_id: int, problem_id: int | None) -> Any:
        if problem_id is None:
            return None
        getter = getattr(ac.handoff, "problem", None)
        if not callable(getter):
            return {"id": problem_id}
        try:
            return getter(problem_id)
        except HandoffError:
            return {"id": problem_id}

    def roster() -> list[str]:
        return active_agents(ac.sessions, [a.name for a in ac.handoff.agents()])

    def drafts_from(public_id: str) -> list[Any]:
        return ac.kb.list(source_ref=public_id, limit=100)

    @r.get("/console/tickets/{ref}", include_in_schema=False)
    def ticket_page(ref: str, request: Request, sess: LoginSession = agent) -> Response:
        try:
            t = ac.handoff.get(ref)
        except HandoffError:
            return page("error.html", sess, request, status=404, title="Not found", message=f"No ticket {ref}.")
        messages = [message_row(m) for m in ac.handoff.transcript(t.id)]
        events = [event_row(e) for e in ac.handoff.events(t.id)]
        rating = ac.handoff.rating(t.id)
        row = ticket_row(t)
        return page("ticket.html", sess, request, title=f"{t.public_id} · {t.subject[:60]}", t=t, row=row,
                    language_name=language_name(t.language) if t.language else "not known yet",
                    messages=messages, events=events, rating=rating, can=actions(),
                    suggestions=suggested_cases(ac, t.subject, [m["text"] for m in messages
                                                                 if m["author"] == "customer"],
                                                min_score=cfg.suggest_min_score),
                    problem=problem_of(t.id, row["problem_id"]), drafts=drafts_from(t.public_id),
                    agents=roster(), confirm_merge=_ticket_ref(request.query_params.get("confirm_merge", "")),
                    last_id=max((m["id"] for m in messages), default=0))

    @r.get("/console/api/tickets/{ref}")
    def ticket_json(ref: str, after: int = 0, sess: LoginSession = agent) -> JSONResponse:
        try:
            t = ac.handoff.get(ref)
        except HandoffError:
            return JSONResponse({"error": f"no ticket {ref}"}, status_code=404)
        messages = [message_row(m) for m in ac.handoff.transcript(t.id) if m.id > after]
        return JSONResponse({"ticket": ticket_row(t), "messages": messages}, headers={"Cache-Control": "no-store"})

    def ticket_action(ref: str, fn: Callable[[], str]) -> Response:
        url = f"/console/tickets/{quote(ref)}"
        try:
            return back(url, msg=fn())
        except (HandoffError, KBError, ConsoleError) as e:
            return back(url, error=str(e) or e.__class__.__name__)

    @r.post("/console/tickets/{ref}/claim", include_in_schema=False)
    def claim(ref: str, sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            res = ac.handoff.claim(ref, sess.user.name)
            if res.won:
                return "You have the ticket."
            raise ConsoleError(f"{res.owner} has this ticket already.")
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/reply", include_in_schema=False)
    def reply(ref: str, text: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            ac.handoff.reply(ref, sess.user.name, text)
            return "Reply sent to the customer."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/note", include_in_schema=False)
    def note(ref: str, text: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            if not text.strip():
                raise ConsoleError("a note needs text")
            ac.handoff.note(ref, sess.user.name, text)
            return "Internal note added."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/resolve", include_in_schema=False)
    def resolve(ref: str, resolution: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            from bot.workflows import resolve_ticket

            _, case = resolve_ticket(ac, ref, sess.user.name, resolution)
            extra = f" Draft case {case.id} is waiting for an editor's review." if case else ""
            return "Resolved; the customer has been told." + extra
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/reopen", include_in_schema=False)
    def reopen(ref: str, sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            fn = getattr(ac.handoff, "reopen", None)
            if not callable(fn):
                raise ConsoleError("reopening is not available in this version")
            fn(ref, sess.user.name)
            return "Reopened."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/priority", include_in_schema=False)
    def priority(ref: str, value: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            fn = getattr(ac.handoff, "set_priority", None)
            if not callable(fn):
                raise ConsoleError("changing the priority is not available in this version")
            if value not in PRIORITIES:
                raise ConsoleError(f"priority must be one of {', '.join(PRIORITIES)}")
            fn(ref, value, actor=sess.user.name)
            return f"Priority set to {value}."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/assign", include_in_schema=False)
    def assign(ref: str, to: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            fn = getattr(ac.handoff, "assign", None)
            if not callable(fn):
                raise ConsoleError("assigning is not available in this version")
            if not to.strip():
                raise ConsoleError("assign to whom?")
            fn(ref, to.strip(), actor=sess.user.name, roster=roster())
            return f"Assigned to {to.strip()}."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/wait", include_in_schema=False)
    def wait(ref: str, sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            fn = getattr(ac.handoff, "wait", None)
            if not callable(fn):
                raise ConsoleError("waiting on the customer is not available in this version")
            fn(ref, sess.user.name)
            return "Waiting on the customer: the SLA clock is paused until they write."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/merge", include_in_schema=False)
    def merge(ref: str, into: str = Form(""), confirm: str = Form(""), sess: LoginSession = agent_post) -> Response:
        url = f"/console/tickets/{quote(ref)}"
        try:
            target = ac.handoff.merge(ref, into.strip(), sess.user.name, confirm=confirm == "1")
        except MergeNeedsConfirmation as e:  # two customers: the page asks again, with a confirming button
            return RedirectResponse(url + "?" + urlencode({"error": str(e), "confirm_merge": into.strip().upper()}),
                                    status_code=303)
        except HandoffError as e:
            return back(url, error=str(e) or e.__class__.__name__)
        reopened = " It was resolved and is open again." if "reopened" in [
            e.kind for e in ac.handoff.events(target.id)[-3:]] else ""
        return back(f"/console/tickets/{quote(target.public_id)}",
                    msg=f"{ref} merged into {target.public_id}.{reopened}")

    @r.post("/console/tickets/{ref}/propose", include_in_schema=False)
    def propose(ref: str, sess: LoginSession = agent_post) -> Response:
        from bot.proposals import propose_from_ticket

        def go() -> str:
            c = propose_from_ticket(ac, ref)
            return f"Draft case {c.id} is waiting for an editor's review."
        return ticket_action(ref, go)

    # -- editors: cases -------------------------------------------------------------------------

    @r.get("/console/cases", include_in_schema=False)
    def cases(request: Request, sess: LoginSession = editor) -> Response:
        query = request.query_params.get("q", "").strip()
        state = request.query_params.get("state", "")
        state = state if state in ("draft", "published", "retired", "rejected") else ""
        rows = ac.kb.list(state=state or None, query=query or None, limit=500)
        return page("cases.html", sess, request, title="Solved cases", cases=rows, query=query, state=state)

    def case_form(request: Request, sess: LoginSession, *, case: Any = None, form: dict[str, str] | None = None,
                  dupes: list[Any] | None = None, error: str = "", status: int = 200) -> Response:
        if form is None:
            form = {"id": "", "questions": "", "answer": "", "tags": "", "product": ""}
            if case is not None:
                form = {"id": case.id, "questions": "\n".join(case.questions), "answer": case.answer,
                        "tags": ", ".join(case.tags), "product": case.product,
                        "answer_ko": case.translations.get("ko", ""), "answer_en": case.translations.get("en", "")}
        return page("case_form.html", sess, request, title=f"Case {case.id}" if case else "New case", case=case,
                    form=form, dupes=dupes or [], error=error, status=status)

    @r.get("/console/cases/new", include_in_schema=False)
    def case_new(request: Request, sess: LoginSession = editor) -> Response:
        asked = request.query_params.get("questions", "")[: ac.config.app.max_message_chars]
        if asked:  # "New case" from the Unanswered page: the customer's question is the first phrasing
            return case_form(request, sess, form={"id": "", "questions": scrub(asked), "answer": "", "tags": "",
                                                  "product": ""})
        return case_form(request, sess)

    @r.post("/console/cases/new", include_in_schema=False)
    def case_create(request: Request, id: str = Form(""), questions: str = Form(""), answer: str = Form(""),
                    tags: str = Form(""), product: str = Form(""), confirm: str = Form(""),
                    answer_ko: str = Form(""), answer_en: str = Form(""),
                    sess: LoginSession = editor_post) -> Response:
        form = {"id": id.strip(), "questions": questions, "answer": answer, "tags": tags, "product": product,
                "answer_ko": answer_ko, "answer_en": answer_en}
        dupes = near_duplicates(ac.kb, _lines(questions), exclude=None, threshold=cfg.duplicate_score)
        if dupes and not confirm:
            return case_form(request, sess, form=form, dupes=dupes, status=409,
                             error="This case is nearly the same as an existing one. Save anyway?")
        try:
            c = ac.kb.add_case(id.strip(), _lines(questions), answer, tags=_tags(tags), product=product.strip(),
                               translations={"ko": answer_ko, "en": answer_en})
        except KBError as e:
            return case_form(request, sess, form=form, error=str(e), status=400)
        return back(f"/console/cases/{quote(c.id)}", msg=f"Case {c.id} created and published.")

    @r.get("/console/cases/{case_id}", include_in_schema=False)
    def case_edit(case_id: str, request: Request, sess: LoginSession = editor) -> Response:
        try:
            c = ac.kb.get(case_id)
        except KBError:
            return page("error.html", sess, request, status=404, title="Not found", message=f"No case {case_id}.")
        dupes = near_duplicates(ac.kb, c.questions, exclude=c.id, threshold=cfg.duplicate_score)
        return case_form(request, sess, case=c, dupes=dupes)

    @r.post("/console/cases/{case_id}", include_in_schema=False)
    def case_save(case_id: str, request: Request, questions: str = Form(""), answer: str = Form(""),
                  tags: str = Form(""), product: str = Form(""), publish: str = Form(""), confirm: str = Form(""),
                  answer_ko: str = Form(""), answer_en: str = Form(""),
                  sess: LoginSession = editor_post) -> Response:
        try:
            c = ac.kb.get(case_id)
        except KBError:
            return page("error.html", sess, request, status=404, title="Not found", message=f"No case {case_id}.")
        form = {"id": c.id, "questions": questions, "answer": answer, "tags": tags, "product": product,
                "answer_ko": answer_ko, "answer_en": answer_en}
        dupes = near_duplicates(ac.kb, _lines(questions), exclude=c.id, threshold=cfg.duplicate_score)
        if dupes and not confirm:
            return case_form(request, sess, case=c, form=form, dupes=dupes, status=409,
                             error="This case is nearly the same as an existing one. Save anyway?")
        try:
            others = {k: v for k, v in c.translations.items() if k not in ("ko", "en")}  # kept as imported
            c = ac.kb.update_case(case_id, questions=_lines(questions), answer=answer, tags=_tags(tags),
                                  product=product.strip(), state="published" if publish else None,
                                  translations={**others, "ko": answer_ko, "en": answer_en})
        except KBError as e:
            return case_form(request, sess, case=c, form=form, error=str(e), status=400)
        return back(f"/console/cases/{quote(c.id)}",
                    msg=f"Case {c.id} saved" + (" and published." if publish else "."))

    @r.post("/console/cases/{case_id}/state", include_in_schema=False)
    def case_state(case_id: str, state: str = Form(""), to: str = Form(""),
                   sess: LoginSession = editor_post) -> Response:
        words = {"published": "published", "retired": "retired", "rejected": "rejected", "draft": "back to draft"}
        dest = _safe_next(to) or f"/console/cases/{quote(case_id)}"
        if state not in words:
            return back(dest, error=f"unknown state {state!r}")
        try:
            if state == "published" and ac.kb.get(case_id).state == "draft":
                from bot.proposals import approve_draft

                approve_draft(ac, case_id)
            else:
                ac.kb.update_case(case_id, state=state)
        except KBError as e:
            return back(dest, error=str(e))
        return back(dest, msg=f"Case {case_id} {words[state]}.")

    def review_page(request: Request, sess: LoginSession, *, error: str = "", status: int = 200,
                    kept: dict[str, list[str]] | None = None) -> Response:
        from bot.proposals import check_phrasings

        drafts = ac.kb.list(state="draft", limit=500)
        dupes = {c.id: near_duplicates(ac.kb, c.questions, exclude=c.id, threshold=cfg.duplicate_score)
                 for c in drafts}
        # each phrasing with its tick box (ticked unless the editor unticked it) and the case it collides with
        checks = {c.id: check_phrasings(ac, c.id, c.questions) for c in drafts}
        ticked = {c.id: set(c.questions if kept is None or c.id not in kept else kept[c.id]) for c in drafts}
        return page("review.html", sess, request, title="Review queue", drafts=drafts, dupes=dupes, checks=checks,
                    ticked=ticked, error=error, status=status)

    @r.get("/console/review", include_in_schema=False)
    def review(request: Request, sess: LoginSession = editor) -> Response:
        return review_page(request, sess)

    @r.post("/console/review/{case_id}/approve", include_in_schema=False)
    async def review_approve(case_id: str, request: Request, sess: LoginSession = editor_post) -> Response:
        """Approve a draft with the ticked phrasings; refused, with the reason, while one collides."""
        from bot.proposals import approve_draft

        form = await request.form()
        keep = [str(v) for v in form.getlist("keep")]
        try:
            c = approve_draft(ac, case_id, keep=keep)
        except KBError as e:
            return review_page(request, sess, error=f"Case {case_id}: {e}", status=409, kept={case_id: keep})
        return back("/console/review", msg=f"Case {c.id} published with {len(c.questions)} "
                    "phrasing(s): the bot answers from it now.")

    @r.get("/console/unanswered", include_in_schema=False)
    def unanswered_page(request: Request, sess: LoginSession = editor) -> Response:
        days = request.query_params.get("days", "30")
        n = int(days) if days.isdigit() and 0 < int(days) <= 366 else 30
        return page("unanswered.html", sess, request, title="Unanswered", u=unanswered(ac, days=n), days=n)

    @r.get("/console/api/unanswered")
    def unanswered_api(request: Request, sess: LoginSession = editor) -> Response:
        days = request.query_params.get("days", "30")
        u = unanswered(ac, days=int(days) if days.isdigit() and 0 < int(days) <= 366 else 30)
        return _secure(JSONResponse(u.as_dict()))

    @r.post("/console/unanswered/attach", include_in_schema=False)
    def unanswered_attach(case_id: str = Form(""), text: str = Form(""),
                          sess: LoginSession = editor_post) -> Response:
        """Add a customer's question to a case as a phrasing, and say what the bot does with it now."""
        phrasing = scrub(text.strip())[: ac.config.app.max_message_chars]
        if not phrasing:
            return back("/console/unanswered", error="no question to add")
        try:
            ac.kb.add_phrasing(case_id, phrasing)
        except KBError as e:
            return back("/console/unanswered", error=str(e))
        d = ac.pipeline.decide(phrasing)
        now = (f"the bot now answers it with {d.case_id}." if d.action == "answer"
               else f"the bot still escalates it ({d.reason}).")
        return back("/console/unanswered", msg=f"Added to case {case_id}: {now}")

    @r.get("/console/try", include_in_schema=False)
    def try_form(request: Request, sess: LoginSession = editor) -> Response:
        return page("try.html", sess, request, title="Try the bot", text="", d=None)

    @r.post("/console/try", include_in_schema=False)
    def try_bot(request: Request, text: str = Form(""), sess: LoginSession = editor_post) -> Response:
        if not text.strip():
            return page("try.html", sess, request, title="Try the bot", text="", d=None, error="Type a message.")
        d = ac.pipeline.decide(text.strip()[: ac.config.app.max_message_chars])
        answer = ac.kb.get(d.case_id).answer if d.case_id and d.action == "answer" else ""
        probs = sorted(d.label_probs.items(), key=lambda kv: -kv[1])
        return page("try.html", sess, request, title="Try the bot", text=text, d=d, answer=answer, probs=probs)

    # -- reports --------------------------------------------------------------------------------

    @r.get("/console/reports", include_in_schema=False)
    def reports(request: Request, sess: LoginSession = reporter) -> Response:
        days = request.query_params.get("days", "30")
        n = int(days) if days.isdigit() and 0 < int(days) <= 366 else 30
        return page("reports.html", sess, request, title="Reports", report=report_page(ac, days=n), days=n)

    # -- admin: users ---------------------------------------------------------------------------

    @r.get("/console/users", include_in_schema=False)
    def users(request: Request, sess: LoginSession = admin) -> Response:
        return page("users.html", sess, request, title="Users", users=store.list(), roles=ROLES)

    @r.post("/console/users", include_in_schema=False)
    def users_add(name: str = Form(""), role: str = Form(""), password: str = Form(""),
                  sess: LoginSession = admin_post) -> Response:
        try:
            u = store.add(name.strip(), role, password)
        except ConsoleError as e:
            return back("/console/users", error=str(e))
        return back("/console/users", msg=f"User {u.name} ({u.role}) added.")

    @r.post("/console/users/{name}/active", include_in_schema=False)
    def users_active(name: str, active: str = Form(""), sess: LoginSession = admin_post) -> Response:
        if name == sess.user.name:
            return back("/console/users", error="you cannot disable yourself")
        try:
            store.set_active(name, active == "1")
        except ConsoleError as e:
            return back("/console/users", error=str(e))
        return back("/console/users", msg=f"User {name} {'enabled' if active == '1' else 'disabled'}.")

    # -- the embeddable chat widget -------------------------------------------------------------

    @r.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        body = (HERE / "static" / "widget.js").read_text(encoding="utf-8")
        return PlainTextResponse(body, media_type="application/javascript; charset=utf-8",
                                 headers={"Cache-Control": "public, max-age=300",
                                          "Access-Control-Allow-Origin": "*"})

    @r.get("/widget", include_in_schema=False)
    def widget_frame(request: Request) -> Response:
        html = pages.get_template("widget.html").render(title=request.query_params.get("title", "")[:80]
                                                        or "Support chat")
        return HTMLResponse(html)

    return r
