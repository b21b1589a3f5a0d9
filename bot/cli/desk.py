"""Desk commands of the ``aftercare`` CLI: ticket lifecycle, agents, alerts, jobs, problems,
knowledge-base review and the report. Registered into the parser by :func:`add_desk_commands`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Aftercare
from bot.cli.base import acting_agent, open_app, print_rows
from bot.cli.kb import review_parser
from handoff.errors import HandoffError
from handoff.views import TicketView

AGENT_HELP = "who does it (default: $AFTERCARE_AGENT, else $USER; an active agent when the desk has agents)"


def _when(t: datetime | None) -> str:
    return "-" if t is None else f"{t:%Y-%m-%d %H:%M}"


def print_desk_details(ac: Aftercare, t: TicketView) -> None:
    """SLA due times, links and the event history of a ticket (``tickets show``)."""
    sla = ac.handoff.sla(t.id)
    fr = "met" if sla.first_response_met else ("missed" if sla.first_response_met is False else "open")
    rs = "met" if sla.resolution_met else ("missed" if sla.resolution_met is False else "open")
    paused = (
        f"  (paused while waiting on the customer, {sla.paused_seconds / 60:.0f} business min so far)"
        if sla.paused
        else ""
    )
    print(
        f"team {t.team or '-'}  product {t.product or '-'}"
        + (f"  problem PRB-{t.problem_id:04d}" if t.problem_id else "")
        + (f"  merged into #{t.merged_into_id}" if t.merged_into_id else "")
    )
    print(
        f"SLA first response due {_when(sla.first_response_due)} UTC "
        f"({fr}; answered {_when(t.first_response_at)})"
    )
    print(f"SLA resolution due     {_when(sla.resolution_due)} UTC ({rs}){paused}")
    print("history:")
    for e in ac.handoff.events(t.id):
        data = ", ".join(f"{k}={v}" for k, v in e.data.items() if v not in (None, "", [], {}))
        print(f"  [{e.at:%Y-%m-%d %H:%M}] {e.actor}: {e.kind}" + (f" ({data})" if data else ""))


def _show(t: TicketView, what: str) -> int:
    print(f"{t.public_id} {what}: status {t.status}, priority {t.priority}, assignee {t.assignee or '-'}")
    return 0


def cmd_claim(args: argparse.Namespace) -> int:
    ac = open_app(args)
    r = ac.handoff.claim(args.ticket, acting_agent(ac, args.agent))
    print(f"{args.ticket} claimed by {r.owner}" if r.won else f"{args.ticket} is already held by {r.owner}")
    return 0 if r.won else 1


def cmd_assign(args: argparse.Namespace) -> int:
    from bot.console.users import active_agents

    ac = open_app(args)
    actor = acting_agent(ac, args.agent)
    roster = active_agents(ac.sessions, [a.name for a in ac.handoff.agents()])
    return _show(ac.handoff.assign(args.ticket, args.to, actor=actor, roster=roster), f"assigned to {args.to}")


def cmd_priority(args: argparse.Namespace) -> int:
    ac = open_app(args)
    t = ac.handoff.set_priority(args.ticket, args.priority, actor=acting_agent(ac, args.agent),
                                reason=args.reason or "")
    return _show(t, f"priority set; resolution due {_when(t.resolution_due)} UTC")


def cmd_wait(args: argparse.Namespace) -> int:
    ac = open_app(args)
    return _show(ac.handoff.wait(args.ticket, acting_agent(ac, args.agent)), "waits on the customer (SLA clock paused)")


def cmd_reopen(args: argparse.Namespace) -> int:
    ac = open_app(args)
    return _show(ac.handoff.reopen(args.ticket, acting_agent(ac, args.agent), reason=args.reason or ""), "reopened")


def cmd_merge(args: argparse.Namespace) -> int:
    from handoff.errors import MergeNeedsConfirmation

    ac = open_app(args)
    h, agent = ac.handoff, acting_agent(ac, args.agent)
    try:
        t = h.merge(args.ticket, args.into, agent, confirm=args.yes)
    except MergeNeedsConfirmation as e:
        if not sys.stdin.isatty():
            raise MergeNeedsConfirmation(f"{e} (pass --yes to confirm)") from e
        if input(f"{e} [y/N] ").strip().lower() not in ("y", "yes"):
            print("not merged")
            return 1
        t = h.merge(args.ticket, args.into, agent, confirm=True)
    print(f"{h.get(args.ticket).public_id} merged into {t.public_id} and closed ({t.public_id} is {t.status})")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    ac = open_app(args)
    return _show(ac.handoff.close(args.ticket, acting_agent(ac, args.agent), reason=args.reason or ""), "closed")


def cmd_agents_list(args: argparse.Namespace) -> int:
    print_rows(open_app(args).handoff.agents(),
               lambda a: f"{a.name:20} {'available' if a.available else 'away':9} teams: {', '.join(a.teams) or 'any'}",
               empty="no agents")
    return 0


def cmd_agents_set(args: argparse.Namespace) -> int:
    teams = [x.strip() for x in args.teams.split(",") if x.strip()] if args.teams is not None else None
    h = open_app(args).handoff
    a = h.set_agent(args.name, available=args.available, teams=teams)
    print(f"{a.name}: {'available' if a.available else 'away'}, teams {', '.join(a.teams) or 'any'}")
    if a.available:
        mine = sorted(h.list(assignee=a.name), key=lambda t: t.created_at)
        if mine:
            print(f"open tickets of {a.name}, oldest first: " + ", ".join(t.public_id for t in mine))
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    print_rows(open_app(args).handoff.alerts(args.after, limit=args.limit),
               lambda a: f"#{a.id} [{a.created_at:%Y-%m-%d %H:%M}] {a.severity:8} {a.kind:12} {a.team or '-':10} "
                         f"{a.text}")
    return 0


def cmd_jobs_run_once(args: argparse.Namespace) -> int:
    from bot.jobs import prune_expired
    from handoff.jobs import run_due

    ac = open_app(args)
    r = run_due(ac.handoff)
    print(f"SLA warnings {r.warnings}, breaches {r.breaches}; closed {r.closed} quiet resolved tickets; "
          f"assigned {r.assigned} waiting tickets; {r.unassigned} unassigned-ticket alerts")
    print(f"{prune_expired(ac)} (older than {ac.config.jobs.retention_days:g} days)")
    return 0


def cmd_problems_list(args: argparse.Namespace) -> int:
    print_rows(open_app(args).handoff.problems(status=None if args.status == "all" else args.status),
               lambda p: f"{p.public_id}  {p.status:8} {len(p.tickets):3} tickets ({p.open_tickets} open)"
                         f"{'  INCIDENT' if p.incident else ''}  {p.title[:60]}",
               empty="no problems")
    return 0


def cmd_problems_show(args: argparse.Namespace) -> int:
    ac = open_app(args)
    p = ac.handoff.problem(args.problem)
    print(
        f"{p.public_id}  {p.status}  label {p.label}  "
        f"first seen {_when(p.created_at)}  last {_when(p.last_seen_at)}"
        + ("  incident alert raised" if p.incident else "")
    )
    print(f"title: {p.title}")
    if p.resolution:
        print(f"resolution: {p.resolution}")
    for ref in p.tickets:
        t = ac.handoff.get(ref)
        print(f"  {t.public_id}  {t.status:9} {t.channel}:{t.customer_ref}  {t.subject[:60]}")
    return 0


def cmd_problems_resolve(args: argparse.Namespace) -> int:
    from bot.workflows import resolve_problem

    ac = open_app(args)
    done = resolve_problem(ac, args.problem, acting_agent(ac, args.agent), args.resolution)
    print(
        f"{args.problem.upper()} resolved; {len(done)} tickets resolved and their customers notified: "
        + ", ".join(t.public_id for t in done)
    )
    return 0


def cmd_kb_review(args: argparse.Namespace) -> int:
    ac = open_app(args)
    if args.action == "list":
        from bot.draft_review import draft_warnings
        from bot.proposals import phrasing_note

        print_rows(ac.kb.list(state="draft"),
                   lambda c: f"{c.id:32} from {c.source_ref or c.source:12} {(c.questions or [''])[0][:50]}\n"
                             f"{'':32} answer: {c.answer[:70]}"
                             + (f"\n{'':32} {phrasing_note(ac, c)}" if not c.questions else "")
                             + "".join(f"\n{'':32} ! {w}" for w in draft_warnings(ac, c)),
                   empty="no drafts to review")
        return 0
    if not args.case_id:
        raise HandoffError(f"kb review {args.action} needs a case id")
    if args.action == "approve":
        from bot.proposals import approve_draft

        # KBError names the colliding phrasings, and those the draft does not have
        c = approve_draft(ac, args.case_id, keep=args.question or None, answer=args.answer, confirm=args.confirm)
        print(f"case {c.id} approved and published: answered from now on")
    elif args.action == "reject":
        c = ac.kb.update_case(args.case_id, state="rejected")
        print(f"case {c.id} rejected")
    else:
        if not args.answer and not args.question:
            raise HandoffError("kb review edit needs --answer and/or --question")
        c = ac.kb.update_case(args.case_id, answer=args.answer, questions=args.question or None)
        if c.state == "draft":
            print(f"case {c.id} edited (draft); approve it with: aftercare kb review approve {c.id}")
        elif c.state == "published":
            print(f"case {c.id} edited (published): the bot answers with it as edited from now on")
        else:
            print(f"case {c.id} edited ({c.state}); publish it again with: aftercare kb publish {c.id}")
    return 0


_SPAN = re.compile(r"^(\d+)\s*([hdw])$")


def parse_since(text: str, now: datetime) -> datetime:
    """'30d', '12h', '2w' before ``now``, or an ISO date."""
    m = _SPAN.match(text.strip().lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        unit_name = {"h": "hours", "d": "days", "w": "weeks"}[unit]
        try:
            return now - timedelta(**{unit_name: n})
        except OverflowError as e:
            raise HandoffError(f"--since: {text.strip()} reaches back before the year 1") from e
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise HandoffError(f"--since: expected e.g. 30d, 12h, 2w or a date, got {text!r}") from e
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def cmd_report(args: argparse.Namespace) -> int:
    from bot.feedback import answer_verdicts
    from handoff.report_html import render_html
    from handoff.reports import build_report

    ac = open_app(args)
    until = ac.clock()
    since = parse_since(args.since, until)
    report = build_report(ac.sessions, since=since, until=until, feedback=answer_verdicts(ac.sessions, since),
                          calendar=ac.handoff.desk.sla.calendar)
    if args.format == "json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str)
    else:
        text = render_html(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"report written to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def add_desk_commands(sub: Any, tickets: Any, kb: Any) -> None:
    """Register the desk commands on the top-level, ``tickets`` and ``kb`` sub-parsers."""

    def ticket_cmd(name: str, fn: Any, help: str) -> argparse.ArgumentParser:
        k: argparse.ArgumentParser = tickets.add_parser(name, help=help)
        k.add_argument("ticket")
        k.add_argument("--agent", help=AGENT_HELP)
        k.set_defaults(func=fn)
        return k

    k = tickets.add_parser("claim", help="take an open ticket (of two agents at once, one wins)")
    k.add_argument("ticket")
    k.add_argument("--agent", help=AGENT_HELP)
    k.set_defaults(func=cmd_claim)
    ticket_cmd("assign", cmd_assign, "(re)assign to an agent").add_argument("to")
    ticket_cmd("priority", cmd_priority, "change the priority; SLA due times follow").add_argument(
        "priority", type=str.lower, choices=["low", "normal", "high", "urgent"]
    )
    tickets.choices["priority"].add_argument("--reason")
    ticket_cmd("wait", cmd_wait, "waiting on the customer: the SLA clock pauses until they reply")
    ticket_cmd("reopen", cmd_reopen, "reopen a resolved or closed ticket").add_argument("--reason")
    k = ticket_cmd("merge", cmd_merge, "merge this duplicate into another ticket (a resolved one reopens)")
    k.add_argument("into")
    k.add_argument("--yes", action="store_true", help="confirm merging tickets of two different customers")
    ticket_cmd("close", cmd_close, "close a ticket").add_argument("--reason")

    ag = sub.add_parser("agents", help="agents and their availability").add_subparsers(
        dest="ag_cmd", required=True
    )
    ag.add_parser("list").set_defaults(func=cmd_agents_list)
    k = ag.add_parser("set", help="add or change an agent")
    k.add_argument("name")
    g = k.add_mutually_exclusive_group()
    g.add_argument("--available", dest="available", action="store_true", default=None)
    g.add_argument("--away", dest="available", action="store_false")
    k.add_argument("--teams", help="comma-separated teams (empty: any)")
    k.set_defaults(func=cmd_agents_set)

    k = sub.add_parser("alerts", help="SLA warnings and breaches, critical tickets, incidents")
    k.add_argument("--after", type=int, default=0, help="only alerts with a higher id")
    k.add_argument("--limit", type=int, default=200)
    k.set_defaults(func=cmd_alerts)

    j = sub.add_parser("jobs", help="periodic jobs").add_subparsers(dest="jobs_cmd", required=True)
    j.add_parser("run-once", help="SLA checks and auto-close, once (for cron)").set_defaults(
        func=cmd_jobs_run_once
    )

    pr = sub.add_parser("problems", help="recurring faults").add_subparsers(dest="pr_cmd", required=True)
    k = pr.add_parser("list")
    k.add_argument("--status", default="open", help="open (default), resolved, all")
    k.set_defaults(func=cmd_problems_list)
    k = pr.add_parser("show")
    k.add_argument("problem")
    k.set_defaults(func=cmd_problems_show)
    k = pr.add_parser("resolve", help="resolve the problem and every linked ticket; customers are notified")
    k.add_argument("problem")
    k.add_argument("resolution")
    k.add_argument("--agent", help=AGENT_HELP)
    k.set_defaults(func=cmd_problems_resolve)

    review_parser(kb, cmd_kb_review)

    k = sub.add_parser("report", help="desk report: volume, problems, times, SLA, CSAT, deflection")
    k.add_argument("--since", default="30d", help="30d, 12h, 2w or a date (default 30d)")
    k.add_argument("--format", default="html", type=str.lower, choices=["html", "json"])
    k.add_argument("-o", "--output", help="write to this file instead of stdout")
    k.set_defaults(func=cmd_report)
