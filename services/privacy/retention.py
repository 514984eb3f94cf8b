"""The retention job: anonymise closed cases older than the configured period, then leave no residue.

The period is the ConfigVersion "retention" ({"years_after_close": N}, default 3, services/core/bootstrap.py).
A case is eligible when its status is closed, it has not been anonymised yet, and its closing time
(archived, else concluded, else received) lies before today minus the period. Each batch of cases is one
short write transaction; a run that stopped is started again and carries on (anonymised cases are skipped).

Residue: SQLite runs with secure_delete=ON, so replaced cells and freed pages are zeroed; after the run
the WAL is checkpointed and truncated, so neither the .db nor the -wal keeps the old text. On PostgreSQL
old row versions stay in the table files until VACUUM marks them free and new rows overwrite them; the
job runs VACUUM on the tables it touched; only VACUUM FULL (which locks the tables) rewrites the files.
Backups made before the run keep the data until the backup rotation drops them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from models import Case, ConfigVersion
from models.base import utc_now
from services.cases import states
from services.core import audit
from services.core.db import Database
from services.privacy.scrub import TEXT_COLUMNS, anonymise_case

log = logging.getLogger("mediation.retention")
DEFAULT_YEARS = 3
BATCH = 50
VACUUM_TABLES = ("case", "party", "attachment", "partyconfirmation", *(str(m.__tablename__) for m, _ in TEXT_COLUMNS))


@dataclass
class RetentionReport:
    """One run: the cut-off, how many cases were eligible and anonymised, and the rows changed."""

    cutoff: str
    years: int
    dry_run: bool
    eligible: int = 0
    anonymised: int = 0
    rows: int = 0
    case_ids: list[int] = field(default_factory=list, repr=False)


def retention_years(session: Session) -> int:
    """The period in force: years after closing that a case keeps its personal data."""
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == "retention").order_by(col(ConfigVersion.version).desc())
    ).first()
    years = (row.value or {}).get("years_after_close", DEFAULT_YEARS) if row else DEFAULT_YEARS
    return max(1, int(years))


def cutoff_for(years: int, now: datetime | None = None) -> datetime:
    """The moment before which a closing is old enough (29 February falls back to the 28th)."""
    now = now or utc_now()
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _closed_at() -> object:
    return func.coalesce(Case.archived_at, Case.concluded_at, Case.received_at)


def eligible_ids(session: Session, cutoff: datetime, limit: int | None = None) -> list[int]:
    """Ids of closed, not yet anonymised cases whose closing lies before the cut-off."""
    stmt = (
        select(Case.id)
        .where(
            col(Case.status).in_(states.CLOSED),
            col(Case.anonymised_at).is_(None),
            _closed_at() < cutoff.astimezone(UTC),  # type: ignore[operator]
        )
        .order_by(col(Case.id))
    )
    if limit:
        stmt = stmt.limit(limit)
    return [i for i in session.exec(stmt).all() if i is not None]


def run_retention(
    db: Database, *, dry_run: bool = False, now: datetime | None = None, batch: int = BATCH
) -> RetentionReport:
    """Anonymise every eligible case (or, dry run, only count them); log and audit a run report."""
    with db.read() as s:
        years = retention_years(s)
        cutoff = cutoff_for(years, now)
        pending = eligible_ids(s, cutoff)
    report = RetentionReport(cutoff=cutoff.isoformat(), years=years, dry_run=dry_run, eligible=len(pending))
    if not dry_run:
        for start in range(0, len(pending), batch):
            with db.write() as s:
                for case in s.exec(
                    select(Case).where(
                        col(Case.id).in_(pending[start : start + batch]), col(Case.anonymised_at).is_(None)
                    )
                ).all():
                    report.rows += anonymise_case(s, case)
                    report.anonymised += 1
                    report.case_ids.append(case.id or 0)
        purge_residue(db)
    with db.write() as s:
        audit.record(
            s,
            action="retention.run",
            entity="case",
            cutoff=report.cutoff,
            years=years,
            dry_run=dry_run,
            eligible=report.eligible,
            anonymised=report.anonymised,
            rows=report.rows,
        )
    log.info(
        "retention run: cutoff=%s years=%d dry_run=%s eligible=%d anonymised=%d rows=%d",
        report.cutoff,
        years,
        dry_run,
        report.eligible,
        report.anonymised,
        report.rows,
    )
    return report


def purge_residue(db: Database) -> None:
    """SQLite: checkpoint and truncate the WAL. PostgreSQL: VACUUM the tables the job rewrites."""
    if db.dialect == "sqlite":
        raw = db.write_engine.raw_connection()  # outside any transaction (the engine's BEGIN would block it)
        try:
            busy = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]  # type: ignore[union-attr]
            if busy:  # a reader kept an old snapshot open: the next run (or the next checkpoint) finishes it
                log.warning("retention: WAL checkpoint incomplete (a reader is open); run it again later")
        finally:
            raw.close()
        return
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in VACUUM_TABLES:
            c.execute(text(f'VACUUM (ANALYZE) "{table}"'))
