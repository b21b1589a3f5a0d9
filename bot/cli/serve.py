"""``aftercare run`` (the web chat, the API, the console and the configured channels), ``aftercare
chat`` (the terminal) and ``aftercare db upgrade``."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.base import open_app


def encoder_threads(configured: int, workers: int, cpus: int | None = None) -> int:
    """Encoder threads for each of ``workers`` processes: ``configured`` when set (> 0), else the
    process's CPUs (``os.sched_getaffinity``) shared out, at least one each. ``0`` (onnxruntime's
    default, one thread per core) for a single worker. Several workers each running one thread per core
    would oversubscribe the cores: their threads then preempt one another in the middle of every
    encoder call."""
    if configured > 0 or workers <= 1:
        return configured
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // workers)


def cmd_run(args: argparse.Namespace) -> int:
    """Serve until stopped: one process, or ``--workers`` processes sharing the port."""
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
    threads = encoder_threads(ac.config.embedding.threads, workers)
    print(f"Aftercare is up: web chat at http://{host}:{port}/  (terminal chat: aftercare chat)"
          + (f"; {workers} workers, {threads} encoder thread{'s' if threads != 1 else ''} each"
             if workers > 1 else ""), file=sys.stderr)
    if workers > 1:
        import tempfile

        ac.close()
        os.environ["AFTERCARE_EMBEDDING__THREADS"] = str(threads)  # the workers read their settings here
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


def chat_log_to_file(path: Path) -> None:
    """Send the process's log records (and Python warnings) to the file ``path`` instead of the terminal:
    in the terminal chat the customer's screen shows the conversation only. Raises OSError when the file
    cannot be opened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    logging.captureWarnings(True)


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.adapters.terminal import run_terminal

    if not args.verbose:  # log lines between "you>" and "bot>" are not for the customer
        chat_log_to_file(args.config_obj.data_dir / "logs" / "chat.log")
    ac = open_app(args)
    if args.demo:
        ac.load_demo_if_empty()
    ac.warm()
    return run_terminal(ac, customer=args.customer or getpass.getuser())


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    open_app(args)
    print("database is at the latest schema")
    return 0


def add_serve_commands(sub: Any) -> None:
    """``run``, ``chat`` and ``db upgrade`` on the top-level subparsers ``sub``."""
    r = sub.add_parser("run", help="serve the web chat and the API (and configured channels)")
    r.add_argument("--demo", action="store_true", help="load the demo knowledge base when the KB is empty")
    r.add_argument("--host")
    r.add_argument("--port", type=int)
    r.add_argument("--workers", type=int, default=1,
                   help="worker processes sharing the port (each loads the encoder and the index; default 1)")
    r.set_defaults(func=cmd_run, serves=True)

    c = sub.add_parser("chat", help="chat with the bot in this terminal (logs: <data_dir>/logs/chat.log, "
                                    "or the terminal's stderr with --verbose)")
    c.add_argument("--customer", help="customer id (default: your user name)")
    c.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log to this terminal's stderr (debug level) instead of the log file")
    c.add_argument("--demo", action="store_true", help="load the demo knowledge base when the KB is empty")
    c.set_defaults(func=cmd_chat, serves=True)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
