"""Shared pieces of the reliability battery: a real case to write, and the checks every test runs after."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from services.cases.create import CaseInput, PartyInput, create_case
from services.core.db import Database

# A case the way the app files one: the case, two parties, the "created" event and an audit row, one transaction.
HALF_WRITTEN = text(
    'SELECT count(*) FROM "case" c WHERE '
    "(SELECT count(*) FROM party p WHERE p.case_id = c.id) <> 2 OR "
    "NOT EXISTS (SELECT 1 FROM caseevent e WHERE e.case_id = c.id AND e.kind = 'created')"
)


def case_input(org_id: int, n: int = 0, description: str = "") -> CaseInput:
    """A walk-in dispute with two parties (the n-th one of a run)."""
    return CaseInput(
        org_id=org_id,
        source="walk_in",
        category="neighbour",
        description=description or f"第{n}件：排水沟堵塞，两家发生争执",
        parties=[
            PartyInput(side="applicant", name=f"张{n}", phone="13800000000"),
            PartyInput(side="respondent", name=f"李{n}", address="东村3组"),
        ],
    )


def file_case(db: Database, org_id: int, n: int = 0, description: str = "") -> int:
    """Register one case through services.cases.create in one write transaction; return its id."""
    with db.write() as s:
        return create_case(s, data=case_input(org_id, n, description), actor_id=None).id or 0


def counts(session: Session) -> tuple[int, int, int]:
    """(cases, parties, half-written cases)."""
    cases = session.exec(text('SELECT count(*) FROM "case"')).one()[0]  # type: ignore[call-overload]
    parties = session.exec(text("SELECT count(*) FROM party")).one()[0]  # type: ignore[call-overload]
    half = session.exec(HALF_WRITTEN).one()[0]  # type: ignore[call-overload]
    return cases, parties, half


def integrity(path: str | Path) -> str:
    """PRAGMA integrity_check of a SQLite file, joined ("ok" when sound)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as c:
        return "; ".join(row[0] for row in c.execute("PRAGMA integrity_check").fetchall())


def sqlite_path(db: Database) -> str:
    return db.url.removeprefix("sqlite:///")
