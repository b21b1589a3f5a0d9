"""``aftercare tickets list|show|reply|resolve``: the agents' basic ticket commands. (Claim, assign,
priority, wait, reopen, merge and close are added by :mod:`bot.cli.desk`.)"""

from __future__ import annotations

import argparse
import shlex
import sys
import textwrap
from typing import Any

from bot.cli.base import acting_agent, open_app, print_rows
from bot.cli.desk import print_desk_details
from bot.normalize import without_controls
from bot.replies import customer_language
from bot.workflows import after_marker, not_sent_reason, reply_with_case, resolve_ticket
from handoff.errors import HandoffError, TicketNotOpen
from handoff.views import TicketView


def _fmt_ticket(t: TicketView) -> str:
    return (f"{t.public_id}  {t.status:9} {t.priority:7} {t.label:10} {t.impact:6} {t.channel}:{t.customer_ref}  "
            f"{one_line(t.subject)[:50]}")


def one_line(text: str) -> str:
    """``text`` on one line (a customer's line breaks shown as " / "), without control characters."""
    return " / ".join(x.strip() for x in without_controls(text).split("\n") if x.strip())


def cmd_tickets_list(args: argparse.Namespace) -> int:
    ac = open_app(args)
    tickets = ac.handoff.list(status=None if args.status == "all" else args.status, team=args.team,
                              assignee=args.assignee)
    print_rows(tickets, _fmt_ticket, empty="no tickets")
    return 0


def cmd_tickets_show(args: argparse.Namespace) -> int:
    ac = open_app(args)
    t = ac.handoff.get(args.ticket)
    print(_fmt_ticket(t))
    print(f"confidence {t.confidence:.2f}; reason: {t.reason}; assignee: {t.assignee or '-'}")
    transcript = ac.handoff.transcript(t.id)
    print(f"language: {customer_language(t.language, [m.text for m in transcript if m.author == 'customer'])}")
    if t.resolution:
        print(f"resolution: {t.resolution}")
    for m in transcript:
        who = m.author + (f" {without_controls(m.author_name)}" if m.author_name else "")
        # a message's own lines indented under its head: a customer cannot type what looks like another entry
        text = without_controls(m.text).replace("\n", "\n" + " " * 8 + "| ")
        print(f"  [{m.created_at:%Y-%m-%d %H:%M}] {who}: {text}")
    print_desk_details(ac, t)  # SLA due times and the event history
    return 0


def cmd_tickets_reply(args: argparse.Namespace) -> int:
    """A reply (or ``--note``); ``--case ID`` (or text ``!case ID [words]``, the Slack thread's marker) sends
    that published case's answer, in the customer's language when the case has it, after the text if one is
    given. A ticket no longer open takes the reply
    as it would the customer's message (resolved within the reopen window: reopened and sent); otherwise
    nothing is sent: the reason and the unsent text are printed and the exit code is 1, unless ``--reopen``
    reopens it first (a merged ticket never reopens: the reason names the ticket to reply on)."""
    if args.case and args.note:
        raise HandoffError("a note cannot carry a solved case's answer: leave out --note or --case")
    if args.reopen and args.note:
        raise HandoffError("a note needs no open ticket: leave out --reopen")
    if not args.case and not (args.text or "").strip():
        raise HandoffError("a reply needs text or --case")
    ac = open_app(args)
    try:
        args.agent = acting_agent(ac, args.agent)
    except HandoffError as e:  # an unknown agent: nothing sent, the text kept for the agent to send again
        print(f"aftercare: {e}", file=sys.stderr)
        if (args.text or "").strip():
            print("your reply, not sent:", file=sys.stderr)
            print(textwrap.indent(args.text.strip(), "  "), file=sys.stderr)
        return 1
    marker = ac.config.slack.case_marker or "!case"  # "!case ID [words]" as in a Slack thread
    after = after_marker(args.text or "", marker)  # "!CASE ID" is "!case ID": commands ignore letter case
    if after is not None:
        case_ref, _, words = after.partition(" ")
        if args.note or args.case or not case_ref:
            raise HandoffError(f"{marker} <case id> [words] sends a solved case's answer: "
                               + ("a note cannot carry one" if args.note else "give --case or the marker, not both"
                                  if args.case else f"give the case id after {marker}") + "; nothing sent")
        args.case, args.text = case_ref.strip("`*_<>"), words.strip()
    if args.note:
        ac.handoff.note(args.ticket, args.agent, args.text)
        print("internal note added")
        return 0
    try:
        if args.case:
            sent = reply_with_case(ac, args.ticket, args.agent, args.case, args.text or "", reopen=args.reopen)
            print(f"reply with case {args.case} sent to the customer")
        else:
            sent = ac.handoff.reply(args.ticket, args.agent, args.text, reopen=args.reopen)
            print("reply sent to the customer")
    except TicketNotOpen as e:
        print(f"aftercare: {not_sent_reason(ac, e)}", file=sys.stderr)
        if (args.text or "").strip():
            print("your reply, not sent:", file=sys.stderr)
            print(textwrap.indent(args.text.strip(), "  "), file=sys.stderr)
        case = f" --case {args.case}" if args.case else ""
        typed = shlex.quote(args.text.strip()) if (args.text or "").strip() else "TEXT"
        how = (f"send it on {e.merged_into}: aftercare tickets reply {e.merged_into}{case} {typed}" if e.merged_into
               else f"reopen and send it: aftercare tickets reply {e.ticket} --reopen{case} {typed}")
        print(how, file=sys.stderr)
        return 1
    if sent.reopened_from:
        print(f"{ac.handoff.get(args.ticket).public_id} was {sent.reopened_from} and is open again")
    return 0


def cmd_tickets_resolve(args: argparse.Namespace) -> int:
    ac = open_app(args)
    t, case = resolve_ticket(ac, args.ticket, acting_agent(ac, args.agent), args.resolution)
    if case is not None and not case.questions:
        from bot.proposals import phrasing_note

        print(f"{t.public_id} resolved; draft case {case.id} proposed without a phrasing. {phrasing_note(ac, case)}")
    elif case is not None:
        print(f"{t.public_id} resolved; draft case {case.id} proposed: review it with: aftercare kb review")
    else:
        print(f"{t.public_id} resolved")
    return 0


def add_ticket_commands(sub: Any) -> Any:
    """``tickets list|show|reply|resolve``; returns the ``tickets`` subparsers (the desk adds to it)."""
    t = sub.add_parser("tickets", help="tickets, for agents").add_subparsers(dest="t_command", required=True)
    k = t.add_parser("list")
    k.add_argument("--status", default="open", help="open (default), all, new, assigned, waiting, resolved, closed")
    k.add_argument("--team", help="one team's queue")
    k.add_argument("--assignee", help="one agent's tickets")
    k.set_defaults(func=cmd_tickets_list)
    k = t.add_parser("show")
    k.add_argument("ticket")
    k.set_defaults(func=cmd_tickets_show)
    k = t.add_parser("reply")
    k.add_argument("ticket")
    k.add_argument("text", nargs="?", default="")
    k.add_argument("--agent", help="who does it (default: $AFTERCARE_AGENT, else $USER; an active agent when the "
                                    "desk has agents)")
    k.add_argument("--note", action="store_true", help="internal note: never shown to the customer")
    k.add_argument("--case", help="send this published solved case's answer (in the customer's language when "
                                  "it has one), after the text if given")
    k.add_argument("--reopen", action="store_true", help="a resolved or closed ticket: reopen it, then send the reply")
    k.set_defaults(func=cmd_tickets_reply, late_positionals=("text",))
    k = t.add_parser("resolve")
    k.add_argument("ticket")
    k.add_argument("resolution")
    k.add_argument("--agent", help="who does it (default: $AFTERCARE_AGENT, else $USER; an active agent when the "
                                    "desk has agents)")
    k.set_defaults(func=cmd_tickets_resolve)
    return t
