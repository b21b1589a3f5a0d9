"""The ``aftercare`` command line: run, chat, db, kb, classifier, eval, tickets."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.base import EXIT_DATABASE, EXIT_USAGE, open_app
from bot.config import ConfigError, load_config

if TYPE_CHECKING:
    from kb.service import ImportReport



def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.adapters.web import create_web_app
    from bot.http import build_services, check_workers

    ac = open_app(args)
    workers = args.workers
    if workers < 1:
        raise SystemExit("error: --workers must be at least 1")
    if workers > 1:
        check_workers(ac.config)  # raises ConfigError for a setup that one process must own
    if args.demo:
        n = ac.load_demo_if_empty()
        if n:
            print(f"Loaded the demo knowledge base ({n} solved cases).", file=sys.stderr)
    print("Loading the embedding model and the index…", file=sys.stderr)
    ac.warm()  # builds and saves the index and the classifier once, so that workers load them
    cfg = ac.config.web
    host, port = args.host or cfg.host, args.port or cfg.port
    level = ac.config.app.log_level.lower()
    print(f"Aftercare is up: web chat at http://{host}:{port}/  (terminal chat: aftercare chat)"
          + (f"; {workers} workers" if workers > 1 else ""), file=sys.stderr)
    if workers > 1:
        import tempfile

        ac.close()
        if args.config:
            os.environ["AFTERCARE_CONFIG"] = str(Path(args.config).resolve())
        os.environ["AFTERCARE_DATA_DIR"] = str(ac.data_dir.resolve())
        with tempfile.TemporaryDirectory(prefix="aftercare-metrics-") as metrics_dir:
            # counters of every worker add up at /metrics, whichever worker answers the scrape
            os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
            uvicorn.run("bot.http:create_app", factory=True, workers=workers, host=host, port=port,
                        log_level=level, proxy_headers=False)
        return 0
    app = create_web_app(ac, services=build_services(ac))
    # X-Forwarded-For only from web.trusted_proxies (the app applies it), never by uvicorn's default
    uvicorn.run(app, host=host, port=port, log_level=level, proxy_headers=False)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.adapters.terminal import run_terminal

    ac = open_app(args)
    if args.demo:
        ac.load_demo_if_empty()
    ac.warm()
    return run_terminal(ac, customer=args.customer or getpass.getuser())


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    open_app(args)
    print("database is at the latest schema")
    return 0


def _print_import(report: ImportReport, file: str) -> None:
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


def cmd_kb_import(args: argparse.Namespace) -> int:
    from kb.errors import ImportWouldChange
    from kb.importer import parse_file

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
    c = ac.kb.add_case(args.case_id, args.question, args.answer, tags=tags, product=args.product or "",
                       state="draft" if args.draft else "published")
    print(f"added case {c.id} ({c.state}, {len(c.questions)} phrasings)")
    return 0


def cmd_kb_list(args: argparse.Namespace) -> int:
    ac = open_app(args)
    for c in ac.kb.list(state=args.state, query=args.query):
        first = c.questions[0] if c.questions else ""
        print(f"{c.id:32} {c.state:9} {len(c.questions):3} phrasings  {first[:60]}")
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
    hits = ac.kb.search(args.text, args.k)
    if args.json:
        print(json.dumps([{"case_id": h.case_id, "score": round(h.score, 4), "phrasing": h.phrasing} for h in hits]))
        return 0
    if not hits:
        print("no published cases")
    for h in hits:
        print(f"{h.score:.3f}  {h.case_id:32} {h.phrasing[:70]}")
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    from kb.importer import write_csv, write_jsonl

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
    from bot.proposals import propose_from_ticket

    ac = open_app(args)
    c = propose_from_ticket(ac, args.from_ticket)
    print(f"draft case {c.id} proposed from ticket {c.source_ref}; review it with: aftercare kb show {c.id}")
    return 0


def cmd_kb_publish(args: argparse.Namespace) -> int:
    ac = open_app(args)
    c = ac.kb.update_case(args.case_id, state=args.state)
    print(f"case {c.id} is now {c.state}")
    return 0


def cmd_classifier_train(args: argparse.Namespace) -> int:
    ac = open_app(args, migrate=False)
    model = ac.train_classifier(Path(args.file), progress=sys.stderr.isatty())
    counts = {c: model.labels.count(c) for c in model.classes}
    print(f"trained on {len(model.texts)} examples: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluate import TIMED_SAMPLE, EvalFileError, read_test_file, run_eval, write_predictions

    rows = read_test_file(Path(args.file))
    ac = open_app(args)
    if args.latency_sample is not None and args.latency_sample < 0:
        raise EvalFileError("--latency-sample must be 0 or more")
    summary, preds = run_eval(ac, rows, timed=TIMED_SAMPLE if args.latency_sample is None else args.latency_sample)
    if args.predictions:
        write_predictions(preds, Path(args.predictions))
    if args.html:
        from bot.eval_report import write_report

        write_report(summary, Path(args.html), source=Path(args.file).name)
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            if not isinstance(v, dict | list):
                print(f"{k:20} {v}")
        print(f"{'ece':20} {summary['calibration']['ece']}")
        r = summary["retrieval"]
        print(f"{'retrieval':20} at_1 {r['at_1']}  at_3 {r['at_3']}  mrr {r['mrr']}  (n {r['n']})")
    return 0


def _fmt_ticket(t) -> str:  # type: ignore[no-untyped-def]
    return (f"{t.public_id}  {t.status:9} {t.priority:7} {t.label:10} {t.impact:6} {t.channel}:{t.customer_ref}  "
            f"{t.subject[:50]}")


def cmd_tickets_list(args: argparse.Namespace) -> int:
    ac = open_app(args)
    tickets = ac.handoff.list(status=None if args.status == "all" else args.status, team=args.team,
                              assignee=args.assignee)
    for t in tickets:
        print(_fmt_ticket(t))
    if not tickets:
        print("no tickets")
    return 0


def cmd_tickets_show(args: argparse.Namespace) -> int:
    ac = open_app(args)
    t = ac.handoff.get(args.ticket)
    print(_fmt_ticket(t))
    print(f"confidence {t.confidence:.2f}; reason: {t.reason}; assignee: {t.assignee or '-'}")
    if t.resolution:
        print(f"resolution: {t.resolution}")
    for m in ac.handoff.transcript(t.id):
        who = m.author + (f" {m.author_name}" if m.author_name else "")
        print(f"  [{m.created_at:%Y-%m-%d %H:%M}] {who}: {m.text}")
    from bot.cli.desk import print_desk_details

    print_desk_details(ac, t)  # SLA due times and the event history
    return 0


def cmd_tickets_reply(args: argparse.Namespace) -> int:
    ac = open_app(args)
    if args.note:
        ac.handoff.note(args.ticket, args.agent, args.text)
        print("internal note added")
    else:
        ac.handoff.reply(args.ticket, args.agent, args.text)
        print("reply sent to the customer")
    return 0


def cmd_tickets_resolve(args: argparse.Namespace) -> int:
    from bot.workflows import resolve_ticket

    ac = open_app(args)
    t, case = resolve_ticket(ac, args.ticket, args.agent, args.resolution)
    if case is not None:
        print(f"{t.public_id} resolved; draft case {case.id} proposed: review it with: aftercare kb review")
    else:
        print(f"{t.public_id} resolved")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aftercare", description="After-sales support bot.")
    p.add_argument("--config", help="config file (default: $AFTERCARE_CONFIG or ./config.yaml)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="serve the web chat and the API (and configured channels)")
    r.add_argument("--demo", action="store_true", help="load the demo knowledge base when the KB is empty")
    r.add_argument("--host")
    r.add_argument("--port", type=int)
    r.add_argument("--workers", type=int, default=1,
                   help="worker processes sharing the port (each loads the encoder and the index; default 1)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("chat", help="chat with the bot in this terminal")
    c.add_argument("--customer", help="customer id (default: your user name)")
    c.add_argument("--demo", action="store_true", help="load the demo knowledge base when the KB is empty")
    c.set_defaults(func=cmd_chat)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

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
    k.add_argument("--state", choices=["draft", "published", "retired", "rejected"])
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
    k.add_argument("--format", choices=["csv", "jsonl"])
    k.add_argument("--state", default="published", choices=["draft", "published", "retired", "rejected", "all"])
    k.set_defaults(func=cmd_kb_export)
    k = kb.add_parser("propose", help="draft a solved case from a resolved ticket")
    k.add_argument("--from-ticket", required=True)
    k.set_defaults(func=cmd_kb_propose)
    k = kb.add_parser("publish", help="publish a draft (or set another state)")
    k.add_argument("case_id")
    k.add_argument("--state", default="published", choices=["draft", "published", "retired", "rejected"])
    k.set_defaults(func=cmd_kb_publish)

    cl = sub.add_parser("classifier", help="message classifier").add_subparsers(dest="cl_command", required=True)
    k = cl.add_parser("train", help="train from a CSV of text,label")
    k.add_argument("file")
    k.set_defaults(func=cmd_classifier_train)

    e = sub.add_parser("eval", help="route a test file (text,expected) and score it; changes no state")
    e.add_argument("file")
    e.add_argument("--json", action="store_true")
    e.add_argument("--predictions", help="write text,expected,decision,top_case,options per message to this CSV "
                   "(decision: a case id, escalate or clarify; options: the offered case ids, |-separated)")
    e.add_argument("--latency-sample", type=int, default=None, metavar="N",
                   help="time N messages one at a time for p50_ms/p99_ms (default 200; all are scored, in batches)")
    e.add_argument("--html", help="write a self-contained HTML page (retrieval, sweep, reliability, confusion) "
                                  "to this file")
    e.set_defaults(func=cmd_eval)

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
    k.add_argument("text")
    k.add_argument("--agent", default=os.environ.get("USER", "agent"))
    k.add_argument("--note", action="store_true", help="internal note: never shown to the customer")
    k.set_defaults(func=cmd_tickets_reply)
    k = t.add_parser("resolve")
    k.add_argument("ticket")
    k.add_argument("resolution")
    k.add_argument("--agent", default=os.environ.get("USER", "agent"))
    k.set_defaults(func=cmd_tickets_resolve)
    from bot.cli.desk import add_desk_commands

    add_desk_commands(sub, t, kb)  # claim, assign, priority, wait, reopen, merge, close; problems, report...
    from bot.cli.quality import add_quality_commands

    add_quality_commands(sub, kb)  # kb lint, model tune

    from bot.cli.users import add_users_parser

    add_users_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from bot.errors import BotError, DatabaseUnavailable
    from classifier.errors import ClassifierError
    from handoff.errors import HandoffError
    from kb.errors import KBError

    args = build_parser().parse_args(argv)
    try:
        args.config_obj = load_config(args.config)
    except ConfigError as e:
        print(f"aftercare: configuration error: {e}", file=sys.stderr)
        return EXIT_USAGE
    level = logging.DEBUG if args.verbose else getattr(logging, args.config_obj.app.log_level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "sentence_transformers", "transformers", "faiss", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except DatabaseUnavailable as e:
        print(f"aftercare: {e}", file=sys.stderr)
        return EXIT_DATABASE
    except (BotError, KBError, ClassifierError, HandoffError) as e:
        print(f"aftercare: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
