"""``aftercare users add NAME --role agent|editor|admin`` and friends: console accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.cli.base import open_app
from bot.console.errors import ConsoleError
from bot.console.models import ROLES
from bot.console.users import UserStore


def _store(args: argparse.Namespace) -> UserStore:
    return UserStore(open_app(args).sessions)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise ConsoleError("the two passwords differ")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    u = _store(args).add(args.name, args.role, _password(args))  # ConsoleError: main prints it, exit 1
    print(f"user {u.name} added ({u.role}); log in at /console/login")
    return 0


def cmd_users_passwd(args: argparse.Namespace) -> int:
    _store(args).set_password(args.name, _password(args))
    print(f"password of {args.name} changed; their sessions are closed")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    for u in _store(args).list():
        print(f"{u.name:32} {u.role:7} {'active' if u.active else 'disabled'}")
    return 0


def add_users_parser(sub: Any) -> None:
    """Add ``users`` to the ``aftercare`` command line."""
    users = sub.add_parser("users", help="console accounts (agents, editors, admins)").add_subparsers(
        dest="users_command", required=True)
    k = users.add_parser("add", help="add an account; the password is asked for (or read from stdin)")
    k.add_argument("name")
    k.add_argument("--role", required=True, choices=ROLES)
    k.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    k.set_defaults(func=cmd_users_add)
    k = users.add_parser("passwd", help="set a new password (closes the account's sessions)")
    k.add_argument("name")
    k.add_argument("--password-stdin", action="store_true")
    k.set_defaults(func=cmd_users_passwd)
    users.add_parser("list", help="list accounts").set_defaults(func=cmd_users_list)
