"""The workbench: what the actor must act on (待办) as cards, the warnings of their area, everything else, search.

待办 holds a case only when the actor has a step to take on it — one of the case page's actions that moves the
case on (`STEPS`), decided by the state machine's table (services/cases/workflow.py) and the same rules as the
case page (services/cases/view.py); optional actions (flag, refer, joint, …) do not put a case on the desk.
Oldest deadline first. Warnings (预警, 超期) are services/cases/warnings.py's, over the actor's area, as the
dashboard counts them. Names are masked (张某); no phone, ID number or address appears. Filtering and
ordering happen in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Case, CaseStatus, GradeAudit, JudicialConfirmation, Organisation, OrgKind, Party, Referral
from services.access.authz import (
    OWNED,
    VISIBLE,
    WORK,
    Actor,
    area_org_ids,
    case_in_scope_clause,
    case_visible_clause,
    case_work_clause,
    require,
    scope_clause,
    scope_org_ids,
)
from services.access.permissions import P
from services.access.scope import is_wide
from services.cases import states, warnings, workflow
from services.cases.cards import CaseRow, to_cards
from services.cases.deadlines import next_due_expr
from services.core import clock
from services.core.config import get_settings
from services.core.security import blind_index, normalise_id, normalise_phone, valid_id_number, valid_phone

S = CaseStatus
FILTERS = ("todo", "flagged", "overdue", "all")
# The case page's actions that are a step this actor must take, most pressing first (the card's button).
STEPS = ("handover", "rule", "grade", "accept", "session", "agreement", "follow_up", "archive")
# The state machine's transitions that are such a step (the others — reject, fail, withdraw, reopen — are
# alternatives on the same cases); `start` is the first session, open to every participant like later ones.
STEP_TRANSITIONS = ("accept", "succeed", "follow_up", "archive")
AUDITOR_KINDS = (OrgKind.JUSTICE_OFFICE, OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM)
PAGE = 20
IX_GRADE_PENDING = "ix_case_grade_pending"  # models/case.py: the grades no office audited yet
Cursor = tuple[date | None, int]  # (deadline, id) of the last card shown; the deadline is None under 全部


@dataclass(frozen=True)
class CardPage:
    items: list[CaseRow]
    after: Cursor | None  # pass back for the next page; None on the last page


@dataclass(frozen=True)
class Counts:
    """待办 (and of it: waiting to be accepted, open, hand-overs coming in) and the area's warnings now."""

    todo: int
    submitted: int
    open: int
    incoming: int
    high_risk: int
    overdue: int


def _status_in(group: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """status IN group; on SQLite written so its planner (no ANALYZE data) looks up the scope's indexes first,
    while PostgreSQL's planner weighs the status and scope indexes itself (the SQLite form hides the status)."""
    if dialect == "sqlite":
        return func.coalesce(col(Case.status), "").in_(tuple(group))
    return col(Case.status).in_(tuple(group))


def _grade_clause(session: Session, actor: Actor) -> ColumnElement[bool] | None:
    """SQL twin of services/cases/outcomes.grade_auditor_ok: grades this actor's office audits, still unaudited."""
    kind = session.exec(select(Organisation.kind).where(Organisation.id == actor.org_id)).first()
    if not actor.can(P.GRADE_AUDIT) or kind not in AUDITOR_KINDS:
        return None
    room = select(Organisation.id).where(Organisation.kind == OrgKind.POLICE_ROOM)
    return and_(
        case_in_scope_clause(actor),
        col(Case.grade_proposed).is_not(None),
        col(Case.grade_audited).is_(None),
        _status_in(states.SUCCEEDED, session.get_bind().dialect.name),
        col(Case.org_id).not_in(room) if kind == OrgKind.JUSTICE_OFFICE else col(Case.org_id).in_(room),
    )


def todo_clause(session: Session, actor: Actor) -> ColumnElement[bool]:
    """SQL: the cases on which this actor has a step to take (`next_action` is not 'view'), exactly.

    Written as `id IN (one SELECT per reason, UNION ALL)`: each reason is a status and a scope that its own
    index answers, where one OR of them all made PostgreSQL read every case (0.35–1.8 s at a million cases for
    a village mediator) and SQLite likewise."""
    mine = scope_org_ids(actor)
    dialect = session.get_bind().dialect.name
    reasons: list[Any] = []
    if actor.can(P.CASE_ACCEPT):
        reasons.append(
            select(Referral.case_id).where(col(Referral.status) == "pending", col(Referral.to_org_id).in_(mine))
        )
    if actor.can(P.JUDICIAL_RULE):
        reasons.append(
            select(JudicialConfirmation.case_id).where(
                col(JudicialConfirmation.result) == "pending", col(JudicialConfirmation.court_org_id).in_(mine)
            )
        )
    grade = _grade_clause(session, actor)
    if grade is not None:  # few, from their partial index (SQLite's planner would walk the area's every case)
        reasons.append(select(Case.id).where(grade).with_hint(Case, f"INDEXED BY {IX_GRADE_PENDING}", "sqlite"))
    for t in workflow.TRANSITIONS:
        sources = [x for x in states.ACTIVE if x in t.sources]
        if t.action in STEP_TRANSITIONS and actor.can(t.permission) and sources:
            reasons.append(select(Case.id).where(_status_in(sources, dialect), scope_clause(actor, t.scope)))
    if actor.can(P.CASE_MEDIATE):  # a session, for the lead and every participating organisation
        reasons.append(select(Case.id).where(_status_in(states.MEDIATING, dialect), case_work_clause(actor)))
    if not reasons:
        return false()
    return col(Case.id).in_(union_all(*reasons) if len(reasons) > 1 else reasons[0])


def count_cases(session: Session, *, actor: Actor, today: date | None = None) -> Counts:
    """Headline counts: the actor's 待办 (one aggregate query) and their area's warnings (warnings.py)."""
    require(actor, P.CASE_VIEW)
    today = today or clock.today()
    incoming = exists().where(
        col(Referral.case_id) == col(Case.id),
        col(Referral.status) == "pending",
        col(Referral.to_org_id).in_(scope_org_ids(actor)),
    )
    row = session.execute(
        sa_select(
            func.count(),
            func.count().filter(col(Case.status) == S.SUBMITTED),
            func.count().filter(col(Case.status).in_(states.OPEN)),
            func.count().filter(incoming),
        ).where(todo_clause(session, actor))
    ).one()
    warned = warnings.area_warnings(session, actor=actor, today=today)
    todo, submitted, opened, handed = (int(v or 0) for v in row)
    return Counts(todo, submitted, opened, handed, warned.high_risk, warned.overdue)


def _order() -> list[Any]:
    """Oldest deadline first; steps without a deadline (rulings, audits, archiving) after; newest first on a tie."""
    due = next_due_expr()
    return [case((due.is_(None), 1), else_=0), due, col(Case.id).desc()]


def _after(view: str, after: Cursor) -> ColumnElement[bool]:
    """Past the cursor in the tab's order (`_order`, or newest first under 全部), written for both engines."""
    due, last_id = after
    older = col(Case.id) < int(last_id)
    if view == "all":
        return older
    expr = next_due_expr()
    if due is None:  # in the tail of cards without a deadline: only by id
        return and_(expr.is_(None), older)
    return or_(expr.is_(None), expr > due, and_(expr == due, older))


def _relation(actor: Actor) -> ColumnElement[str]:
    """How the actor holds each case (authz.case_relation, in SQL): 'owned', 'work' or 'visible'."""
    return case((case_in_scope_clause(actor), OWNED), (case_work_clause(actor), WORK), else_=VISIBLE)


def _visible_walk(session: Session, actor: Actor) -> ColumnElement[bool]:
    """Which cases 全部 lists: authz.case_visible_clause, for a wide area (`is_wide`)
    in its per-row twin so that neither engine gathers every visible case to sort them all — both walk the
    cases newest first by id and test each, which reads about a page of rows at any depth. A narrow area (a
    village, a court's rulings) keeps the indexed form, whose whole set is small."""
    if not is_wide(session, col(Organisation.id).in_(area_org_ids(actor))):
        return case_visible_clause(actor)
    mine = scope_org_ids(actor)
    handled = (  # the cases this actor's organisation handed over, rules on or audited: one index probe per case
        exists().where(col(Referral.case_id) == col(Case.id), col(Referral.from_org_id).in_(mine)),
        exists().where(
            col(JudicialConfirmation.case_id) == col(Case.id), col(JudicialConfirmation.court_org_id).in_(mine)
        ),
        exists().where(col(GradeAudit.case_id) == col(Case.id), col(GradeAudit.auditor_org_id).in_(mine)),
    )
    return or_(case_work_clause(actor), *handled)


def page_cards(
    session: Session,
    *,
    actor: Actor,
    view: str = "todo",
    after: Cursor | None = None,
    limit: int = PAGE,
    today: date | None = None,
) -> CardPage:
    """One page of a workbench tab: 待办 (oldest deadline first), the area's warnings, or every visible case
    (newest first); keyset-paged, so a deep page costs what the first does."""
    require(actor, P.CASE_VIEW)
    today = today or clock.today()
    limit = max(1, min(limit, 100))
    if view == "overdue":
        return _overdue_page(session, actor, after, limit, today)
    where = {
        "flagged": lambda: warnings.area_clause(actor, "high_risk", today),
        "all": lambda: _visible_walk(session, actor),
    }.get(view, lambda: todo_clause(session, actor))()
    stmt = select(Case, Organisation.name, next_due_expr(), _relation(actor)).join(
        Organisation, col(Organisation.id) == col(Case.org_id)
    )
    if after is not None:
        stmt = stmt.where(_after(view, after))
    order = [col(Case.id).desc()] if view == "all" else _order()  # "all" is a register: newest first
    rows = session.exec(stmt.where(where).order_by(*order).limit(limit + 1)).all()
    cards = to_cards(session, actor, rows[:limit], today)
    last = cards[-1] if len(rows) > limit else None
    return CardPage(cards, None if last is None else (None if view == "all" else last.due, last.id))


def _overdue_page(session: Session, actor: Actor, after: Cursor | None, limit: int, today: date) -> CardPage:
    """已超期: the area's overdue cases with the deadline that passed (warnings.overdue_pairs), oldest first and
    newest first on a tie (`_order`); the page is chosen from (id, due) pairs alone, then only its cases are read."""
    late = warnings.overdue_pairs(case_in_scope_clause(actor), today).subquery("late")
    page = select(late.c.id, late.c.due)  # the page's (id, due) first: only its cases are then read whole
    if after is not None and after[0] is not None:
        due, last_id = after
        page = page.where(or_(late.c.due > due, and_(late.c.due == due, late.c.id < int(last_id))))
    top = page.order_by(late.c.due, late.c.id.desc()).limit(limit + 1).subquery("top")
    stmt = (
        select(Case, Organisation.name, top.c.due, _relation(actor))
        .join(top, top.c.id == col(Case.id))
        .join(Organisation, col(Organisation.id) == col(Case.org_id))
    )
    rows = session.exec(stmt.order_by(top.c.due, top.c.id.desc())).all()
    cards = to_cards(session, actor, rows[:limit], today)
    last = cards[-1] if len(rows) > limit else None
    return CardPage(cards, None if last is None else (last.due, last.id))


def list_cards(
    session: Session,
    *,
    actor: Actor,
    view: str = "todo",
    after: Cursor | None = None,
    limit: int = PAGE,
    today: date | None = None,
) -> list[CaseRow]:
    """The cards of one page of a workbench tab (`page_cards` without the cursor)."""
    return page_cards(session, actor=actor, view=view, after=after, limit=limit, today=today).items


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
    stmt = select(Case, Organisation.name, next_due_expr(), _relation(actor)).join(
        Organisation, col(Organisation.id) == col(Case.org_id)
    )
    stmt = stmt.where(case_visible_clause(actor))
    if statuses:
        stmt = stmt.where(col(Case.status).in_(statuses))
    if before_id is not None:
        stmt = stmt.where(col(Case.id) < before_id)
    rows = session.exec(stmt.order_by(col(Case.id).desc()).limit(max(1, min(limit, 100)))).all()
    return to_cards(session, actor, rows, clock.today())


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
        select(Case, Organisation.name, next_due_expr(), _relation(actor))
        .join(Organisation, col(Organisation.id) == col(Case.org_id))
        .where(case_visible_clause(actor), or_(*conditions))
        .order_by(col(Case.id).desc())
        .limit(max(1, min(limit, 100)))
    )
    return to_cards(session, actor, session.exec(stmt).all(), clock.today())
