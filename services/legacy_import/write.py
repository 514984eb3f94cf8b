"""Writing a checked ledger: numbering blank rows past CaseCounter, the case rows, and their agreement, court
confirmation, follow-up and timeline rows, all through SQLAlchemy Core executemany in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlmodel import Session, SQLModel, col, select

from models import Agreement, CaseCounter, CaseEvent, FollowUp, JudicialConfirmation, Organisation
from models.base import utc_now
from services.access.authz import Actor
from services.cases import states
from services.legacy_import.format import Parsed

CHUNK = 5_000
COURT_KINDS = ("court", "court_room")
RECEIVED_HOUR = dtime(4, 0, tzinfo=UTC)  # noon in Beijing: the UTC date is the ledger's date


def at(day: date | None) -> datetime | None:
    """A ledger date as the moment stored (noon in Beijing, so the UTC date is the same day)."""
    return None if day is None else datetime.combine(day, RECEIVED_HOUR)


def case_row(p: Parsed, numbers: dict[int, str], actor: Actor, batch: str) -> dict[str, Any]:
    """The case table's columns for one checked row (the statistics columns set here, as the triggers would)."""
    received = at(p.received_on)
    concluded = at(p.closed_on) if p.status not in states.OPEN else None
    success = p.status in states.SUCCEEDED
    outcome = "succeeded" if success else p.status if p.status in states.CONCLUDED_OR_REJECTED else None
    custom: dict[str, Any] = {"import": batch}
    if p.mediator_name and p.mediator_id is None:
        custom["mediator_name"] = p.mediator_name
    return {
        "case_no": p.case_no or numbers[p.line],
        "org_id": p.org[0],
        "county_id": p.org[2],
        "mediator_id": p.mediator_id,
        "source": p.source,
        "category": p.category,
        "status": p.status,
        "title": p.summary[:120],
        "description": p.summary,
        "received_at": received,
        "received_month": p.received_on.year * 100 + p.received_on.month,
        "accepted_at": received if p.status not in states.UNACCEPTED else None,
        "concluded_at": concluded,
        "archived_at": concluded if p.status == "archived" else None,
        "grade_proposed": p.grade,
        "on_the_spot": p.source == "on_the_spot",
        "pre_litigation": p.source == "court_entrust",
        "risk_flags": [],
        "custom": custom,
        "created_by": actor.user_id,
        "outcome": outcome,
        "agreement_kind": p.agreement if success else None,
        "performance": p.performance if success else None,
        "confirmed": p.confirmed and success,
        "satisfaction": p.satisfaction if success else None,
    }


def table(model: type[SQLModel]) -> Table:
    """The Core table of a model."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def insert_children(session: Session, rows: Iterable[Parsed], ids: dict[int, int], actor: Actor) -> None:
    """The agreement, court confirmation and follow-up a row records, and one timeline line per case."""
    conn = session.connection()
    agreements, rulings, follow_ups, events = [], [], [], []
    look_courts = _courts(session)
    for p in rows:
        cid = ids[p.line]
        signed = at(p.closed_on or p.received_on)
        if p.agreement and p.status in states.SUCCEEDED:
            agreements.append(
                {
                    "case_id": cid,
                    "version": 1,
                    "kind": p.agreement,
                    "terms": "（历史台账导入）",
                    "performance": p.performance or "pending",
                    "signed_at": signed,
                    "recorded_by": actor.user_id,
                }
            )
        court = look_courts.get(p.org[2])
        if p.confirmed and court is not None and p.status in states.SUCCEEDED:
            rulings.append(
                {
                    "case_id": cid,
                    "court_org_id": court,
                    "result": "confirmed",
                    "applied_at": signed,
                    "decided_at": signed,
                    "applied_by": actor.user_id,
                }
            )
        if p.satisfaction is not None and p.status in states.SUCCEEDED:
            follow_ups.append(
                {"case_id": cid, "done_at": signed, "satisfaction": p.satisfaction, "recorded_by": actor.user_id}
            )
        events.append(
            {
                "case_id": cid,
                "actor_id": actor.user_id,
                "kind": "imported",
                "to_status": p.status,
                "at": utc_now(),
                "note": "",
                "data": {"row": p.line},
            }
        )
    for model, batch in (
        (Agreement, agreements),
        (JudicialConfirmation, rulings),
        (FollowUp, follow_ups),
        (CaseEvent, events),
    ):
        for i in range(0, len(batch), CHUNK):
            conn.execute(insert(table(model)), batch[i : i + CHUNK])


def _courts(session: Session) -> dict[int | None, int]:
    rows = session.exec(
        select(Organisation.county_id, Organisation.id)
        .where(col(Organisation.kind).in_(COURT_KINDS))
        .order_by(col(Organisation.id))
    ).all()
    out: dict[int | None, int] = {}
    for county, oid in rows:
        out.setdefault(county, int(oid or 0))
    return out


def number_blanks(session: Session, rows: list[Parsed]) -> dict[int, str]:
    """Move each (organisation, year) counter past the file's numbers; the numbers of the blank rows by line."""
    pattern = re.compile(r"^(\d{4})-(.+)-(\d+)$")
    highest: dict[tuple[int, int], int] = {}
    for p in rows:
        m = pattern.match(p.case_no)
        if m and m[2].upper() == p.org[1].upper():
            key = (p.org[0], int(m[1]))
            highest[key] = max(highest.get(key, 0), int(m[3]))
    blanks = [p for p in rows if not p.case_no]
    keys = set(highest) | {(p.org[0], p.received_on.year) for p in blanks}
    locked = select(CaseCounter).where(col(CaseCounter.org_id).in_({k[0] for k in keys})).with_for_update()
    counters = {(c.org_id, c.year): c for c in session.exec(locked).all() if (c.org_id, c.year) in keys}
    last = {k: max(highest.get(k, 0), counters[k].last if k in counters else 0) for k in keys}
    numbers: dict[int, str] = {}
    for p in blanks:
        key = (p.org[0], p.received_on.year)
        last[key] += 1
        numbers[p.line] = f"{key[1]}-{p.org[1]}-{last[key]:05d}"
    for key, value in last.items():
        if key in counters:
            session.execute(update(CaseCounter).where(col(CaseCounter.id) == counters[key].id).values(last=value))
        else:
            session.add(CaseCounter(org_id=key[0], year=key[1], last=value))
    session.flush()
    return numbers
