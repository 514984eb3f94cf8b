"""The workbench: the actor's cases as cards, most urgent first, each with its next action; counts; search.

Urgency: flagged (预警) and overdue cases first, then by the deadline that matters now. Names are masked
(张某) and no phone, ID number or address appears. All filtering and ordering happen in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Case, CaseStatus, JudicialConfirmation, Organisation, OrgKind, Party, Referral
from services.access.authz import (
    Actor,
    case_in_scope_clause,
    case_visible_clause,
    case_work_clause,
    require,
    scope_org_ids,
)
from services.access.permissions import P
from services.cases import states
from services.cases.deadlines import next_due_expr, overdue_clause
from services.core import clock
from services.core.config import get_settings
from services.core.security import blind_index, mask_name, normalise_id, normalise_phone, valid_id_number, valid_phone

S = CaseStatus
FILTERS = ("todo", "flagged", "overdue", "all")
NEXT_BY_STATUS: dict[str, str] = {
    S.ACCEPTED: "session",
    S.IN_MEDIATION: "agreement",
    S.SUCCEEDED: "follow_up",
    S.FOLLOWED_UP: "archive",
    S.FAILED: "archive",
    S.WITHDRAWN: "archive",
}
AUDITOR_KINDS = (OrgKind.JUSTICE_OFFICE, OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM)
PAGE = 20


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
    flags: tuple[str, ...] = ()
    due: date | None = None
    next_action: str = "view"


@dataclass(frozen=True)
class Counts:
    submitted: int
    open: int
    high_risk: int
    overdue: int
    incoming: int = 0


def _status_in(group: tuple[str, ...]) -> ColumnElement[bool]:
    """status IN group, written so SQLite's planner (no ANALYZE data) looks up the scope's indexes first."""
    return func.coalesce(col(Case.status), "").in_(group)


def todo_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    """What is on this actor's desk: the cases they work on, rulings, grade audits, their own hand-overs."""
    mine = scope_org_ids(actor)
    reasons: list[ColumnElement[bool]] = []
    if actor.can(P.CASE_MEDIATE) or actor.can(P.CASE_ACCEPT):
        reasons.append(and_(case_work_clause(actor), _status_in(states.ACTIVE)))
    if actor.can(P.JUDICIAL_RULE):
        reasons.append(
            col(Case.id).in_(
                select(JudicialConfirmation.case_id).where(
                    col(JudicialConfirmation.result) == "pending", col(JudicialConfirmation.court_org_id).in_(mine)
                )
            )
        )
    kind = session.exec(select(Organisation.kind).where(Organisation.id == actor.org_id)).first()
    if actor.can(P.GRADE_AUDIT) and kind in AUDITOR_KINDS:
        room = select(Organisation.id).where(Organisation.kind == OrgKind.POLICE_ROOM)
        reasons.append(
            and_(
                case_in_scope_clause(actor),
                col(Case.grade_proposed).is_not(None),
                col(Case.grade_audited).is_(None),
                _status_in(states.SUCCEEDED),
                col(Case.org_id).not_in(room) if kind == OrgKind.JUSTICE_OFFICE else col(Case.org_id).in_(room),
            )
        )
    if actor.can(P.CASE_HANDOVER):
        reasons.append(
            and_(
                col(Case.id).in_(select(Referral.case_id).where(col(Referral.from_org_id).in_(mine))),
                _status_in(states.ACTIVE),
            )
        )
    return or_(*reasons) if reasons else false()


def count_cases(session: Session, *, actor: Actor, today: date | None = None) -> Counts:
    """Headline counts of the actor's work (one aggregate query)."""
    require(actor, P.CASE_VIEW)
    today = today or clock.today()
    is_open = col(Case.status).in_(states.OPEN)
    incoming = exists().where(
        col(Referral.case_id) == col(Case.id),
        col(Referral.status) == "pending",
        col(Referral.to_org_id).in_(scope_org_ids(actor)),
    )
    row = session.execute(
        sa_select(
            func.count().filter(col(Case.status) == S.SUBMITTED),
            func.count().filter(is_open),
            func.count().filter(and_(col(Case.status).in_(states.ACTIVE), col(Case.risk_level) == "high")),
            func.count().filter(overdue_clause(today)),
            func.count().filter(incoming),
        ).where(todo_clause(session, actor))
    ).one()
    return Counts(*(int(v or 0) for v in row))


def _order(today: date):  # type: ignore[no-untyped-def]
    flagged = case((col(Case.risk_level) == "high", 1), else_=0)
    overdue = case((overdue_clause(today), 1), else_=0)
    due = next_due_expr()
    return [(flagged + overdue).desc(), flagged.desc(), case((due.is_(None), 1), else_=0), due, col(Case.id).desc()]


def list_cards(
    session: Session, *, actor: Actor, view: str = "todo", offset: int = 0, limit: int = PAGE, today: date | None = None
) -> list[CaseRow]:
    """The actor's cases as cards, most urgent first (flagged and overdue on top)."""
    require(actor, P.CASE_VIEW)
    today = today or clock.today()
    todo = todo_clause(session, actor)
    where = {
        "flagged": and_(todo, col(Case.risk_level) == "high"),
        "overdue": and_(todo, overdue_clause(today)),
        "all": case_visible_clause(actor),
    }.get(view, todo)
    stmt = select(Case, Organisation.name, next_due_expr()).join(Organisation, col(Organisation.id) == col(Case.org_id))
    order = [col(Case.id).desc()] if view == "all" else _order(today)  # "all" is a register: newest first
    stmt = stmt.where(where).order_by(*order).offset(max(0, offset)).limit(max(1, min(limit, 100)))
    return _cards(session, actor, session.exec(stmt).all(), today)


def list_cases(
    session: Session,
    *,
    actor: Actor,
    statuses: tuple[str, ...] | None = None,
    before_id: int | None = None,
    limit: int = PAGE,
) -> list[CaseRow]:
    """Visible cases newest first, keyset-paged by id (for plain registers)."""
    require(actor, P.CASE_VIEW)
    stmt = select(Case, Organisation.name, next_due_expr()).join(Organisation, col(Organisation.id) == col(Case.org_id))
    stmt = stmt.where(case_visible_clause(actor))
    if statuses:
        stmt = stmt.where(col(Case.status).in_(statuses))
    if before_id is not None:
        stmt = stmt.where(col(Case.id) < before_id)
    rows = session.exec(stmt.order_by(col(Case.id).desc()).limit(max(1, min(limit, 100)))).all()
    return _cards(session, actor, rows, clock.today())


def _prefix(column: Any, text: str, dialect: str) -> ColumnElement[bool]:
    """`column` starts with `text`, written so each back-end can use its index."""
    if dialect == "sqlite":
        return and_(column >= text, column < text + "\U0010ffff")
    prefix: ColumnElement[bool] = column.startswith(text, autoescape=True)
    return prefix


def search_cases(session: Session, *, actor: Actor, query: str, limit: int = PAGE) -> list[CaseRow]:
    """Find visible cases by case number, party phone or ID number (exact, via the blind index) or name (prefix)."""
    require(actor, P.CASE_VIEW)
    q = query.strip()[:40]
    if not q:
        return []
    key = get_settings().data_key
    dialect = session.get_bind().dialect.name
    party: ColumnElement[bool] | None = None
    if valid_phone(q):
        party = col(Party.phone_index) == blind_index(normalise_phone(q), key, "phone")
    elif valid_id_number(q):
        party = col(Party.id_number_index) == blind_index(normalise_id(q), key)
    conditions: list[ColumnElement[bool]] = []
    if party is not None:
        conditions.append(col(Case.id).in_(select(Party.case_id).where(party)))
    if party is None:
        conditions.append(col(Case.case_no) == q)
        if q.isascii():
            conditions.append(_prefix(col(Case.case_no), q, dialect))
            if q.isdigit() and len(q) <= 5:
                conditions.append(col(Case.case_no).endswith("-" + q.zfill(5)))
        else:
            conditions.append(col(Case.id).in_(select(Party.case_id).where(_prefix(col(Party.name), q, dialect))))
    stmt = (
        select(Case, Organisation.name, next_due_expr())
        .join(Organisation, col(Organisation.id) == col(Case.org_id))
        .where(case_visible_clause(actor), or_(*conditions))
        .order_by(col(Case.id).desc())
        .limit(max(1, min(limit, 100)))
    )
    return _cards(session, actor, session.exec(stmt).all(), clock.today())


def _cards(session: Session, actor: Actor, rows, today: date) -> list[CaseRow]:  # type: ignore[no-untyped-def]
    ids = [c.id for c, _, _ in rows]
    names: dict[int, list[str]] = {}
    incoming: set[int] = set()
    ruling: set[int] = set()
    if ids:
        for case_id, name in session.exec(
            select(Party.case_id, Party.name).where(col(Party.case_id).in_(ids)).order_by(col(Party.id))
        ).all():
            names.setdefault(case_id, []).append(mask_name(name))
        mine = scope_org_ids(actor)
        incoming = set(
            session.exec(
                select(Referral.case_id).where(
                    col(Referral.case_id).in_(ids), col(Referral.status) == "pending", col(Referral.to_org_id).in_(mine)
                )
            ).all()
        )
        ruling = set(
            session.exec(
                select(JudicialConfirmation.case_id).where(
                    col(JudicialConfirmation.case_id).in_(ids),
                    col(JudicialConfirmation.result) == "pending",
                    col(JudicialConfirmation.court_org_id).in_(mine),
                )
            ).all()
        )
    out = []
    for c, org_name, due in rows:
        overdue = due is not None and today > due
        out.append(
            CaseRow(
                id=c.id or 0,
                case_no=c.case_no,
                status=c.status,
                category=c.category,
                source=c.source,
                org_name=org_name,
                received_on=c.received_at.date(),
                parties=" / ".join(names.get(c.id or 0, [])),
                high_risk=c.risk_level == "high",
                overdue=overdue,
                flags=tuple(c.risk_flags or ()),
                due=due,
                next_action=next_action(actor, c, incoming=c.id in incoming, ruling=c.id in ruling),
            )
        )
    return out


def next_action(actor: Actor, c: Case, *, incoming: bool = False, ruling: bool = False) -> str:
    """The one thing to do next on this case, for this actor ('view' when nothing is theirs to do)."""
    if incoming and actor.can(P.CASE_ACCEPT):
        return "handover"
    if ruling and actor.can(P.JUDICIAL_RULE):
        return "rule"
    if actor.can(P.GRADE_AUDIT) and c.grade_proposed and not c.grade_audited and c.status in states.SUCCEEDED:
        return "grade"
    if c.status == S.SUBMITTED and actor.can(P.CASE_ACCEPT):
        return "accept"
    if not actor.can(P.CASE_MEDIATE):
        return "view"
    return NEXT_BY_STATUS.get(c.status, "view")
