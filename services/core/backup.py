"""Consistent backups of a live database (SQLite's online backup API, or pg_dump for PostgreSQL), and restores
of such a backup into an empty database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from services.core.config import child_process_env

PG_DUMP_TIMEOUT_S = 6 * 3600


class BackupFailed(RuntimeError):
    """The backup could not be made or did not verify; the message says why."""


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq address without the password, and the child environment carrying it (never on the command line)."""
    env = child_process_env(PGPASSWORD=str(url.password)) if url.password else child_process_env()
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


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
    libpq, env = _libpq(url)
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


def restore(backup_path: str, database_url: str) -> str:
    """Restore a backup made by backup() into the EMPTY database at `database_url`; return a one-line summary."""
    source = Path(backup_path).expanduser().resolve()
    if not source.is_file():
        raise BackupFailed(f"no backup file at {source}")
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _restore_sqlite(source, url)
    if backend == "postgresql":
        return _restore_postgres(source, url)
    raise BackupFailed(f"cannot restore into a {backend} database (only sqlite and postgresql)")


def _sqlite_tables(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])


def _restore_sqlite(source: Path, url: URL) -> str:
    """Check the backup, refuse a target holding any table, copy page by page, check the result."""
    if not url.database or url.database == ":memory:":
        raise BackupFailed("restore into a SQLite file, not an in-memory database")
    target = Path(url.database).expanduser().resolve()
    if target == source:
        raise BackupFailed("the backup and the target are the same file")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        try:
            check = [row[0] for row in src.execute("PRAGMA integrity_check").fetchall()]
        except sqlite3.DatabaseError as err:
            raise BackupFailed(f"{source} is not a SQLite backup: {err}") from err
        if check != ["ok"]:
            raise BackupFailed(f"the backup fails its integrity check: {'; '.join(check[:5])}")
        if _sqlite_tables(src) == 0:
            raise BackupFailed(f"{source} holds no tables")
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(target, timeout=30)) as dst:
            if (tables := _sqlite_tables(dst)) > 0:
                raise BackupFailed(
                    f"the target database is not empty ({tables} tables): restore only into an "
                    "empty database (a new file), never over live data"
                )
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
            check = [row[0] for row in dst.execute("PRAGMA integrity_check").fetchall()]
            has_case = dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'case'").fetchone()
            cases = dst.execute('SELECT count(*) FROM "case"').fetchone()[0] if has_case else 0
    if check != ["ok"]:
        raise BackupFailed(f"integrity check of the restored database failed: {'; '.join(check[:5])}")
    target.chmod(0o600)
    return f"restored {source} into {target}: {cases:,} cases, integrity ok"


def _restore_postgres(source: Path, url: URL) -> str:
    """pg_restore of a pg_dump custom-format archive into an empty PostgreSQL database."""
    from sqlalchemy import create_engine, text

    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupFailed("pg_restore was not found on PATH; install the PostgreSQL client (postgresql-client)")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalar_one()
    finally:
        engine.dispose()
    if tables:
        raise BackupFailed(
            f"the target database is not empty ({tables} tables): restore only into an empty "
            "database (createdb a new one), never over live data"
        )
    libpq, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell; the URL comes from the operator
        [pg_restore, "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", libpq, str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=PG_DUMP_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise BackupFailed(f"pg_restore failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return f"restored {source} into {url.database} (pg_restore, one transaction)"


NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "glusterfs", "ceph", "davfs")


def network_filesystem(database_url: str, mounts: str = "/proc/mounts") -> str | None:
    """The network filesystem type a SQLite database file lies on (WAL needs one host's shared memory), else None."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = str(Path(url.database).expanduser().resolve())
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return None
    best, fstype = "", ""
    for line in lines:
        parts = line.split()
        if len(parts) >= 3:
            point = parts[1].replace("\\040", " ")
            if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
                best, fstype = point, parts[2]
    return fstype if fstype in NETWORK_FS else None
