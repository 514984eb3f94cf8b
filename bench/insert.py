"""Bulk insert: seed_demo's case phase against plain sqlite3 executemany of exactly the same rows, or with --url
postgresql… against a plain psycopg COPY of exactly the same rows.

Usage: python bench/insert.py [--cases 20000] [--reps 3] [--url postgresql+psycopg://…/scratch_db]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("AUTH_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("DATA_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("MEDIATION_BCRYPT_ROUNDS", "4")

import psycopg
from build import SEED, remove_db
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from services.core.bootstrap import ensure_reference_data
from services.core.db import SQLITE_PRAGMAS, make_database
from services.core.migrate import upgrade
from services.demo import seed as demo
from services.demo.bulk import DERIVATION_TRIGGERS
from services.demo.tables import CASE_TABLES, table_of
from services.stats import summary

CASE_TABLES_CORE = [table_of(m) for m in CASE_TABLES]


def _fresh(path: Path) -> Any:
    remove_db(path)
    url = f"sqlite:///{path}"
    upgrade(url)
    db = make_database(url)
    with db.write() as s:
        ensure_reference_data(s)
    return db


def _capture(directory: Path, n: int) -> tuple[Path, list[dict], list[dict]]:
    """One untimed run that keeps every chunk (encoded and as dicts) and a snapshot taken before the first."""
    base = directory / "insert_base.db"
    remove_db(base)
    encoded: list[dict] = []
    dicts: list[dict] = []
    enc_encode, enc_write = demo._Encoder.encode, demo._Encoder.write

    def encode(self: Any, out: dict) -> dict:
        dicts.append({k: [dict(r) for r in v] for k, v in out.items() if v})
        return enc_encode(self, out)

    def write(self: Any, db: Any, chunk: dict) -> None:
        if not encoded:
            with sqlite3.connect(db.url.removeprefix("sqlite:///")) as src, sqlite3.connect(base) as dst:
                src.backup(dst)
        encoded.append(chunk)
        enc_write(self, db, chunk)

    demo._Encoder.encode, demo._Encoder.write, demo.USE_FORK = encode, write, False  # type: ignore[method-assign]
    try:
        db = _fresh(directory / "insert_capture.db")
        demo.seed_demo(db, cases=n, seed=SEED, progress=lambda _d, _t: None)
        db.dispose()
    finally:
        demo._Encoder.encode, demo._Encoder.write, demo.USE_FORK = enc_encode, enc_write, True  # type: ignore[method-assign]
    return base, encoded, dicts


def _timed_seed(directory: Path, n: int) -> float:
    """Seconds spent in seed_demo's case phase (generation in the forked child, writes in this process)."""
    spent: list[float] = []
    original = demo._insert_cases

    def timed(*args: Any) -> None:
        started = time.perf_counter()
        original(*args)
        spent.append(time.perf_counter() - started)

    demo._insert_cases = timed  # type: ignore[assignment]
    try:
        db = _fresh(directory / "insert_seed.db")
        demo.seed_demo(db, cases=n, seed=SEED, progress=lambda _d, _t: None)
        db.dispose()
    finally:
        demo._insert_cases = original  # type: ignore[assignment]
    return spent[0]


def _replay_raw(base: Path, target: Path, chunks: list[dict]) -> float:
    """Plain sqlite3, the app's pragmas, one transaction per chunk: the floor."""
    remove_db(target)
    with sqlite3.connect(base) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    started = time.perf_counter()
    for chunk in chunks:
        conn.execute("BEGIN IMMEDIATE")
        for sql, rows in chunk.values():
            conn.executemany(sql, rows)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def _replay_core(base: Path, target: Path, chunks: list[dict]) -> float:
    """SQLAlchemy Core `conn.execute(insert(table), dicts)` on the app's write engine."""
    remove_db(target)
    with sqlite3.connect(base) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    db = make_database(f"sqlite:///{target}")
    started = time.perf_counter()
    for chunk in chunks:
        with db.write_engine.begin() as c:
            for name, rows in chunk.items():
                c.execute(insert(demo.TABLES[name]), rows)
    seconds = time.perf_counter() - started
    db.dispose()
    return seconds


def measure(directory: Path, n: int, reps: int) -> list[tuple[str, float, float]]:
    """[(path, rows/s, ratio to raw)], medians of `reps` runs."""
    directory.mkdir(parents=True, exist_ok=True)
    base, encoded, dicts = _capture(directory, n)
    rows = sum(len(params) for chunk in encoded for _sql, params in chunk.values())
    raw = statistics.median(_replay_raw(base, directory / "insert_raw.db", encoded) for _ in range(reps))
    core = statistics.median(_replay_core(base, directory / "insert_core.db", dicts) for _ in range(reps))
    seed = statistics.median(_timed_seed(directory, n) for _ in range(reps))
    for name in ("insert_base.db", "insert_raw.db", "insert_core.db", "insert_seed.db", "insert_capture.db"):
        remove_db(directory / name)
    return [
        ("raw sqlite3 executemany (floor)", rows / raw, 1.0),
        ("Core insert(table), dict rows", rows / core, raw / core),
        ("seed_demo case phase (generate + write)", rows / seed, raw / seed),
    ]


# ------------------------------------------------------------------------------------------------ PostgreSQL
# With --url postgresql…: the seed's case phase (COPY, generation in a forked child) against a plain psycopg COPY
# of exactly the same rows into a same-schema empty copy of the case tables (schema bench_floor: the same
# columns, defaults, indexes, checks, foreign keys and non-summary triggers), one transaction per chunk.

FLOOR = "bench_floor"
FOREIGN_KEYS = text(
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE contype = 'f' AND conrelid = CAST(:t AS regclass)"
)
TRIGGERS = text(
    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = CAST(:t AS regclass)"
)
# What the seed's load runs without: the summary triggers (stats_*, dropped) and the 0006 derivations (disabled).
SEED_OFF = {trigger for _table, trigger in DERIVATION_TRIGGERS}


def _pg_reset(db: Any) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.write_engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {FLOOR} CASCADE"))
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    with db.write() as s:
        ensure_reference_data(s)


def _pg_capture(db: Any, n: int) -> list[list[tuple[str, list[tuple[Any, ...]]]]]:
    """One untimed seed that keeps every encoded chunk (COPY statement, row tuples)."""
    chunks: list[list[tuple[str, list[tuple[Any, ...]]]]] = []
    enc_write = demo._Encoder.write

    def write(self: Any, db_: Any, chunk: dict[str, Any]) -> None:
        chunks.append([(sql, list(rows)) for sql, rows in self.copy_items(chunk)])
        enc_write(self, db_, chunk)

    _pg_reset(db)
    demo._Encoder.write, demo.USE_FORK = write, False  # type: ignore[method-assign,assignment]
    try:
        demo.seed_demo(db, cases=n, seed=SEED, progress=lambda _d, _t: None)
    finally:
        demo._Encoder.write, demo.USE_FORK = enc_write, True  # type: ignore[method-assign]
    if not all(sql.startswith("COPY ") for chunk in chunks for sql, _rows in chunk):
        raise SystemExit("the seed did not load by COPY (psycopg 3 and bulk.USE_COPY are needed)")
    return chunks


def _pg_timed_seed(db: Any, n: int, *, keep_triggers: bool = False) -> tuple[float, float, float]:
    """(case phase, summaries, whole seed) seconds of a seed into the emptied database. `keep_triggers`: the
    summary triggers stay on during the load (a delta upsert per row) and only the paid summary is rebuilt."""
    spent: dict[str, float] = {}
    original, suspended = demo._insert_cases, summary.suspended

    def timed(*args: Any) -> None:
        started = time.perf_counter()
        original(*args)
        spent["cases"] = time.perf_counter() - started

    @contextmanager
    def kept(db_: Any) -> Iterator[None]:
        yield
        summary.rebuild(db_, cases=False)

    @contextmanager
    def timed_suspended(db_: Any) -> Iterator[None]:
        with suspended(db_):
            yield
            spent["summary_from"] = time.perf_counter()
        spent["summaries"] = time.perf_counter() - spent["summary_from"]

    _pg_reset(db)
    demo._insert_cases = timed  # type: ignore[assignment]
    setattr(demo, "summaries_suspended", kept if keep_triggers else timed_suspended)  # noqa: B010
    try:
        started = time.perf_counter()
        demo.seed_demo(db, cases=n, seed=SEED, progress=lambda _d, _t: None)
        whole = time.perf_counter() - started
    finally:
        demo._insert_cases = original
        setattr(demo, "summaries_suspended", suspended)  # noqa: B010
    return spent["cases"], spent.get("summaries", 0.0), whole


def _pg_make_floor(db: Any) -> None:
    """Schema bench_floor: an empty copy of the case tables, foreign keys to each other (else to public)."""
    names = [t.name for t in CASE_TABLES_CORE]
    with db.write_engine.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {FLOOR} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {FLOOR}"))
        c.execute(text("SET LOCAL search_path = public"))
        fks, triggers = [], []
        for name in names:
            table = {"t": f'public."{name}"'}
            c.execute(text(f'CREATE TABLE {FLOOR}."{name}" (LIKE public."{name}" INCLUDING ALL)'))
            for con, definition in c.execute(FOREIGN_KEYS, table):
                fks.append(f'ALTER TABLE {FLOOR}."{name}" ADD CONSTRAINT "{con}" {definition}')
            for trigger, definition in c.execute(TRIGGERS, table):
                if trigger not in SEED_OFF and not trigger.startswith("stats_"):
                    on = f'ON {FLOOR}."{name}" '
                    triggers.append(definition.replace(f'ON public."{name}" ', on).replace(f"ON public.{name} ", on))
        c.execute(text(f"SET LOCAL search_path = {FLOOR}, public"))  # references to the case tables: the copies
        for statement in fks + triggers:
            c.execute(text(statement))


def _pg_replay(url: str, chunks: list[list[tuple[str, list[tuple[Any, ...]]]]]) -> float:
    """Plain psycopg: the same COPY statements and rows into bench_floor, one transaction per chunk."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        names = ", ".join(f'{FLOOR}."{t.name}"' for t in CASE_TABLES_CORE)
        conn.execute(f"TRUNCATE {names}")
        conn.execute(f"SET search_path = {FLOOR}, public")
        conn.commit()
        started = time.perf_counter()
        for chunk in chunks:
            with conn.cursor() as cur:
                for sql, rows in chunk:
                    with cur.copy(sql) as copy:
                        for r in rows:
                            copy.write_row(r)
            conn.commit()
        return time.perf_counter() - started


def measure_pg(url: str, n: int, reps: int) -> list[tuple[str, float, float]]:
    """[(path, rows/s, ratio to the plain COPY)], medians of `reps` runs, on the (emptied) database at `url`."""
    upgrade(url)
    db = make_database(url)
    chunks = _pg_capture(db, n)
    rows = sum(len(r) for chunk in chunks for _sql, r in chunk)
    seeds = [_pg_timed_seed(db, n) for _ in range(reps)]
    _pg_make_floor(db)  # after a seed: the rows' parents (organisations, staff, payout batches) are in public
    floor = statistics.median(_pg_replay(url, chunks) for _ in range(reps))
    kept = statistics.median(_pg_timed_seed(db, n, keep_triggers=True)[2] for _ in range(reps))
    _pg_reset(db)
    db.dispose()
    seed = statistics.median(s[0] for s in seeds)
    rebuilt = statistics.median(s[1] for s in seeds)
    whole = statistics.median(s[2] for s in seeds)
    return [
        ("plain psycopg COPY (floor)", rows / floor, 1.0),
        ("seed_demo case phase (generate + COPY)", rows / seed, floor / seed),
        (f"  then the summary rebuild: {rebuilt:.1f} s", rows / (seed + rebuilt), floor / (seed + rebuilt)),
        (f"whole seed, summary triggers dropped: {whole:.1f} s", rows / whole, floor / whole),
        (f"whole seed, summary triggers kept: {kept:.1f} s", rows / kept, floor / kept),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bulk insert: seed_demo against the plain driver")
    ap.add_argument("--url", help="a PostgreSQL URL (its database is emptied); default: SQLite files in --dir")
    ap.add_argument("--dir", default="/tmp/mh_bench")
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"== bulk insert, {args.cases:,} cases with every row that hangs off them ({args.url or 'SQLite'})")
    print(f"{'path':<52}{'rows/s':>12}{'vs floor':>10}")
    if args.url:
        results = measure_pg(args.url, args.cases, args.reps)
    else:
        results = measure(Path(args.dir), args.cases, args.reps)
    for name, rate, ratio in results:
        print(f"{name:<52}{rate:>12,.0f}{ratio:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
