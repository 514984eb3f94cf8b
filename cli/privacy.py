"""Personal data over its life: moving it onto a new key, handing a person their data, anonymising old cases."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import database
from services.core.config import get_settings
from services.privacy.key_rotation import rotate_data_key
from services.privacy.retention import run_retention
from services.privacy.subject_access import subject_export, to_json, to_xlsx


def cmd_rotate_data_key(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.check_keys()
    with database() as db:
        report = rotate_data_key(
            db, new_key=settings.data_key, old_keys=list(settings.data_key_previous), batch=args.batch
        )
    print(", ".join(f"{k} {v}" for k, v in vars(report).items()))
    if report.undecryptable:
        print(
            "some ID numbers could not be decrypted: add the key they were written with to DATA_KEY_PREVIOUS",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_subject_export(args: argparse.Namespace) -> int:
    with database() as db, db.write() as s:
        data = subject_export(s, id_number=args.id_number or "", phone=args.phone or "")
    body = to_xlsx(data) if (args.out or "").endswith(".xlsx") else to_json(data)
    if args.out:
        Path(args.out).write_bytes(body)
        Path(args.out).chmod(0o600)
        print(f"wrote {args.out}: " + ", ".join(f"{k} {len(v)}" for k, v in data.items()))
    else:
        sys.stdout.write(body.decode() + "\n")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    with database() as db:
        report = run_retention(db, dry_run=args.dry_run)
    print(
        f"cut-off {report.cutoff} ({report.years} years after closing): {report.eligible} eligible, "
        f"{report.anonymised} anonymised, {report.rows} rows changed" + (" (dry run)" if report.dry_run else "")
    )
    return 0
