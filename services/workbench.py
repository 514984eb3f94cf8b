"""The staff workbench: counts and a keyset-paged case list within the actor's subtree, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Case, CaseStatus, Organisation, Party
from models.base import utc_now
from services.authz import Actor, case_in_scope_clause, require
from services.permissions import P
from services.security import mask_name

OPEN_STATES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.IN_MEDIATION)


@dataclass(frozen=True)
class CaseRow:
    """A case as a list shows it: no full names, phones, ID numbers or addresses."""

    id: int
    case_no: str
    status: str
    category: str
    source: str
    org_name: str
    received_on: date
    parties: str
    high_risk: bool
    overdue: bool


@dataclass(frozen=True)
class Counts:
    submitted: int
    open: int
    high_risk: int
    overdue: int


def count_cases(session: Session, *, actor: Actor) -> Counts:
    """Headline counts of open work in the actor's subtree (one aggregate query)."""
    require(actor, P.CASE_VIEW)
    today = utc_now().date()
    is_open = col(Case.status).in_(OPEN_STATES)
    overdue = (((Case.status == CaseStatus.SUBMITTED) & (col(Case.accept_due) < today))
               | (col(Case.status).in_((CaseStatus.ACCEPTED, CaseStatus.IN_MEDIATION))
                  & (col(Case.conclude_due) < today)))
    row = session.exec(
        select(
            func.count().filter(Case.status == CaseStatus.SUBMITTED),
            func.count().filter(is_open),
            func.count().filter(is_open & (Case.risk_level == "high")),
            func.count().filter(overdue),
        ).where(case_in_scope_clause(actor))
    ).one()
    return Counts(*(int(v or 0) for v in row))


def list_cases(session: Session, *, actor: Actor, statuses: tuple[str, ...] | None = None,
               before_id: int | None = None, limit: int = 20) -> list[CaseRow]:
    """Newest first, keyset-paged by id (`before_id` = the last id of the previous page)."""
    require(actor, P.CASE_VIEW)
    limit = max(1, min(limit, 100))
    stmt = (select(Case, Organisation.name).join(Organisation, col(Organisation.id) == col(Case.org_id))
            .where(case_in_scope_clause(actor)))
    if statuses:
        stmt = stmt.where(col(Case.status).in_(statuses))
    if before_id is not None:
        stmt = stmt.where(col(Case.id) < before_id)
    rows = session.exec(stmt.order_by(col(Case.id).desc()).limit(limit)).all()
    ids = [c.id for c, _ in rows]
    names: dict[int, list[str]] = {}
    if ids:
        for case_id, name in session.exec(select(Party.case_id, Party.name).where(col(Party.case_id).in_(ids))
                                          .order_by(col(Party.id))).all():
            names.setdefault(case_id, []).append(mask_name(name))
    today = utc_now().date()
    return [
        CaseRow(id=c.id or 0, case_no=c.case_no, status=c.status, category=c.category, source=c.source,
                org_name=org_name, received_on=c.received_at.date(), parties=" / ".join(names.get(c.id or 0, [])),
                high_risk=c.risk_level == "high",
                overdue=_is_overdue(c, today))
        for c, org_name in rows
    ]


def _is_overdue(c: Case, today: date) -> bool:
    if c.status == CaseStatus.SUBMITTED:
        return c.accept_due is not None and c.accept_due < today
    if c.status in (CaseStatus.ACCEPTED, CaseStatus.IN_MEDIATION):
        return c.conclude_due is not None and c.conclude_due < today
    return False
