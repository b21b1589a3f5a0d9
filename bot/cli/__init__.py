"""The ``aftercare`` command line: one parser assembled from the command modules (:mod:`.serve` run,
chat, db; :mod:`.kb`; :mod:`.model` classifier, eval; :mod:`.tickets`; :mod:`.desk`; :mod:`.quality`;
:mod:`.users`), errors turned into exit codes (:mod:`.base`), one way to open the app."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot.cli.base import EXIT_DATABASE, EXIT_USAGE
from bot.cli.desk import add_desk_commands
from bot.cli.kb import add_kb_commands
from bot.cli.model import add_model_commands
from bot.cli.quality import add_quality_commands
from bot.cli.serve import add_serve_commands
from bot.cli.tickets import add_ticket_commands
from bot.cli.users import add_users_parser
from bot.config import ConfigError, load_config


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aftercare", description="After-sales support bot.")
    p.add_argument("--config", help="config file (default: $AFTERCARE_CONFIG or ./config.yaml)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    add_serve_commands(sub)  # run, chat, db upgrade
    kb = add_kb_commands(sub)
    add_model_commands(sub)  # classifier train, eval
    t = add_ticket_commands(sub)
    add_desk_commands(sub, t, kb)  # claim, assign, priority, wait, reopen, merge, close; problems, report...
    add_quality_commands(sub, kb)  # kb lint, model tune
    add_users_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from bot.errors import BotError, DatabaseUnavailable
    from classifier.errors import ClassifierError
    from handoff.errors import HandoffError
    from kb.errors import KBError

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # argparse gives an optional positional ("?") its default when an option comes before it, and then
    # calls the positional unrecognized: `tickets reply AC-1 --case X "words"`. A command lists such
    # positionals as ``late_positionals``; the words left over fill them in order, one each.
    for name in getattr(args, "late_positionals", ()):
        if extra and not extra[0].startswith("-") and not getattr(args, name):
            setattr(args, name, extra.pop(0))
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        args.config_obj = load_config(args.config)
    except ConfigError as e:
        print(f"aftercare: configuration error: {e}", file=sys.stderr)
        return EXIT_USAGE
    level = logging.DEBUG if args.verbose else getattr(logging, args.config_obj.app.log_level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "sentence_transformers", "transformers", "faiss", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not getattr(args, "serves", False) and not args.verbose:
        # a one-shot command (kb review approve, tickets reply...) shows what it did and the warnings about it;
        # the background work it sets off (calibration, the index) logs at info and debug, for the servers' log
        for background in ("classifier.vote", "classifier.calibrate", "classifier.case_head", "classifier.crosslingual",
                           "kb.service"):
            logging.getLogger(background).setLevel(max(level, logging.WARNING))
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so that a reader gone away is caught below
        return code
    except BrokenPipeError:  # `aftercare report | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 1
    except DatabaseUnavailable as e:
        print(f"aftercare: {e}", file=sys.stderr)
        return EXIT_DATABASE
    except (BotError, KBError, ClassifierError, HandoffError) as e:
        print(f"aftercare: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # a file named on the command line: missing, a directory, not writable, disk full
        if e.filename is None:
            raise
        print(f"aftercare: {e.filename}: {e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
