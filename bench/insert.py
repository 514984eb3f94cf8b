"""Bulk insert: seed_demo's case phase against plain sqlite3 executemany of exactly the same rows."""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from build import SEED, remove_db
from sqlalchemy import insert

from services.core.bootstrap import ensure_reference_data
from services.core.db import SQLITE_PRAGMAS, make_database
from services.core.migrate import upgrade
from services.demo import seed as demo


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
