"""One person's disputes: other cases sharing a party's ID-number or phone blind index (never the numbers).

`same_person_pairs` is the one matching query: the risk rule counts repeats over every case, the case page lists
only the other cases in the actor's area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import Case, Organisation, Party
from services.access.authz import Actor, case_in_scope_clause, get_case_in_scope


def same_person_pairs(
    session: Session,
    case_ids: Iterable[int],
    *,
    window_days: int | None = None,
    other_where: ColumnElement[bool] | None = None,
) -> dict[int, set[int]]:
    """case id → the other cases with a party of the same ID number or phone (blind indexes), optionally received
    within `window_days` of the case and matching `other_where` (a clause on Case, the other case)."""
    ids = sorted(set(case_ids))
    found: dict[int, set[int]] = {i: set() for i in ids}
    window = timedelta(days=window_days) if window_days is not None else None
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        selects = [_pairs(chunk, column, other_where) for column in ("id_number_index", "phone_index")]
        for mine, other, at1, at2 in session.execute(union(*selects)).all():
            if window is None or abs(_aware(at1) - _aware(at2)) <= window:  # in Python: no portable date arithmetic
                found[int(mine)].add(int(other))
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pairs(ids: list[int], column: str, other_where: ColumnElement[bool] | None) -> Any:
    p1, p2 = aliased(Party), aliased(Party)
    c1, c2 = aliased(Case), aliased(Case)
    key1, key2 = getattr(p1, column), getattr(p2, column)
    stmt = (
        select(p1.case_id, p2.case_id, c1.received_at, c2.received_at)
        .join(p2, key2 == key1)
        .join(c1, col(c1.id) == p1.case_id)
        .join(c2, col(c2.id) == p2.case_id)
        .where(col(p1.case_id).in_(ids), key1.is_not(None), key1 != "", p2.case_id != p1.case_id)
    )
    if other_where is not None:
        stmt = stmt.where(col(c2.id).in_(select(Case.id).where(other_where)))
    return stmt


@dataclass(frozen=True)
class OtherCase:
    """Another dispute of the same person, as the case page lists it (no personal numbers)."""

    id: int
    case_no: str
    status: str
    category: str
    org_name: str
    received_at: datetime


def person_disputes(session: Session, *, actor: Actor, case_id: int) -> list[OtherCase]:
    """The other cases in the actor's area with a party of the same ID number or phone as this case, newest first."""
    get_case_in_scope(session, actor, case_id)
    others = same_person_pairs(session, [case_id], other_where=case_in_scope_clause(actor))[case_id]
    if not others:
        return []
    rows = session.exec(
        select(Case, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(Case.org_id))
        .where(col(Case.id).in_(sorted(others)))
        .order_by(col(Case.received_at).desc())
        .limit(50)
    ).all()
    return [OtherCase(c.id or 0, c.case_no, c.status, c.category, name, c.received_at) for c, name in rows]
