"""Command line: python manage.py <command>; `python manage.py --help` lists the commands."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from services.core.config import SECRETS_FILE, ConfigError, get_settings


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
    from services.core.db import make_database

    return make_database(get_settings().database_url)


def cmd_init_db(_: argparse.Namespace) -> int:
    """Migrate the database to head and add the reference data."""
    from services.core.bootstrap import ensure_reference_data
    from services.core.migrate import upgrade

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
    from services.access.accounts import create_user
    from services.core.errors import DomainError
    from services.core.i18n import translate

    password = os.environ.get("MEDIATION_PASSWORD") or getpass.getpass("password: ")
    db = _db()
    try:
        with db.write() as s:
            create_user(
                s,
                username=args.username,
                display_name=args.name or args.username,
                password=password,
                org_code=args.org,
                roles=args.roles.split(","),
            )
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    print(f"created {args.username}")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from services.core.errors import DomainError
    from services.core.i18n import translate
    from services.demo.seed import seed_demo

    db = _db()
    try:
        logins = seed_demo(
            db, cases=args.cases, seed=args.seed, if_empty=args.if_empty, password=os.environ.get("DEMO_PASSWORD")
        )
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if logins:
        print_logins(logins)
    return 0


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    print("\nDemo sign-ins (role · username · password):")
    for role, username, password in logins:
        print(f"  {role:<12} {username:<16} {password}")


def cmd_demo_logins(_: argparse.Namespace) -> int:
    from services.demo.seed import read_demo_logins

    logins = read_demo_logins()
    if logins:
        print_logins(logins)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from services.core.backup import backup

    print(backup(get_settings().database_url, args.path))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from services.core.backup import BackupFailed, restore

    try:
        print(restore(args.path, args.into or get_settings().database_url))
    except BackupFailed as err:
        print(f"restore refused: {err}", file=sys.stderr)
        return 2
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    """Validate settings and every declared spec; print problems with stable ids."""
    from pages.nav import check_registry  # plain data, no streamlit import
    from services.core.checks import run_checks

    problems = run_checks() + check_registry()
    from services.core.backup import network_filesystem

    if fs := network_filesystem(get_settings().database_url):  # SQLite WAL on NFS/SMB corrupts (howtocorrupt)
        problems.append(f"DB-NETFS: the SQLite database is on a {fs} network filesystem; move it to a local disk")
    for p in problems:
        print(p)
    print("no problems found" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_qr_posters(args: argparse.Namespace) -> int:
    """Write <code>.png A4 posters (QR code to each organisation's intake form) and one PDF of them all."""
    from pathlib import Path

    from services.core.errors import DomainError
    from services.core.i18n import translate
    from services.intake.posters import A4_PRINT, A4_SCREEN, write_posters

    db = _db()
    try:
        with db.read() as s:
            paths = write_posters(
                s,
                Path(args.out),
                org_code=args.org,
                county_code=args.county,
                size=A4_SCREEN if args.dpi == 150 else A4_PRINT,
            )
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    for path in paths:
        print(path)
    return 0


def _actor(session, username: str | None):  # type: ignore[no-untyped-def]
    """The named staff user's actor, or (no name) the server reading the whole tree."""
    from services.access.accounts import load_actor
    from services.stats.dashboard import system_actor

    if not username:
        return system_actor(session)
    from sqlmodel import select

    from models import User

    user = session.exec(select(User).where(User.username == username)).first()
    actor = load_actor(session, user.id or 0) if user is not None else None
    if actor is None:
        raise SystemExit(f"no active user {username!r}")
    return actor


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the KPIs (one JSON object with --json) for an organisation and period, as upper-level systems read them."""
    import json
    from datetime import date

    from services.core.errors import DomainError
    from services.core.i18n import translate
    from services.roster.orgs import get_org_by_code
    from services.stats import kpi, reports
    from services.stats.dashboard import local_today
    from services.stats.sql import Filters, Period

    today = local_today()
    try:
        period = Period(
            date.fromisoformat(args.date_from) if args.date_from else date(today.year, 1, 1),
            date.fromisoformat(args.date_to) if args.date_to else today,
        )
        db = _db()
        try:
            with db.read() as s:
                actor = _actor(s, args.user)
                org_id = get_org_by_code(s, args.org, active_only=False).id if args.org else None
                filters = Filters(period, org_id=org_id, category=args.category, source=args.source)
                out = reports.summary(s, actor=actor, filters=filters, compare=args.compare, decline_of=args.decline_of)
        finally:
            db.dispose()
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"bad date: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return 0
    for k in kpi.KPIS:
        print(f"{k.name_zh:<14} {out[k.id]!s:>10}   {k.formula_zh}")
    if kpi.DECLINE.id in out:
        print(f"{kpi.DECLINE.name_zh:<14} {out[kpi.DECLINE.id]!s:>10}   {kpi.DECLINE.formula_zh}")
    return 0


def cmd_import_cases(args: argparse.Namespace) -> int:
    """Import a legacy ledger (xlsx or csv): every row or, when any row is bad, none; prints the bad rows."""
    from pathlib import Path

    from services.core.errors import DomainError
    from services.core.i18n import translate
    from services.legacy_import import load as importer

    path = Path(args.file)
    data = path.read_bytes()
    db = _db()
    try:
        with db.write() as s:
            actor = _actor(s, args.user)
            if args.dry_run:
                preview = importer.validate(s, actor=actor, filename=path.name, data=data)
                errors = preview.errors
                if not errors:
                    print(f"{preview.total} rows, no errors (nothing imported: --dry-run)")
                    return 0
            else:
                result = importer.import_cases(s, actor=actor, filename=path.name, data=data)
                print(
                    f"imported {result.imported} cases in {result.seconds:.1f} s "
                    f"({result.generated_numbers} numbers allocated)"
                )
                return 0
    except importer.ImportRejected as err:
        errors = err.errors
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    for e in errors:
        print(f"row {e.row} {e.column or '-'}: {translate(e.key, 'en', **e.params)} {e.value!r}", file=sys.stderr)
    print(f"{len(errors)} error(s); nothing imported", file=sys.stderr)
    return 1


def cmd_duty_gaps(_: argparse.Namespace) -> int:
    """Flag uncovered duty shifts of the coming week to the coordination offices (run daily, e.g. from cron)."""
    from services.roster.duty import flag_gaps

    db = _db()
    try:
        with db.write() as s:
            new = flag_gaps(s)
    finally:
        db.dispose()
    print(f"{new} new duty gap warning(s)")
    return 0


def cmd_rotate_data_key(args: argparse.Namespace) -> int:
    """Re-encrypt ID numbers and recompute blind indexes under DATA_KEY, reading with DATA_KEY_PREVIOUS."""
    from services.privacy.key_rotation import rotate_data_key

    settings = get_settings()
    settings.check_keys()
    db = _db()
    try:
        report = rotate_data_key(
            db, new_key=settings.data_key, old_keys=list(settings.data_key_previous), batch=args.batch
        )
    finally:
        db.dispose()
    print(", ".join(f"{k} {v}" for k, v in vars(report).items()))
    if report.undecryptable:
        print(
            "some ID numbers could not be decrypted: add the key they were written with to DATA_KEY_PREVIOUS",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_subject_export(args: argparse.Namespace) -> int:
    """Everything stored about one person (PIPL 45), found by ID number or phone; the export is audited."""
    from pathlib import Path

    from services.core.errors import DomainError
    from services.core.i18n import translate
    from services.privacy.subject_access import subject_export, to_json, to_xlsx

    db = _db()
    try:
        with db.write() as s:
            data = subject_export(s, id_number=args.id_number or "", phone=args.phone or "")
    except DomainError as err:
        print(translate(err.key, "en", **err.params), file=sys.stderr)
        return 2
    finally:
        db.dispose()
    body = to_xlsx(data) if (args.out or "").endswith(".xlsx") else to_json(data)
    if args.out:
        Path(args.out).write_bytes(body)
        Path(args.out).chmod(0o600)
        print(f"wrote {args.out}: " + ", ".join(f"{k} {len(v)}" for k, v in data.items()))
    else:
        sys.stdout.write(body.decode() + "\n")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    """Anonymise closed cases older than the retention period (ConfigVersion 'retention'); --dry-run counts."""
    from services.privacy.retention import run_retention

    db = _db()
    try:
        report = run_retention(db, dry_run=args.dry_run)
    finally:
        db.dispose()
    print(
        f"cut-off {report.cutoff} ({report.years} years after closing): {report.eligible} eligible, "
        f"{report.anonymised} anonymised, {report.rows} rows changed" + (" (dry run)" if report.dry_run else "")
    )
    return 0


def cmd_send_notifications(_: argparse.Namespace) -> int:
    """Queue due reminders, send the due group-robot webhook messages (retries included); for cron."""
    from services.notify.outbox import deliver_until_idle
    from services.notify.reminders import run_reminders

    db = _db()
    try:
        print(f"{run_reminders(db)} new reminder(s)")
        counts = deliver_until_idle(db)
    finally:
        db.dispose()
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
    return 0


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
    p = sub.add_parser("restore", help="restore a backup into an EMPTY database (default: DATABASE_URL)")
    p.add_argument("path")
    p.add_argument("--into", help="target DATABASE_URL, e.g. sqlite:///data/restored.db")
    p.set_defaults(func=cmd_restore)
    sub.add_parser("check").set_defaults(func=cmd_check)
    sub.add_parser("duty-gaps", help="warn coordination offices of uncovered shifts a week ahead").set_defaults(
        func=cmd_duty_gaps
    )
    sub.add_parser("send-notifications", help="send due group-robot webhook messages (run every minute)").set_defaults(
        func=cmd_send_notifications
    )
    p = sub.add_parser("stats", help="KPIs for an organisation and period")
    p.add_argument("--json", action="store_true", help="one JSON object keyed by KPI id (rates as fractions)")
    p.add_argument("--org", help="organisation code (default: the whole tree, or the --user's area)")
    p.add_argument("--from", dest="date_from", help="YYYY-MM-DD (default: 1 January this year)")
    p.add_argument("--to", dest="date_to", help="YYYY-MM-DD (default: today)")
    p.add_argument("--compare", choices=("previous-period", "previous-year"))
    p.add_argument("--decline-of", default="received", help="the count whose decline_rate is printed")
    p.add_argument("--category")
    p.add_argument("--source")
    p.add_argument("--user", help="read as this staff user (their area and permissions)")
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("import-cases", help="import a legacy ledger, all rows or none")
    p.add_argument("file", help="FILE.xlsx or FILE.csv")
    p.add_argument("--user", required=True, help="the staff user the import is recorded under")
    p.add_argument("--dry-run", action="store_true", help="check only")
    p.set_defaults(func=cmd_import_cases)
    p = sub.add_parser("qr-posters", help="A4 QR posters: <code>.png per organisation plus one PDF")
    p.add_argument("--out", required=True, help="directory to write into")
    p.add_argument("--org", help="only this organisation code")
    p.add_argument("--county", help="only the organisations of this county code")
    p.add_argument("--dpi", type=int, choices=(150, 300), default=300, help="PNG resolution (the PDF is 150 dpi)")
    p.set_defaults(func=cmd_qr_posters)
    p = sub.add_parser("rotate-data-key", help="move encrypted ID numbers and blind indexes onto DATA_KEY")
    p.add_argument("--batch", type=int, default=500, help="parties per write transaction")
    p.set_defaults(func=cmd_rotate_data_key)
    p = sub.add_parser("subject-export", help="everything about one person (PIPL 45), audited")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--id-number")
    who.add_argument("--phone")
    p.add_argument("--out", help="FILE.json or FILE.xlsx (default: JSON on stdout)")
    p.set_defaults(func=cmd_subject_export)
    p = sub.add_parser("retention", help="anonymise closed cases older than the retention period")
    p.add_argument("--dry-run", action="store_true", help="count the eligible cases only")
    p.set_defaults(func=cmd_retention)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    from services.core import logs as applog

    applog.configure()  # run reports (retention, key rotation) and warnings on standard error
    sys.exit(main())
