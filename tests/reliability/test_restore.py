"""`manage.py restore <backup> [--into URL]`: a backup restored into an empty database reproduces every table's
row count and a case's content; a non-empty target, a missing or damaged backup are refused with a clear message."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from sqlmodel import select

import manage
from models import Case, Party
from services.core.backup import BackupFailed, backup, restore
from services.core.db import make_database
from tests.factories import make_tree
from tests.reliability.helpers import counts, file_case, integrity


def table_counts(path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as c:
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: c.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _content(db, case_id):
    with db.read() as s:
        case = s.get(Case, case_id)
        parties = s.exec(select(Party).where(Party.case_id == case_id).order_by(Party.id)).all()
        return (case.case_no, case.description, case.status, [(p.side, p.name, p.phone, p.address) for p in parties])


@pytest.fixture
def backed_up(sqlite_db, tmp_path):
    with sqlite_db.write() as s:
        org = make_tree(s)["v1"].id
    ids = [file_case(sqlite_db, org, n) for n in range(30)]
    path = tmp_path / "nightly.db"
    backup(sqlite_db.url, str(path))
    return sqlite_db, org, ids, path


def test_restore_into_empty_database_reproduces_backup(backed_up, tmp_path, capsys):
    source, org, ids, path = backed_up
    target = tmp_path / "restored" / "mediation.db"
    assert manage.main(["restore", str(path), "--into", f"sqlite:///{target}"]) == 0
    assert "30 cases, integrity ok" in capsys.readouterr().out
    assert integrity(target) == "ok"
    assert table_counts(target) == table_counts(path)
    restored = make_database(f"sqlite:///{target}")
    try:
        assert _content(restored, ids[7]) == _content(source, ids[7])
        file_case(restored, org, 99)  # the restored database takes new cases, numbered on
        with restored.read() as s:
            assert counts(s) == (31, 62, 0)
            numbers = sorted(s.exec(select(Case.case_no)).all())
        assert len(set(numbers)) == 31
    finally:
        restored.dispose()


def test_refuse_restore_over_non_empty_database(backed_up, capsys):
    source, _, _, path = backed_up
    before = table_counts(source.url.removeprefix("sqlite:///"))
    assert manage.main(["restore", str(path), "--into", source.url]) == 2
    assert "not empty" in capsys.readouterr().err
    assert table_counts(source.url.removeprefix("sqlite:///")) == before


def test_refuse_restore_of_missing_or_damaged_backup(tmp_path):
    with pytest.raises(BackupFailed, match="no backup file"):
        restore(str(tmp_path / "nope.db"), f"sqlite:///{tmp_path / 'a.db'}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 200)
    with pytest.raises(BackupFailed, match="not a SQLite backup"):
        restore(str(junk), f"sqlite:///{tmp_path / 'b.db'}")
    assert not (tmp_path / "b.db").exists() or table_counts(tmp_path / "b.db") == {}


def test_restore_postgres_dump_into_empty_database(db, tmp_path):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL variant (pg_dump/pg_restore)")
    import shutil

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not shutil.which("pg_restore"):
        pytest.skip("pg_restore not installed")
    with db.write() as s:
        org = make_tree(s)["v1"].id
    ids = [file_case(db, org, n) for n in range(10)]
    dump = tmp_path / "pg.dump"
    backup(db.url, str(dump))
    name = make_url(db.url).database + "_restored"
    admin = create_engine(make_url(db.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    target_url = make_url(db.url).set(database=name).render_as_string(hide_password=False)
    try:
        assert "pg_restore" in restore(str(dump), target_url)
        restored = make_database(target_url)
        assert _content(restored, ids[3]) == _content(db, ids[3])
        with restored.read() as s:
            assert counts(s) == (10, 20, 0)
        restored.dispose()
        with pytest.raises(BackupFailed, match="not empty"):
            restore(str(dump), target_url)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_detect_sqlite_database_on_network_filesystem(tmp_path):
    """DB-7: a SQLite file on NFS/SMB is reported (manage.py check); local disks and PostgreSQL are fine."""
    from services.core.backup import network_filesystem

    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\nnas:/export /srv/share nfs4 rw 0 0\n"
        "//nas/office /mnt/office\\040files cifs rw 0 0\ntmpfs /srv/share/local tmpfs rw 0 0\n"
    )
    assert network_filesystem("sqlite:////srv/share/data/mediation.db", str(mounts)) == "nfs4"
    assert network_filesystem("sqlite:////mnt/office files/m.db", str(mounts)) == "cifs"
    assert network_filesystem("sqlite:////srv/share/local/m.db", str(mounts)) is None  # the deeper mount wins
    assert network_filesystem("sqlite:////var/lib/mediation/m.db", str(mounts)) is None
    assert network_filesystem("postgresql+psycopg://u@h/db", str(mounts)) is None
    assert network_filesystem("sqlite:////srv/shared.db", str(mounts)) is None  # a prefix is not a mount
