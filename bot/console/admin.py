"""The reports page (the ``reports`` role) and the admins' users page (add a user, enable or disable one;
an admin cannot disable themself)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.console.errors import ConsoleError
from bot.console.kit import Kit, back, days_param
from bot.console.models import ROLES
from bot.console.reports import report_page
from bot.console.users import LoginSession


def admin_routes(kit: Kit) -> APIRouter:
    """``/console/reports`` and ``/console/users``; forms carry the session's CSRF token."""
    ac, store, page = kit.ac, kit.store, kit.page
    r = APIRouter()

    @r.get("/console/reports", include_in_schema=False)
    def reports(request: Request, sess: LoginSession = kit.reporter) -> Response:
        n = days_param(request)
        return page("reports.html", sess, request, title="Reports", report=report_page(ac, days=n), days=n)

    @r.get("/console/users", include_in_schema=False)
    def users(request: Request, sess: LoginSession = kit.admin) -> Response:
        return page("users.html", sess, request, title="Users", users=store.list(), roles=ROLES)

    @r.post("/console/users", include_in_schema=False)
    def users_add(name: str = Form(""), role: str = Form(""), password: str = Form(""),
                  sess: LoginSession = kit.admin_post) -> Response:
        try:
            u = store.add(name.strip(), role, password)
        except ConsoleError as e:
            return back("/console/users", error=str(e))
        return back("/console/users", msg=f"User {u.name} ({u.role}) added.")

    @r.post("/console/users/{name}/active", include_in_schema=False)
    def users_active(name: str, active: str = Form(""), sess: LoginSession = kit.admin_post) -> Response:
        if name == sess.user.name:
            return back("/console/users", error="you cannot disable yourself")
        try:
            store.set_active(name, active == "1")
        except ConsoleError as e:
            return back("/console/users", error=str(e))
        return back("/console/users", msg=f"User {name} {'enabled' if active == '1' else 'disabled'}.")

    return r
