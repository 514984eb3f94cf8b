"""PRIV-3 (no residue after retention) and PRIV-5 (no plaintext ID numbers at rest; exact-match search works).

SQLite: the .db and -wal bytes, an export and the next backup are searched for the canaries.
PostgreSQL: after VACUUM, no query over any text or JSON column of any table returns a canary; file-level
residue there needs VACUUM FULL (see services/privacy/retention.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from models import Organisation
from services.cases.create import CaseInput, create_case
from services.cases.workbench import search_cases
from services.core.backup import backup
from services.privacy.retention import run_retention
from tests.factories import make_actor
from tests.privacy.canary import Canary, db_bytes, forms, hits, seed, village

SUBJECTS = 20  # 10 old cases, two people each


def _text_columns(db):
    insp = inspect(db.read_engine)
    for table in insp.get_table_names():
        for c in insp.get_columns(table):
            kind = str(c["type"]).upper()
            if any(k in kind for k in ("CHAR", "TEXT", "JSON", "STRING")):
                yield table, c["name"]


def _query_hits(db, values: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text or JSON column of any table whose content holds a canary value."""
    found = []
    with db.read_engine.connect() as c:
        for table, column in _text_columns(db):
            rows = c.execute(text(f'SELECT CAST("{column}" AS TEXT) FROM "{table}" WHERE "{column}" IS NOT NULL'))
            blob = "\n".join(r[0] for r in rows if r[0])
            found += [(table, column, v) for v in values if any(f in blob for f in forms(v))]
    return found


def test_retention_leaves_no_residue(db, tmp_path: Path):
    old, _ = seed(db, SUBJECTS // 2, 4)
    people = [Canary(i) for i in range(SUBJECTS)]
    survivors = [Canary(i) for i in range(SUBJECTS, SUBJECTS + 8)]
    if db.dialect == "sqlite":
        assert hits(db_bytes(db), people)  # the canaries are really there before the run
    report = run_retention(db)
    assert report.anonymised == len(old)
    assert _query_hits(db, [v for p in people for v in p.values()]) == []
    assert _query_hits(db, [survivors[0].name])  # the cases not yet due keep their data
    if db.dialect != "sqlite":
        return
    db.dispose()  # nothing holds the file open: the WAL was truncated by the job
    raw = db_bytes(db)
    assert hits(raw, people) == []
    wal = Path(db.url.removeprefix("sqlite:///") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "after.db"
    backup(db.url, str(copy))
    assert hits(copy.read_bytes(), people) == []


def test_id_numbers_are_not_stored_in_plaintext(db, tmp_path: Path):
    org = village(db)
    people = [Canary(500 + i) for i in range(20)]
    with db.write() as s:
        for a, b in zip(people[::2], people[1::2], strict=True):
            create_case(
                s,
                actor_id=None,
                data=CaseInput(
                    org_id=org.id or 0,
                    source="walk_in",
                    category="neighbour",
                    description="排水沟纠纷",
                    parties=[a.party("applicant"), b.party("respondent")],
                ),
            )
    ids = [p.id_number for p in people]
    assert _query_hits(db, ids) == []
    if db.dialect == "sqlite":
        copy = tmp_path / "b.db"
        backup(db.url, str(copy))
        blob = db_bytes(db) + copy.read_bytes()
        assert [i for i in ids if i.encode() in blob] == []
    with db.write() as s:
        staff = make_actor(s, s.exec(select(Organisation).where(Organisation.code == "C1")).one(), ["coordinator"])
        found = [len(search_cases(s, actor=staff, query=i)) for i in ids]
    assert found == [1] * len(ids)  # exact match by blind index still works


@pytest.mark.parametrize("dry_run", [True])
def test_retention_dry_run_keeps_everything(db, dry_run):
    seed(db, 2, 0)
    run_retention(db, dry_run=dry_run)
    assert _query_hits(db, [Canary(0).name])
