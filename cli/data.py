"""Moving data in and out whole: backups, restoring one, and importing a legacy ledger."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import actor_for, database
from services.core.backup import BackupFailed, backup, restore
from services.core.config import get_settings
from services.core.i18n import translate
from services.legacy_import import load as importer


def cmd_backup(args: argparse.Namespace) -> int:
    print(backup(get_settings().database_url, args.path))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        print(restore(args.path, args.into or get_settings().database_url))
    except BackupFailed as err:
        print(f"restore refused: {err}", file=sys.stderr)
        return 2
    return 0


def cmd_import_cases(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = path.read_bytes()
    errors: list[importer.RowError]
    try:
        with database() as db, db.write() as s:
            actor = actor_for(s, args.user)
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
    for e in errors:
        print(f"row {e.row} {e.column or '-'}: {translate(e.key, 'en', **e.params)} {e.value!r}", file=sys.stderr)
    print(f"{len(errors)} error(s); nothing imported", file=sys.stderr)
    return 1
