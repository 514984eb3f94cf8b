"""Build (or reuse) the benchmark databases: SQLite files seeded with services.demo.seed.seed_demo."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from alembic.script import ScriptDirectory

from services.core.bootstrap import ensure_reference_data
from services.core.db import make_database
from services.core.migrate import alembic_config, upgrade
from services.demo import seed as demo

SEED = 1


def schema_head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def ensure_db(directory: Path, n: int, *, rebuild: bool = False, analyze: bool = False) -> tuple[Path, dict]:
    """The database with n demo cases, rebuilt when missing, stale (older schema) or asked to."""
    directory.mkdir(parents=True, exist_ok=True)
    demo.LOGINS_FILE = directory / "demo_logins.txt"  # never overwrite the developer's data/demo_logins.txt
    path, meta_path = directory / f"mh_{n}.db", directory / f"mh_{n}.json"
    head = schema_head()
    if path.exists() and meta_path.exists() and not rebuild:
        meta = json.loads(meta_path.read_text())
        if (meta.get("head"), meta.get("n"), meta.get("seed"), meta.get("analyze")) == (head, n, SEED, analyze):
            return path, meta
    remove_db(path)
    url = f"sqlite:///{path}"
    upgrade(url)
    db = make_database(url)
    with db.write() as s:
        ensure_reference_data(s)
    started = time.perf_counter()
    demo.seed_demo(db, cases=n, seed=SEED)
    seconds = time.perf_counter() - started
    db.dispose()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if analyze:  # the app never runs ANALYZE today, so by default the planner works without statistics
            c.execute("ANALYZE")
    meta = {
        "n": n,
        "seed": SEED,
        "head": head,
        "analyze": analyze,
        "seed_seconds": round(seconds, 1),
        "bytes": path.stat().st_size,
    }
    meta_path.write_text(json.dumps(meta))
    return path, meta
