"""Command line: python manage.py {init-db,create-user,seed-demo,demo-logins,backup,check,ensure-secrets}."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from services.config import SECRETS_FILE, ConfigError, get_settings


def cmd_ensure_secrets(_: argparse.Namespace) -> int:
    """Write random keys into the git-ignored secrets file if it has none (first `make run`)."""
    if os.environ.get("AUTH_COOKIE_KEY") and os.environ.get("DATA_KEY"):
        return 0
    if SECRETS_FILE.exists():
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


def _db():  # type: ignore[no-untyped-def]
    from services.db import make_database

    return make_database(get_settings().database_url)


def cmd_init_db(_: argparse.Namespace) -> int:
    """Migrate the database to head and add the reference data."""
    from services.bootstrap import ensure_reference_data
    from services.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    db = _db()
    with db.write() as s:
        ensure_reference_data(s)
    db.dispose()
    print("database is at the newest schema")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    """Create a staff user; the password comes from MEDIATION_PASSWORD or a prompt, never argv."""
    from services.accounts import create_user
    from services.errors import DomainError
    from services.i18n import translate

    password = os.environ.get("MEDIATION_PASSWORD") or getpass.getpass("password: ")
    db = _db()
    try:
        with db.write() as s:
            create_user(s, username=args.username, display_name=args.name or args.username, password=password,
                        org_code=args.org, roles=args.roles.split(","))
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    print(f"created {args.username}")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from services.demo import seed_demo

    db = _db()
    logins = seed_demo(db, cases=args.cases, seed=args.seed, if_empty=args.if_empty,
                       password=os.environ.get("DEMO_PASSWORD"))
    if logins:
        print_logins(logins)
    return 0


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    print("\nDemo sign-ins (role · username · password):")
    for role, username, password in logins:
        print(f"  {role:<12} {username:<16} {password}")


def cmd_demo_logins(_: argparse.Namespace) -> int:
    from services.demo import read_demo_logins

    logins = read_demo_logins()
    if logins:
        print_logins(logins)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from services.backup import backup

    print(backup(get_settings().database_url, args.path))
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    """Validate settings and every declared spec; print problems with stable ids."""
    from services.checks import run_checks

    problems = run_checks()
    for p in problems:
        print(p)
    print("no problems found" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ensure-secrets").set_defaults(func=cmd_ensure_secrets)
    sub.add_parser("init-db").set_defaults(func=cmd_init_db)
    p = sub.add_parser("create-user")
    p.add_argument("username")
    p.add_argument("--org", required=True, help="organisation code")
    p.add_argument("--roles", required=True, help="comma-separated role codes")
    p.add_argument("--name", default="")
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("seed-demo")
    p.add_argument("--cases", type=int, default=2000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--if-empty", action="store_true", help="do nothing when the database has cases")
    p.set_defaults(func=cmd_seed_demo)
    sub.add_parser("demo-logins").set_defaults(func=cmd_demo_logins)
    p = sub.add_parser("backup")
    p.add_argument("path")
    p.set_defaults(func=cmd_backup)
    sub.add_parser("check").set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
