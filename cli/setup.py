"""Setting up an installation: the keys, the database schema, staff users, and the check of every declaration."""

from __future__ import annotations

import argparse
import getpass
import secrets

from cli.common import database
from pages.nav import check_registry  # plain data, no streamlit import
from services.access.accounts import create_user
from services.core.backup import network_filesystem
from services.core.bootstrap import ensure_reference_data
from services.core.checks import describe_settings, run_checks
from services.core.config import SECRETS_FILE, get_settings, keys_from_environment
from services.core.migrate import upgrade


def cmd_ensure_secrets(_: argparse.Namespace) -> int:
    # runs before any key exists (first `make run`), so it reads no settings
    if keys_from_environment() or SECRETS_FILE.exists():
        return 0
    SECRETS_FILE.parent.mkdir(parents=True, exist_ok=True)
    SECRETS_FILE.write_text(
        "# Generated on first start; never commit this file.\n"
        f'AUTH_COOKIE_KEY = "{secrets.token_urlsafe(48)}"\n'
        f'DATA_KEY = "{secrets.token_urlsafe(48)}"\n',
        encoding="utf-8",
    )
    SECRETS_FILE.chmod(0o600)
    print(f"wrote new random keys to {SECRETS_FILE}")
    return 0


def cmd_init_db(_: argparse.Namespace) -> int:
    upgrade(get_settings().database_url)
    with database() as db, db.write() as s:
        ensure_reference_data(s)
    print("database is at the newest schema")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    password = get_settings().create_user_password or getpass.getpass("password: ")  # never from argv
    with database() as db, db.write() as s:
        create_user(
            s,
            username=args.username,
            display_name=args.name or args.username,
            password=password,
            org_code=args.org,
            roles=args.roles.split(","),
        )
    print(f"created {args.username}")
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    for line in describe_settings():
        print(line)
    problems = run_checks() + check_registry()
    if fs := network_filesystem(get_settings().database_url):  # SQLite WAL on NFS/SMB corrupts (howtocorrupt)
        problems.append(f"DB-NETFS: the SQLite database is on a {fs} network filesystem; move it to a local disk")
    for p in problems:
        print(p)
    print("no problems found" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0
