"""Hand-built statistics data: cases bulk-inserted with SQLAlchemy Core (fast), so the database triggers
derive the outcome columns exactly as they do for the demo and the importer."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from models import Agreement, Case, FollowUp, JudicialConfirmation, Organisation

_no = itertools.count(1)
TODAY = date(2026, 6, 15)


def case_row(org: Organisation, received: date, **fields: Any) -> dict[str, Any]:
    """One case's columns; received at noon UTC on `received`."""
    at = datetime(received.year, received.month, received.day, 12, tzinfo=UTC)
    row: dict[str, Any] = {
        "case_no": f"T-{next(_no):07d}",
        "org_id": org.id,
        "county_id": org.county_id,
        "source": "walk_in",
        "category": "neighbour",
        "status": "submitted",
        "received_at": at,
        "received_month": received.year * 100 + received.month,
        "risk_flags": [],
        "custom": {},
        "accept_due": received + timedelta(days=3),
        "conclude_due": received + timedelta(days=33),
    }
    row.update(fields)
    return row


def insert_cases(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows (Core executemany, one statement) and return their ids in order."""
    if not rows:
        return []
    session.execute(insert(Case), rows)
    nos = [r["case_no"] for r in rows]
    from sqlmodel import col, select

    ids = dict(session.exec(select(Case.case_no, Case.id).where(col(Case.case_no).in_(nos))).all())
    return [ids[n] for n in nos]


def many(org: Organisation, n: int, received: date, **fields: Any) -> list[dict[str, Any]]:
    return [case_row(org, received + timedelta(days=i % 20), **fields) for i in range(n)]


def add_agreement(
    session: Session,
    case_id: int,
    *,
    kind: str = "written",
    performance: str = "pending",
    due: date | None = None,
    version: int = 1,
) -> None:
    session.execute(
        insert(Agreement),
        [
            {
                "case_id": case_id,
                "version": version,
                "kind": kind,
                "terms": "双方和解",
                "performance": performance,
                "performance_due": due,
                "signed_at": datetime(2026, 1, 5, tzinfo=UTC),
            }
        ],
    )


def add_confirmation(session: Session, case_id: int, court: Organisation, result: str = "confirmed") -> None:
    session.execute(
        insert(JudicialConfirmation),
        [
            {
                "case_id": case_id,
                "court_org_id": court.id,
                "result": result,
                "applied_at": datetime(2026, 1, 6, tzinfo=UTC),
            }
        ],
    )


def add_follow_up(
    session: Session, case_id: int, satisfaction: int | None, *, due: date | None = None, done: bool = True
) -> None:
    session.execute(
        insert(FollowUp),
        [
            {
                "case_id": case_id,
                "satisfaction": satisfaction,
                "due": due,
                "done_at": datetime(2026, 2, 1, tzinfo=UTC) if done else None,
            }
        ],
    )


def seed_figures(session: Session, org: Organisation, petition_org: Organisation) -> None:
    """The seeds' numbers, in 2025: at `org` 654 received / 601 succeeded / 53 failed, all mediated; at
    `petition_org` 503 petition cases of which 460 mediated (307 succeeded, 153 failed) and 43 never."""
    d = date(2025, 3, 1)
    ok_statuses = itertools.cycle(["succeeded", "followed_up", "archived"])
    rows = [case_row(org, d + timedelta(days=i % 250), status=next(ok_statuses)) for i in range(601)]
    rows += [case_row(org, d + timedelta(days=i % 250), status="failed", diversion="litigation") for i in range(40)]
    rows += [case_row(org, d + timedelta(days=i), status="archived", diversion="arbitration") for i in range(13)]
    petition = (
        [("succeeded", None)] * 307
        + [("failed", "litigation")] * 153
        + [("withdrawn", None)] * 20
        + [("rejected", None)] * 10
        + [("in_mediation", None)] * 8
        + [("submitted", None)] * 5
    )
    rows += [
        case_row(
            petition_org,
            d + timedelta(days=i % 200),
            source="petition",
            category="land_acquisition",
            status=st,
            diversion=div,
            reject_reason="duplicate" if st == "rejected" else None,
        )
        for i, (st, div) in enumerate(petition)
    ]
    insert_cases(session, rows)


def seed_decline(session: Session, org: Organisation) -> None:
    """110 hand-overs: 4,305 in 2024 and 2,922 in 2025 (a 32.13 % fall year on year)."""
    rows = [
        case_row(org, date(2024, 1, 1) + timedelta(days=i % 366), source="dispatch_110", status="succeeded")
        for i in range(4305)
    ]
    rows += [
        case_row(org, date(2025, 1, 1) + timedelta(days=i % 365), source="dispatch_110", status="succeeded")
        for i in range(2922)
    ]
    insert_cases(session, rows)
