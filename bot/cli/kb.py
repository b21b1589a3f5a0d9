"""``aftercare kb``: import, add, list, show, search, export, propose and publish solved cases. (Review,
lint and unanswered are added by :mod:`bot.cli.desk` and :mod:`bot.cli.quality`.)"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.cli.base import open_app, print_rows
from bot.workflows import propose_draft
from classifier.language import language_name
from kb.errors import ImportWouldChange
from kb.importer import parse_file, write_csv, write_jsonl
from kb.service import ImportReport


def _print_import(report: ImportReport, file: str) -> None:
    """What an import did (or would do): counts, then each new and changed case."""
    verb = "would import" if report.dry_run else "imported"
    print(f"{verb} {file}: {report.created} new cases, {report.updated} updated, "
          f"{report.phrasings_added} phrasings added")
    for cid in report.new_cases:
        print(f"  new      {cid}")
    for ch in report.changes:
        print(f"  changed  {ch.case_id} ({', '.join(ch.fields)})")
        if "answer" in ch.fields:
            print(f"    old answer: {ch.old_answer}")
            print(f"    new answer: {ch.new_answer}")
        for code in ch.outdated:
            print(f"    outdated: the answer in {language_name(code)} ({code}) "
                  f"{'would not be' if report.dry_run else 'is not'} updated (no answer_{code} in the file); "
                  f"{language_name(code)} customers get the new answer, introduced in {language_name(code)}, "
                  f"until answer_{code} is imported or written on the case's page")


def cmd_kb_import(args: argparse.Namespace) -> int:
    rows = parse_file(args.file)  # raises before anything is written
    ac = open_app(args)
    try:
        report = ac.kb.import_rows(rows, progress=not args.quiet and sys.stderr.isatty(), update=args.update,
                                   dry_run=args.dry_run)
    except ImportWouldChange as e:
        _print_import(e.report, args.file)
        print(f"aftercare: {e}", file=sys.stderr)
        return 1
    if not report.dry_run:
        ac.kb.index()
    _print_import(report, args.file)
    return 0


def cmd_kb_add(args: argparse.Namespace) -> int:
    ac = open_app(args)
    tags = [t.strip() for t in (args.tags or "").split(",") if t.strip()]
    if not args.draft:
        from bot.proposals import check_publishable

        check_publishable(ac, args.case_id, args.question, fix="Change them, or add it with --draft.")
    c = ac.kb.add_case(args.case_id, args.question, args.answer, tags=tags, product=args.product or "",
                       state="draft" if args.draft else "published")
    print(f"added case {c.id} ({c.state}, {len(c.questions)} phrasings)")
    return 0


def cmd_kb_list(args: argparse.Namespace) -> int:
    ac = open_app(args)
    print_rows(ac.kb.list(state=args.state, query=args.query),
               lambda c: f"{c.id:32} {c.state:9} {len(c.questions):3} phrasings  {(c.questions or [''])[0][:60]}")
    return 0


def cmd_kb_show(args: argparse.Namespace) -> int:
    ac = open_app(args)
    c = ac.kb.get(args.case_id)
    print(f"case {c.id}  state={c.state}  source={c.source}{'/' + c.source_ref if c.source_ref else ''}  "
          f"revision={c.revision}")
    if c.tags:
        print("tags: " + ", ".join(c.tags))
    if c.product:
        print("product: " + c.product)
    print("phrasings:")
    for q in c.questions:
        print(f"  - {q}")
    print("answer:")
    print("  " + c.answer.replace("\n", "\n  "))
    return 0


def cmd_kb_search(args: argparse.Namespace) -> int:
    ac = open_app(args)
    hits = ac.stack_for(args.text).kb.search(args.text, args.k)  # Korean with the encoder Korean routes to
    if args.json:
        print(json.dumps([{"case_id": h.case_id, "score": round(h.score, 4), "phrasing": h.phrasing} for h in hits]))
        return 0
    print_rows(hits, lambda h: f"{h.score:.3f}  {h.case_id:32} {h.phrasing[:70]}", empty="no published cases")
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    ac = open_app(args)
    rows = ac.kb.export_rows(state=None if args.state == "all" else args.state)
    fmt = args.format or ("jsonl" if args.output and args.output.endswith(".jsonl") else "csv")
    write = write_jsonl if fmt == "jsonl" else write_csv
    if args.output:
        with open(args.output, "w", newline="", encoding="utf-8") as fh:
            write(rows, fh)
    else:
        write(rows, sys.stdout)
    return 0


def cmd_kb_propose(args: argparse.Namespace) -> int:
    ac = open_app(args)
    c = propose_draft(ac, args.from_ticket)
    print(f"draft case {c.id} proposed from ticket {c.source_ref}; review it with: aftercare kb show {c.id}")
    return 0


def cmd_kb_publish(args: argparse.Namespace) -> int:
    ac = open_app(args)
    if args.state == "published" and ac.kb.get(args.case_id).state != "published":
        from bot.draft_review import check_approvable
        from bot.proposals import check_publishable

        current = ac.kb.get(args.case_id)
        if current.state == "draft":  # publishing a draft is approving it: no "[phone]" left, its ticket not reopened
            check_approvable(ac, current, current.answer)
        check_publishable(ac, args.case_id, ac.kb.get(args.case_id).questions,
                          fix=f"Edit them first (aftercare kb review edit {args.case_id} -q ...).")
    c = ac.kb.update_case(args.case_id, state=args.state)
    print(f"case {c.id} is now {c.state}")
    return 0


def add_kb_commands(sub: Any) -> Any:
    """``kb import|add|list|show|search|export|propose|publish``; returns the ``kb`` subparsers (others add to it)."""
    kb = sub.add_parser("kb", help="knowledge base of solved cases").add_subparsers(dest="kb_command", required=True)
    k = kb.add_parser("import", help="import cases from CSV or JSONL (case_id,question,answer[,tags])")
    k.add_argument("file")
    k.add_argument("-q", "--quiet", action="store_true")
    k.add_argument("--update", action="store_true",
                   help="change the answers, tags and products of existing cases (listed, old and new)")
    k.add_argument("--dry-run", action="store_true", help="list what would change and write nothing")
    k.set_defaults(func=cmd_kb_import)
    k = kb.add_parser("add", help="add one case")
    k.add_argument("case_id")
    k.add_argument("--question", "-q", action="append", required=True, help="a customer phrasing (repeatable)")
    k.add_argument("--answer", "-a", required=True)
    k.add_argument("--tags", help="comma-separated")
    k.add_argument("--product")
    k.add_argument("--draft", action="store_true", help="add as a draft, not answered from until published")
    k.set_defaults(func=cmd_kb_add)
    k = kb.add_parser("list", help="list cases")
    k.add_argument("--state", type=str.lower, choices=["draft", "published", "retired", "rejected"])
    k.add_argument("--query")
    k.set_defaults(func=cmd_kb_list)
    k = kb.add_parser("show", help="show one case")
    k.add_argument("case_id")
    k.set_defaults(func=cmd_kb_show)
    k = kb.add_parser("search", help="nearest cases to a text, with scores")
    k.add_argument("text")
    k.add_argument("-k", type=int, default=5)
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=cmd_kb_search)
    k = kb.add_parser("export", help="export cases as CSV or JSONL")
    k.add_argument("-o", "--output")
    k.add_argument("--format", type=str.lower, choices=["csv", "jsonl"])
    k.add_argument("--state", default="published", type=str.lower,
                   choices=["draft", "published", "retired", "rejected", "all"])
    k.set_defaults(func=cmd_kb_export)
    k = kb.add_parser("propose", help="draft a solved case from a resolved ticket")
    k.add_argument("--from-ticket", required=True)
    k.set_defaults(func=cmd_kb_propose)
    k = kb.add_parser("publish", help="publish a draft (or set another state)")
    k.add_argument("case_id")
    k.add_argument("--state", default="published", type=str.lower,
                   choices=["draft", "published", "retired", "rejected"])
    k.set_defaults(func=cmd_kb_publish)
    return kb


# ``aftercare kb review --help``: what each action does (the parser is registered with the desk commands)
REVIEW_ACTIONS = """actions:
  list                  the draft cases waiting for review, proposed from resolved tickets (the default)
  approve ID [-q Q ...] publish draft ID: customers are answered from it at once; -q keeps only those
                        phrasings, -a replaces the answer first; refused while the answer holds a
                        placeholder such as [phone], or, without --confirm, while its ticket is reopened
  edit ID -a A / -q Q   change the answer (-a) or replace the phrasings (-q, repeatable) of a case; a draft
                        stays a draft until approved
  reject ID             reject draft ID: it is never published (kept, marked rejected)
"""


def review_parser(kb: Any, func: Any) -> None:
    """Register ``kb review [list|approve|edit|reject] [ID]`` on the ``kb`` sub-parsers, run by ``func``."""
    k = kb.add_parser("review", help="review draft cases: list, approve ID, edit ID --answer ..., reject ID",
                      description="Review the draft cases proposed from resolved tickets.", epilog=REVIEW_ACTIONS,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("action", nargs="?", default="list", choices=["list", "approve", "edit", "reject"],
                   help="what to do (list by default; see the actions below)")
    k.add_argument("case_id", nargs="?", help="the case to approve, edit or reject")
    k.add_argument("--answer", "-a", help="the case's new answer (edit, approve)")
    k.add_argument("--question", "-q", action="append",
                   help="replace the phrasings (repeatable); with approve: the phrasings to keep")
    k.add_argument("--confirm", action="store_true",
                   help="approve even though the draft's ticket was reopened (its fix may not have worked)")
    k.set_defaults(func=func, late_positionals=("case_id",))
