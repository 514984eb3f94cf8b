"""Issue 21: on PostgreSQL the demo seed loads its bulk tables by COPY; the data equals the executemany path's."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from services.core.bootstrap import ensure_reference_data
from services.core.config import get_settings
from services.core.db import Database, make_database
from services.core.security import decrypt_id
from services.demo import bulk
from services.demo import seed as demo
from services.demo.tables import TABLES
from services.stats import summary

TODAY = date(2026, 6, 15)
# Written from the clock: not compared. Encrypted columns (a random IV each time) are compared decrypted.
CLOCK_COLUMNS = {"created_at"}


def _reset(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with db.write_engine.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    with db.write() as s:
        ensure_reference_data(s)


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with db.read_engine.connect() as c:
        for name, table in TABLES.items():
            cols = [col for col in table.columns if col.key not in CLOCK_COLUMNS]
            rows = c.execute(select(*cols).order_by(table.c.id))
            enc = [i for i, col in enumerate(cols) if col.key.endswith("_enc")]
            out[name] = [tuple(_plain(v) if i in enc else v for i, v in enumerate(r)) for r in rows]
    return out


def _plain(token: str | None) -> str | None:
    return decrypt_id(token, [get_settings().data_key]) if token else token


def _seeded(db: Database, *, copy: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[Any, ...]]]:
    _reset(db)
    monkeypatch.setattr(bulk, "USE_COPY", copy)
    demo.seed_demo(db, cases=300, seed=7, password="demo-passphrase-2026", today=TODAY, progress=lambda _d, _t: None)
    with db.read() as s:
        assert summary.differences(s) == []  # the summaries equal a recount after either load
    return _dump(db)


def test_copy_and_executemany_seed_the_same_rows(pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "CHUNK_CASES", 100)  # three chunks: the forked generator pipeline runs
    monkeypatch.setattr(demo, "LOGINS_FILE", tmp_path / "demo_logins.txt")
    db = make_database(pg_url)
    try:
        by_copy = _seeded(db, copy=True, monkeypatch=monkeypatch)
        by_insert = _seeded(db, copy=False, monkeypatch=monkeypatch)
    finally:
        db.dispose()
    assert sum(len(rows) for rows in by_copy.values()) > 3000
    for name in TABLES:
        assert by_copy[name] == by_insert[name], name


def test_copy_is_used_on_psycopg(pg_url: str) -> None:
    db = make_database(pg_url)
    try:
        assert bulk.Encoder(db.write_engine.dialect).copy
    finally:
        db.dispose()
