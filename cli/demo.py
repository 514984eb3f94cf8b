"""The demo city: fill a database with demo organisations, users and cases, and show their sign-ins."""

from __future__ import annotations

import argparse

from cli.common import database
from services.core.config import get_settings
from services.demo.seed import read_demo_logins, seed_demo


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    """The demo sign-ins as a table on standard output."""
    print("\nDemo sign-ins (role · username · password):")
    for role, username, password in logins:
        print(f"  {role:<12} {username:<16} {password}")


def cmd_seed_demo(args: argparse.Namespace) -> int:
    with database() as db:
        logins = seed_demo(
            db, cases=args.cases, seed=args.seed, if_empty=args.if_empty, password=get_settings().demo_password
        )
    if logins:
        print_logins(logins)
    return 0


def cmd_demo_logins(_: argparse.Namespace) -> int:
    if logins := read_demo_logins():
        print_logins(logins)
    return 0
