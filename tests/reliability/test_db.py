"""Database battery DB-1, DB-2, DB-6, DB-7, DB-8 (DB-3/4/5 in test_crash.py and test_storage.py; DB-9 in
test_sessions.py). Figures are printed (`-s`) and collected in tests/reliability/README.md."""

from __future__ import annotations

import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from models import Case, CaseEvent
from services.core import audit
from services.core.backup import backup, restore
from tests.factories import make_tree
from tests.reliability.helpers import counts, file_case, integrity
from tests.reliability.test_restore import table_counts

ROOT = Path(__file__).resolve().parents[2]
THREADS, PER_THREAD = 20, 50


# --- DB-1 -----------------------------------------------------------------------------------------------------


def test_set_safe_pragmas_on_every_pooled_connection(sqlite_db):
    seen = []
    lock = threading.Lock()

    def probe(i: int) -> None:
        engine = sqlite_db.write_engine if i % 2 else sqlite_db.read_engine
        with engine.connect() as c:
            row = tuple(
                c.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys", "secure_delete")
            )
        with lock:
            seen.append(row)

    for batch in range(10):  # 10 × 10 fresh connections, opened from 10 threads at a time
        sqlite_db.dispose()
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(probe, range(batch * 10, batch * 10 + 10)))
    assert len(seen) == 100
    assert set(seen) == {("wal", 2, 8000, 1, 1)}  # WAL, synchronous=FULL, 8 s busy wait, FKs on, secure delete


# --- DB-2 / DB-8 ------------------------------------------------------------------------------------------------


def _mixed_write(db, org_ids: list[int], case_ids: list[int], n: int, rng: random.Random) -> None:
    """One of: file a case (intake path), edit a case (read then write), append a note with its audit row."""
    kind = n % 3
    if kind == 0:  # spread over 4 organisations: each one's case numbers are handed out one at a time
        file_case(db, org_ids[n % len(org_ids)], n)
        return
    with db.write() as s:
        case = s.get(Case, rng.choice(case_ids))
        assert case is not None
        if kind == 1:
            case.title = f"标题{n}"
            s.add(case)
        s.add(CaseEvent(case_id=case.id or 0, kind="note", note=f"记录{n}"))
        audit.record(s, action="case.note", entity="case", entity_id=case.id)


@pytest.mark.slow
def test_mixed_writers_commit_every_write_without_locked(db):
    with db.write() as s:
        tree = make_tree(s)
        org_ids = [tree[k].id or 0 for k in ("v1", "v2", "police", "town")]
    case_ids = [file_case(db, org_ids[0], -i) for i in range(1, 6)]
    with db.read() as s:
        events_before = len(s.exec(select(CaseEvent.id)).all())
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        rng = random.Random(w)
        for i in range(PER_THREAD):
            started = time.perf_counter()
            try:
                _mixed_write(db, org_ids, case_ids, w * PER_THREAD + i, rng)
            except Exception as err:  # counted: "database is locked" is the failure we look for
                with lock:
                    errors.append(f"{type(err).__name__}: {err}"[:200])
                continue
            with lock:
                times.append(time.perf_counter() - started)
                by_kind.setdefault((w * PER_THREAD + i) % 3, []).append(times[-1])

    by_kind: dict[int, list[float]] = {}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(worker, range(THREADS)))
    wall = time.perf_counter() - started
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    # the anchor's p99 < 2 s is for a 2-core CI machine to itself; on a shared, oversubscribed machine the bound
    # grows with the run queue (load average per core), never below 2 s
    limit = 2.0 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    with db.read() as s:
        events = len(s.exec(select(CaseEvent.id)).all()) - events_before
        _, _, half = counts(s)
    print(
        f"DB-2 {db.dialect}: {len(times)}/{THREADS * PER_THREAD} writes, {len(errors)} errors, "
        f"{events} new event rows, p50 {times[len(times) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms, {wall:.1f} s (bound {limit:.1f} s at load {os.getloadavg()[0]:.1f})"
    )
    for kind, v in sorted(by_kind.items()):
        v.sort()
        print(
            f"  {('create', 'edit', 'note')[kind]}: p50 {v[len(v) // 2] * 1000:.0f} ms, "
            f"p99 {v[int(len(v) * 0.99) - 1] * 1000:.0f} ms"
        )
    assert errors == [] and events == THREADS * PER_THREAD and half == 0
    assert p99 < limit


def test_retry_serializable_conflicts_without_losing_operations(db):
    """DB-8 (PostgreSQL): SERIALIZABLE read-then-write from 20 threads, retried on 40001 → no lost increments."""
    if db.dialect != "postgresql":
        pytest.skip("SERIALIZABLE retry is the PostgreSQL variant")
    with db.write() as s:
        s.exec(text("CREATE TABLE IF NOT EXISTS db8_counter (id int PRIMARY KEY, n int NOT NULL)"))  # type: ignore
        s.exec(text("TRUNCATE db8_counter"))  # type: ignore[call-overload]
        # 10,000 rows, 20 hot ones spread over the index (a 5-row table is one page, and SERIALIZABLE's page-level
        # predicate locks would make every pair of transactions conflict, which no real table does)
        s.exec(text("INSERT INTO db8_counter SELECT g, 0 FROM generate_series(1, 10000) g"))  # type: ignore
        s.exec(text("ANALYZE db8_counter"))  # type: ignore[call-overload]
    retries: list[int] = []
    lock = threading.Lock()
    engine = db.write_engine.execution_options(isolation_level="SERIALIZABLE")

    def bump(n: int) -> None:
        for attempt in range(20):
            try:
                with engine.begin() as c:
                    row = 1 + 500 * (n * 7 % 20)
                    value = c.execute(text("SELECT n FROM db8_counter WHERE id = :i"), {"i": row}).scalar_one()
                    c.execute(text("UPDATE db8_counter SET n = :v WHERE id = :i"), {"v": value + 1, "i": row})
                with lock:
                    retries.append(attempt)
                return
            except OperationalError as err:
                if getattr(err.orig, "sqlstate", "") != "40001":
                    raise
                time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
        raise AssertionError("gave up after 20 retries")

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(bump, range(200)))
    try:
        with db.read() as s:
            total = s.exec(text("SELECT sum(n) FROM db8_counter")).one()[0]  # type: ignore[call-overload]
    finally:
        with db.write() as s:
            s.exec(text("DROP TABLE db8_counter"))  # type: ignore[call-overload]
    retries.sort()
    print(f"DB-8 serializable: 200 increments, sum {total}, retries p95 {retries[189]}, max {retries[-1]}")
    assert total == 200 and len(retries) == 200
    assert retries[189] <= 3  # 95% of transactions within 3 retries; none lost


# --- DB-6 -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_backup_while_20_writers_run_is_consistent_and_restores(sqlite_db, tmp_path):
    with sqlite_db.write() as s:
        org_id = make_tree(s)["v1"].id or 0
    stop, errors, written = threading.Event(), [], [0]
    lock = threading.Lock()

    def writer(w: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                file_case(sqlite_db, org_id, w * 100_000 + n)
            except Exception as err:  # counted below
                errors.append(repr(err)[:200])
                return
            with lock:
                written[0] += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    results = []
    try:
        for i in range(10):
            while written[0] < (i + 1) * 10:
                time.sleep(0.01)
            copy = tmp_path / f"backup-{i}.db"
            backup(sqlite_db.url, str(copy))
            into = tmp_path / f"restored-{i}.db"
            restore(str(copy), f"sqlite:///{into}")
            snap = table_counts(copy)
            results.append((integrity(copy), table_counts(into) == snap, snap["case"], snap["party"]))
    finally:
        stop.set()
        for t in threads:
            t.join()
    print(
        f"DB-6: 10 backups under {THREADS} writers ({written[0]} cases written meanwhile): "
        f"cases per snapshot {[r[2] for r in results]}, writer errors {len(errors)}"
    )
    assert errors == []
    assert all(ok == "ok" and same and parties == 2 * cases for ok, same, cases, parties in results)
    assert [r[2] for r in results] == sorted(r[2] for r in results)  # snapshots move forward in time


# --- DB-7 -------------------------------------------------------------------------------------------------------

CODE_DIRS = ("services", "pages", "cli", "scripts", "bench")
CODE_FILES = ("app.py", "manage.py", "serve.py", "Makefile", ".ci/run")
FORBIDDEN = {
    "copy of a live database file": re.compile(
        r"shutil\.copy\w*\([^)]*(\.db|\.sqlite|database)|\bcp\s+\S*\.(db|sqlite)\b"
    ),
    "deleting -wal/-shm": re.compile(
        r"(-wal|-shm)['\"]?\s*\)?\.?\s*(unlink|remove)|(unlink|remove|rm\s+-f?)\W[^\n]*-(wal|shm)\b"
    ),
    "open() of the database file": re.compile(r"\bopen\([^)]*(database_url|\.db['\"]|\.sqlite['\"])"),
}


def _code_files() -> list[Path]:
    files = [
        p
        for d in CODE_DIRS
        for p in (ROOT / d).rglob("*")
        if p.suffix in (".py", ".sh", "") and p.is_file() and "__pycache__" not in p.parts
    ]
    return files + [ROOT / f for f in CODE_FILES if (ROOT / f).is_file()]


def test_forbid_unsafe_database_file_operations():
    hits = [
        f"{p.relative_to(ROOT)}:{i}: {what}"
        for p in _code_files()
        for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        for what, pattern in FORBIDDEN.items()
        if pattern.search(line)
    ]
    assert hits == []


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ('shutil.copy(db_path + ".db", dest)', "copy of a live database file"),
        ("cp data/mediation.db /mnt/backup/", "copy of a live database file"),
        ('Path(path + "-wal").unlink()', "deleting -wal/-shm"),
        ("rm -f data/mediation.db-wal", "deleting -wal/-shm"),
        ('open("data/mediation.db", "rb")', "open() of the database file"),
    ],
)
def test_detect_unsafe_database_file_operations_in_samples(line, what):
    assert FORBIDDEN[what].search(line)


def test_number_first_cases_of_new_org_concurrently(db):
    """Found by DB-2 on PostgreSQL: two first cases of an (org, year) at once both inserted the counter row."""
    with db.write() as s:
        org_id = make_tree(s)["v2"].id or 0
    gate = threading.Barrier(THREADS)

    def first(n: int) -> int:
        gate.wait(timeout=30)
        return file_case(db, org_id, n)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        ids = list(pool.map(first, range(THREADS)))
    with db.read() as s:
        numbers = sorted(s.exec(select(Case.case_no).where(Case.id.in_(ids))).all())  # type: ignore[union-attr]
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, THREADS + 1))


def test_driver_errors_carry_no_bound_values(db):
    """LOG-2: an SQL error's text (which Streamlit and our log may print) never holds the values bound into it."""
    from sqlalchemy import text as sql

    canary = "CANARY-13900001111-110101199003071234"
    with pytest.raises(Exception) as caught, db.write() as s:
        s.execute(sql("INSERT INTO no_such_table (x) VALUES (:v)"), {"v": canary})
    assert "no_such_table" in str(caught.value)
    assert canary not in str(caught.value) and "13900001111" not in str(caught.value)
