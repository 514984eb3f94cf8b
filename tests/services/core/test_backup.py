from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from datetime import date

import pytest
from sqlmodel import func, select

from models import Case, Organisation
from services.cases.create import CaseInput, PartyInput, create_case
from services.core import backup as backup_module
from services.core.backup import BackupFailed, backup
from services.core.db import make_database
from services.demo import seed as demo


@pytest.fixture
def seeded(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "LOGINS_FILE", tmp_path / "logins.txt")
    demo.seed_demo(sqlite_db, cases=200, seed=3, today=date(2026, 6, 15), progress=lambda _d, _t: None)
    return sqlite_db


def _count(path) -> int:
    with sqlite3.connect(path) as c:
        return c.execute('SELECT count(*) FROM "case"').fetchone()[0]


def test_backup_sqlite_while_writing(seeded, tmp_path):
    with seeded.read() as s:
        org_id = s.exec(select(Organisation.id).where(Organisation.code == "V001")).one()
        before = s.exec(select(func.count()).select_from(Case)).one()
    stop, written, errors = threading.Event(), [], []

    def writer() -> None:
        try:
            while not stop.is_set():
                with seeded.write() as s:
                    data = CaseInput(
                        org_id=org_id,
                        source="walk_in",
                        category="neighbour",
                        description="备份期间登记",
                        parties=[PartyInput("applicant", "王五")],
                    )
                    written.append(create_case(s, data=data, actor_id=None).id)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5 and thread.is_alive():
            threading.Event().wait(0.01)
        target = tmp_path / "copies" / "backup.db"
        message = backup(seeded.url, str(target))
    finally:
        stop.set()
        thread.join()
    assert not errors and written
    copied = _count(target)
    assert before <= copied <= before + len(written)
    with sqlite3.connect(target) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert f"{copied:,} cases" in message and "integrity ok" in message
    assert not (tmp_path / "copies" / "backup.db.partial").exists()
    restored = make_database(f"sqlite:///{target}")
    with restored.read() as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == copied
    restored.dispose()


def test_backup_refuses_bad_targets(sqlite_db, tmp_path):
    with pytest.raises(BackupFailed, match="must not overwrite"):
        backup(sqlite_db.url, sqlite_db.url.removeprefix("sqlite:///"))
    with pytest.raises(BackupFailed, match="in-memory"):
        backup("sqlite://", str(tmp_path / "x.db"))
    with pytest.raises(BackupFailed, match="no SQLite database"):
        backup(f"sqlite:///{tmp_path / 'missing.db'}", str(tmp_path / "x.db"))
    with pytest.raises(BackupFailed, match="mysql"):
        backup("mysql://u@h/db", str(tmp_path / "x.db"))


def test_backup_postgres_without_pg_dump_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(backup_module.shutil, "which", lambda _name: None)
    with pytest.raises(BackupFailed, match="pg_dump was not found"):
        backup("postgresql+psycopg://postgres@127.0.0.1:5432/x", str(tmp_path / "x.dump"))


def test_backup_postgres_with_pg_dump(request, tmp_path):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    pg_url = request.getfixturevalue("pg_url")  # skips without TEST_DATABASE_URL
    target = tmp_path / "pg.dump"
    message = backup(pg_url, str(target))
    assert target.stat().st_size > 0 and "archive readable" in message
    listed = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True)
    assert "TABLE public case" in listed.stdout
