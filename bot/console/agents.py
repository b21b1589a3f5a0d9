"""The agents' console pages: the queue (and its JSON for live refresh), problems, one ticket with its
transcript, and what an agent does to it (claim, reply, reply with a solved case, note, resolve,
reopen, priority, assign, wait, merge, propose a draft case). Replying with a case, resolving and
proposing go through :mod:`bot.workflows`, as from Slack and the CLI."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.console.errors import ConsoleError
from bot.console.kit import Kit, back, storable, unstorable_reason
from bot.console.users import LoginSession, active_agents
from bot.console.views import PRIORITIES, alert_row, event_row, filter_and_sort, message_row, ticket_row
from bot.errors import UnstorableValue
from bot.replies import customer_language
from bot.unanswered import suggested_cases
from bot.workflows import not_sent_reason, propose_draft, reply_with_case, resolve_problem, resolve_ticket
from handoff.errors import HandoffError, MergeNeedsConfirmation, TicketNotOpen
from handoff.views import SentReply
from kb.errors import KBError

QUEUE_KEYS = ("status", "priority", "label", "channel", "owner", "sort")


def _ticket_ref(text: str) -> str:
    """A ticket id from a query string, or '' (it is put back into a form)."""
    return text if re.fullmatch(r"[A-Z]{1,10}-\d{1,12}", text) else ""


def agent_routes(kit: Kit) -> APIRouter:
    """The routes above; every one needs the agent role, every form the session's CSRF token."""
    ac, cfg, page = kit.ac, kit.cfg, kit.page
    agent, agent_post = kit.agent, kit.agent_post
    r = APIRouter()

    # -- queue ----------------------------------------------------------------------------------

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

    @r.get("/console/api/queue")
    def queue_json(request: Request, sess: LoginSession = agent) -> JSONResponse:
        rows = queue_rows(request, sess)
        return JSONResponse({"tickets": rows, "now": ac.clock().isoformat()},
                            headers={"Cache-Control": "no-store"})

    # -- problems (recurring faults) ------------------------------------------------------------

    @r.get("/console/problems", include_in_schema=False)
    def problems(request: Request, sess: LoginSession = agent) -> Response:
        shown = request.query_params.get("status", "open")
        shown = shown if shown in ("open", "resolved", "all") else "open"
        rows = ac.handoff.problems(status=None if shown == "all" else shown, limit=200)
        return page("problems.html", sess, request, title="Problems", problems=rows, shown=shown)

    @r.post("/console/problems/{ref}/resolve", include_in_schema=False)
    def problem_resolve(ref: str, resolution: str = Form(""), sess: LoginSession = agent_post) -> Response:
        try:
            done = resolve_problem(ac, ref, sess.user.name, resolution)
        except HandoffError as e:
            return back("/console/problems", error=str(e) or e.__class__.__name__)
        return back("/console/problems", msg=f"{ref.upper()} resolved; {len(done)} tickets resolved and "
                    "their customers told.")

    # -- one ticket -----------------------------------------------------------------------------

    def problem_of(problem_id: int | None) -> Any:
        if problem_id is None:
            return None
        try:
            return ac.handoff.problem(problem_id)
        except HandoffError:  # gone since the ticket was linked
            return {"id": problem_id}

    def roster() -> list[str]:
        return active_agents(ac.sessions, [a.name for a in ac.handoff.agents()])

    @r.get("/console/tickets/{ref}", include_in_schema=False)
    def ticket_page(ref: str, request: Request, sess: LoginSession = agent) -> Response:
        return show_ticket(ref, request, sess)

    def show_ticket(ref: str, request: Request, sess: LoginSession, *, error: str = "",
                    typed: dict[str, str] | None = None, status: int = 200,
                    refused: dict[str, str] | None = None) -> Response:
        """The ticket page; with ``error`` and ``typed`` (form field -> the text the agent typed), the
        page of a refused form, its text put back in its box; ``refused``: a reply the ticket (no longer
        open) refused, offered again (the form's action, case id and key; the state; the ticket it was
        merged into, if it was)."""
        try:
            t = ac.handoff.get(ref)
        except HandoffError:
            return kit.not_found(sess, request, f"No ticket {ref}.")
        messages = [message_row(m) for m in ac.handoff.transcript(t.id)]
        events = [event_row(e) for e in ac.handoff.events(t.id)]
        rating = ac.handoff.rating(t.id)
        row = ticket_row(t)
        return page("ticket.html", sess, request, title=f"{t.public_id} · {t.subject[:60]}", t=t, row=row,
                    language_name=customer_language(t.language, [m["text"] for m in messages
                                                                 if m["author"] == "customer"]),
                    messages=messages, events=events, rating=rating,
                    suggestions=suggested_cases(ac, t.subject, [m["text"] for m in messages
                                                                 if m["author"] == "customer"],
                                                min_score=cfg.suggest_min_score, language=t.language or ""),
                    problem=problem_of(row["problem_id"]), drafts=ac.kb.list(source_ref=t.public_id, limit=100),
                    agents=roster(), confirm_merge=_ticket_ref(request.query_params.get("confirm_merge", "")),
                    last_id=max((m["id"] for m in messages), default=0), typed=typed or {},
                    status=status, refused=refused, **({"error": error} if error else {}))

    @r.get("/console/api/tickets/{ref}")
    def ticket_json(ref: str, after: int = 0, sess: LoginSession = agent) -> JSONResponse:
        try:
            t = ac.handoff.get(ref)
        except HandoffError:
            return JSONResponse({"error": f"no ticket {ref}"}, status_code=404)
        messages = [message_row(m) for m in ac.handoff.transcript(t.id) if m.id > after]
        return JSONResponse({"ticket": ticket_row(t), "messages": messages}, headers={"Cache-Control": "no-store"})

    def ticket_action(ref: str, fn: Callable[[], str], *, request: Request | None = None,
                      sess: LoginSession | None = None, field: str = "", text: str = "") -> Response:
        """Run an action on ``ref``; back to its page with what happened, or with the reason it was refused.
        A refused form with typed ``text`` (its ``field``: reply, note, resolution) is not redirected: the
        page is shown again (400) with the reason and the text in its box, so nothing typed is lost
        (text no database can store, with a NUL, is put back without the NULs, and the reason says so)."""
        url = f"/console/tickets/{quote(ref)}"
        try:
            return back(url, msg=fn())
        except (HandoffError, KBError, ConsoleError, UnstorableValue) as e:
            reason = str(e) or e.__class__.__name__
            if request is None or sess is None or not text.strip():
                return back(url, error=reason)
            if isinstance(e, UnstorableValue):
                reason = unstorable_reason(field, e)
            return show_ticket(ref, request, sess, error=reason, typed={field: storable(text)}, status=400)

    @r.post("/console/tickets/{ref}/claim", include_in_schema=False)
    def claim(ref: str, sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            res = ac.handoff.claim(ref, sess.user.name)
            if res.won:
                return "You have the ticket."
            raise ConsoleError(f"{res.owner} has this ticket already.")
        return ticket_action(ref, go)

    def send_reply(ref: str, request: Request, sess: LoginSession, send: Callable[[bool], SentReply], *,
                   text: str, form_key: str, reopen: str, case_id: str = "") -> Response:
        """Send a reply (``send(reopen)``); on a ticket no longer open, the refusal: the ticket page again
        (400) with why, the typed text in the reply box and the way to send it: Reopen and send (the
        same form, reopening first; the form's key keeps it sent once), or for a merged ticket, Send on
        the ticket it was merged into."""
        try:
            sent = send(reopen == "1")
        except TicketNotOpen as e:
            refused = {"action": "reply_case" if case_id else "reply", "case_id": case_id, "form_key": form_key,
                       "merged_into": e.merged_into, "status": e.status}
            return show_ticket(ref, request, sess, error=not_sent_reason(ac, e), typed={"reply": storable(text)},
                               status=400, refused=refused)
        except (HandoffError, KBError, UnstorableValue) as e:
            return ticket_action(ref, _raise(e), request=request, sess=sess, field="reply", text=text)
        said = "Reply sent to the customer." if not case_id else f"Case {case_id}'s answer sent to the customer."
        if sent.reopened_from == "resolved" and reopen != "1":
            said += f" {sent_ticket(ref)} was resolved; your reply reopened it."
        elif sent.reopened_from:
            said += f" {sent_ticket(ref)} was {sent.reopened_from} and is open again."
        return back(f"/console/tickets/{quote(ref)}", msg=said)

    def sent_ticket(ref: str) -> str:
        try:
            return ac.handoff.get(ref).public_id
        except HandoffError:
            return ref

    @r.post("/console/tickets/{ref}/reply", include_in_schema=False)
    def reply(ref: str, request: Request, text: str = Form(""), form_key: str = Form("", max_length=64),
              reopen: str = Form(""), sess: LoginSession = agent_post) -> Response:
        # form_key: one per rendered form, so a double-clicked Send (or Reopen and send) sends once
        return send_reply(ref, request, sess,
                          lambda again: ac.handoff.reply(ref, sess.user.name, text, key=_form_key(sess, form_key),
                                                         reopen=again),
                          text=text, form_key=form_key, reopen=reopen)

    @r.post("/console/tickets/{ref}/reply_case", include_in_schema=False)
    def reply_case(ref: str, request: Request, case_id: str = Form(""), text: str = Form(""),
                   form_key: str = Form("", max_length=64), reopen: str = Form(""),
                   sess: LoginSession = agent_post) -> Response:
        # form_key: a double-clicked "Send this answer" sends it once
        return send_reply(ref, request, sess,
                          lambda again: reply_with_case(ac, ref, sess.user.name, case_id.strip(), text,
                                                        key=_form_key(sess, form_key), reopen=again),
                          text=text, form_key=form_key, reopen=reopen, case_id=case_id.strip())

    @r.post("/console/tickets/{ref}/note", include_in_schema=False)
    def note(ref: str, request: Request, text: str = Form(""), form_key: str = Form("", max_length=64),
             sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            if not text.strip():
                raise ConsoleError("a note needs text")
            ac.handoff.note(ref, sess.user.name, text, key=_form_key(sess, form_key))
            return "Internal note added."
        return ticket_action(ref, go, request=request, sess=sess, field="note", text=text)

    @r.post("/console/tickets/{ref}/resolve", include_in_schema=False)
    def resolve(ref: str, request: Request, resolution: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            _, case = resolve_ticket(ac, ref, sess.user.name, resolution)
            extra = f" Draft case {case.id} is waiting for an editor's review." if case else ""
            return "Resolved; the customer has been told." + extra
        return ticket_action(ref, go, request=request, sess=sess, field="resolution", text=resolution)

    @r.post("/console/tickets/{ref}/reopen", include_in_schema=False)
    def reopen(ref: str, sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            ac.handoff.reopen(ref, sess.user.name)
            return "Reopened."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/priority", include_in_schema=False)
    def priority(ref: str, value: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            if value not in PRIORITIES:
                raise ConsoleError(f"priority must be one of {', '.join(PRIORITIES)}")
            ac.handoff.set_priority(ref, value, actor=sess.user.name)
            return f"Priority set to {value}."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/assign", include_in_schema=False)
    def assign(ref: str, to: str = Form(""), sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            if not to.strip():
                raise ConsoleError("assign to whom?")
            ac.handoff.assign(ref, to.strip(), actor=sess.user.name, roster=roster())
            return f"Assigned to {to.strip()}."
        return ticket_action(ref, go)

    @r.post("/console/tickets/{ref}/wait", include_in_schema=False)
    def wait(ref: str, sess: LoginSession = agent_post) -> Response:
        def go() -> str:
            ac.handoff.wait(ref, sess.user.name)
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
        def go() -> str:
            c = propose_draft(ac, ref)
            return f"Draft case {c.id} is waiting for an editor's review."
        return ticket_action(ref, go)

    return r


def _raise(e: Exception) -> Callable[[], str]:
    """An action that fails with ``e`` (a refusal handed to ``ticket_action`` to show)."""
    def fail() -> str:
        raise e
    return fail


def _form_key(sess: LoginSession, form_key: str) -> str:
    """The idempotency key of one submitted console form: its ``form_key`` (a random token the page put
    in it), scoped to the agent; empty when the form carried none."""
    return f"console:{sess.user.name}:{form_key}" if form_key.strip() else ""
