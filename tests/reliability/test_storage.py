"""DB-4 disk full and DB-5 read-only storage: every write fails with the translated "storage problem" message,
nothing is half-written, the file stays sound, and writes work again once the storage is back.

How the faults are made (tests run as root, where chmod does not stop writes):
* disk full: `PRAGMA max_page_count` set on every new connection just above the file's current size (after a
  VACUUM, so there are no free pages to reuse) — SQLite then fails with SQLITE_FULL "database or disk is full",
  exactly what a full disk gives;
* read-only: `PRAGMA query_only=ON` on every new connection — SQLite fails with SQLITE_READONLY "attempt to write
  a readonly database", the same code a read-only file or mount gives; on PostgreSQL
  `default_transaction_read_only=on` gives the real ReadOnlySqlTransaction (25006) of a standby or read-only role.
The faults are switched on mid-run (pools disposed, as after a storage change) and off again for recovery.
`test_refuse_writes_as_unprivileged_user_of_root_owned_file` also makes the storage really read-only at the OS
level: a forked writer drops to uid/gid 65534 (nobody) and meets a root-owned 0644 file in a 0755 directory.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

import services.core.db as dbmod
from services.core.db import make_database
from services.core.errors import StorageProblem
from services.core.i18n import translate
from tests.factories import make_tree
from tests.reliability.helpers import counts, file_case, integrity, sqlite_path

WRITES = 20
BIG = "排水沟堵塞，雨水流进院子。" * 1500  # ~60 KB: a case that needs fresh pages


def _fault(monkeypatch, db, pragma: str) -> None:
    monkeypatch.setattr(dbmod, "SQLITE_PRAGMAS", (*dbmod.SQLITE_PRAGMAS, pragma))
    db.dispose()


def _lift(monkeypatch, db) -> None:
    monkeypatch.undo()
    db.dispose()


def _page_limit(db) -> str:
    path = sqlite_path(db)
    db.dispose()
    with sqlite3.connect(path) as c:
        c.execute("VACUUM")  # no free pages left to reuse
        pages = c.execute("PRAGMA page_count").fetchone()[0]
    return f"PRAGMA max_page_count={pages + 2}"


def _storm(db, org_id: int) -> list[str]:
    """WRITES case registrations; what each one ended in (the message a person would read)."""
    seen = []
    for n in range(WRITES):
        try:
            file_case(db, org_id, n, BIG)
            seen.append("saved")
        except StorageProblem as err:
            seen.append(translate(err.key, "zh-CN"))
    return seen


@pytest.fixture
def org_id(sqlite_db):
    with sqlite_db.write() as s:
        return make_tree(s)["v1"].id


def test_refuse_writes_when_disk_full_then_recover(sqlite_db, org_id, monkeypatch):
    file_case(sqlite_db, org_id, 0)
    _fault(monkeypatch, sqlite_db, _page_limit(sqlite_db))
    seen = _storm(sqlite_db, org_id)
    assert seen == ["存储出现问题，本次内容未保存。请稍后再试或联系管理员。"] * WRITES
    with sqlite_db.read() as s:
        assert counts(s) == (1, 2, 0)  # reads still work; nothing half-written
    _lift(monkeypatch, sqlite_db)
    assert integrity(sqlite_path(sqlite_db)) == "ok"
    assert _storm(sqlite_db, org_id) == ["saved"] * WRITES
    with sqlite_db.read() as s:
        assert counts(s) == (1 + WRITES, 2 + 2 * WRITES, 0)


def test_refuse_writes_when_read_only_then_recover(sqlite_db, org_id, monkeypatch):
    file_case(sqlite_db, org_id, 0)
    _fault(monkeypatch, sqlite_db, "PRAGMA query_only=ON")
    seen = _storm(sqlite_db, org_id)[:10]
    assert seen == ["存储出现问题，本次内容未保存。请稍后再试或联系管理员。"] * 10
    with sqlite_db.read() as s:
        assert counts(s) == (1, 2, 0)
    _lift(monkeypatch, sqlite_db)
    assert integrity(sqlite_path(sqlite_db)) == "ok"
    file_case(sqlite_db, org_id, 1)
    with sqlite_db.read() as s:
        assert counts(s) == (2, 4, 0)


def test_refuse_writes_on_read_only_postgres_then_recover(db, monkeypatch):
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL variant")
    with db.write() as s:
        org = make_tree(s)["v1"].id
    file_case(db, org, 0)

    def read_only(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute("SET default_transaction_read_only = on")
        dbapi_conn.commit()  # a SET inside a rolled-back transaction would be undone

    db.dispose()
    event.listen(db.write_engine, "connect", read_only)
    try:
        for n in range(10):
            with pytest.raises(StorageProblem) as caught:
                file_case(db, org, n)
            assert getattr(caught.value.__cause__.orig, "sqlstate", "") == "25006"
    finally:
        event.remove(db.write_engine, "connect", read_only)
        db.dispose()
    with db.read() as s:
        assert counts(s) == (1, 2, 0)
    file_case(db, org, 1)
    with db.read() as s:
        assert counts(s) == (2, 4, 0)


def test_keep_other_driver_errors_as_bugs(sqlite_db):
    with pytest.raises(OperationalError), sqlite_db.write() as s:  # a bug is not disguised as a storage problem
        s.exec(text("SELECT * FROM no_such_table"))  # type: ignore[call-overload]


def test_refuse_writes_as_unprivileged_user_of_root_owned_file(sqlite_db, org_id):
    """DB-5 at the OS level; reads fail the same clean way (opening a WAL database needs its -shm file)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to another uid")
    folder = tempfile.mkdtemp(prefix="mh-ro-", dir="/tmp")  # pytest's tmp dirs are 0700, closed to nobody
    try:
        os.chmod(folder, 0o755)
        path = os.path.join(folder, "m.db")
        sqlite_db.dispose()
        with sqlite3.connect(sqlite_path(sqlite_db)) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        os.chmod(path, 0o644)
        url = f"sqlite:///{path}"
        first = make_database(url)
        file_case(first, org_id, 0)
        first.dispose()  # no connection of ours crosses the fork
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the unprivileged child
            try:
                os.setgid(65534)
                os.setuid(65534)
                db = make_database(url)
                seen = []
                for n in range(10):
                    try:
                        file_case(db, org_id, n)
                        seen.append("saved")
                    except StorageProblem as err:
                        seen.append(translate(err.key, "zh-CN"))
                    except Exception as err:  # a traceback a person would see
                        seen.append(type(err).__name__)
                os.write(write_end, "\n".join(seen).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status)
        with os.fdopen(read_end, "rb") as pipe:
            seen = pipe.read().decode().split("\n")
        assert seen == ["存储出现问题，本次内容未保存。请稍后再试或联系管理员。"] * 10
        assert integrity(path) == "ok"
        back = make_database(url)  # permissions back (the owner): writes work again
        file_case(back, org_id, 11)
        with back.read() as s:
            assert counts(s) == (2, 4, 0)
        back.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
