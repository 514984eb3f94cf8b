"""The tables the demo generator writes directly, the shape of its rows and its running primary keys."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, func
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel

from models import (
    Agreement,
    BoardPost,
    Budget,
    Case,
    CaseCounter,
    CaseEvent,
    ChecklistState,
    FollowUp,
    GradeAudit,
    JudicialConfirmation,
    LedgerEntry,
    MediationSession,
    Mediator,
    MediatorPosting,
    Party,
    PayoutBatch,
    Rating,
    Referral,
    SubsidyClaim,
    TitleAward,
    TrainingRecord,
)
from services.core.db import Database

Row = dict[str, Any]
Rows = dict[str, list[Row]]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel class."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


# Parents before children (the write order inside a chunk).
CASE_TABLES = (
    Case,
    Party,
    Referral,
    CaseEvent,
    MediationSession,
    Agreement,
    JudicialConfirmation,
    FollowUp,
    GradeAudit,
    SubsidyClaim,
    LedgerEntry,
)
BULK_TABLES = (
    *CASE_TABLES,
    Mediator,
    MediatorPosting,
    TrainingRecord,
    PayoutBatch,
    CaseCounter,
    Budget,
    Rating,
    TitleAward,
    ChecklistState,
    BoardPost,
)
TABLES = {table_of(m).name: table_of(m) for m in BULK_TABLES}
# Tables newer than the generator's first version are used when the models have them.
TABLES.update({n: SQLModel.metadata.tables[n] for n in ("trainingsession",) if n in SQLModel.metadata.tables})


def empty_case_rows() -> Rows:
    """One empty list per case table, in write order."""
    return {table_of(m).name: [] for m in CASE_TABLES}


class IdCounters:
    """Running primary-key counters, one per table, starting after what the database holds."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = start

    @classmethod
    def load(cls, db: Database) -> IdCounters:
        """Counters starting after the highest id of each table."""
        start = {}
        with db.read_engine.connect() as c:
            for t in TABLES.values():
                start[t.name] = int(c.execute(sa_select(func.coalesce(func.max(t.c.id), 0))).scalar_one()) + 1
        return cls(start)

    def take(self, table: str) -> int:
        """The next id of `table`."""
        n = self.next[table]
        self.next[table] = n + 1
        return n
