"""Consistent backups of a live database: SQLite's online backup API, or pg_dump for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PG_DUMP_TIMEOUT_S = 6 * 3600


class BackupFailed(RuntimeError):
    """The backup could not be made or did not verify; the message says why."""


def backup(database_url: str, path: str) -> str:
    """Back up the database at `database_url` to `path` and verify the copy; return a one-line summary."""
    url = make_url(database_url)
    target = Path(path).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _backup_sqlite(url, target)
    if backend == "postgresql":
        return _backup_postgres(url, target)
    raise BackupFailed(f"cannot back up a {backend} database (only sqlite and postgresql)")


def _backup_sqlite(url: URL, target: Path) -> str:
    """Copy page by page inside one read transaction (a consistent snapshot; WAL writers carry on)."""
    if not url.database or url.database == ":memory:":
        raise BackupFailed("an in-memory SQLite database has nothing to back up")
    source = Path(url.database).expanduser().resolve()
    if not source.is_file():
        raise BackupFailed(f"no SQLite database at {source}")
    if source == target:
        raise BackupFailed("the backup must not overwrite the database itself")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src,
        closing(sqlite3.connect(partial)) as dst,
    ):
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        check = [row[0] for row in dst.execute("PRAGMA integrity_check").fetchall()]
        if check != ["ok"]:
            raise BackupFailed(f"integrity check of the copy failed: {'; '.join(check[:5])}")
        has_case = dst.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'case'").fetchone()
        cases = dst.execute('SELECT count(*) FROM "case"').fetchone()[0] if has_case else 0
    partial.chmod(0o600)  # parties' personal data: readable by the owner only
    partial.replace(target)
    return f"backed up {source} to {target}: {_size(target)}, {cases:,} cases, integrity ok"


def _backup_postgres(url: URL, target: Path) -> str:
    """pg_dump in custom format (restore with pg_restore); the password goes through the environment."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupFailed(
            "pg_dump was not found on PATH; install the PostgreSQL client (apt install "
            "postgresql-client) matching the server's major version"
        )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell; the URL comes from our own settings
        [pg_dump, "--format=custom", "--file", str(partial), libpq],
        env=env,
        capture_output=True,
        text=True,
        timeout=PG_DUMP_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"pg_dump failed ({done.returncode}): {done.stderr.strip()[:500]}")
    verified = ""
    pg_restore = shutil.which("pg_restore")
    if pg_restore is not None:  # the archive's table of contents must read back
        listed = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [pg_restore, "--list", str(partial)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if listed.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupFailed(f"the dump does not read back: {listed.stderr.strip()[:500]}")
        tables = sum(1 for line in listed.stdout.splitlines() if " TABLE DATA " in line)
        verified = f", {tables} tables, archive readable"
    partial.chmod(0o600)
    partial.replace(target)
    return f"backed up {url.database} to {target}: {_size(target)} (pg_dump custom format{verified})"


def _size(path: Path) -> str:
    n = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"
