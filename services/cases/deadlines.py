"""Deadlines (accept, conclude, follow up), per category when configured; overdue rules and escalation.

Rules are days counted in local (Beijing) calendar days: a case accepted on day D with 30 days to conclude
is due on D+30 and overdue from D+31. The "deadlines" ConfigVersion holds the defaults and may carry
`by_category: {category: {accept_days, conclude_days, followup_days}}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseStatus, ConfigVersion, FollowUp, Notification
from models.base import utc_now
from services.access.authz import Actor, case_work_clause, require
from services.access.permissions import P
from services.cases import states
from services.core import clock
from services.core.reference import DEADLINES
from services.notify.inbox import notify_case_owner, notify_coordinators

RULE_KEYS = ("accept_days", "conclude_days", "followup_days")
ESCALATE_BATCH = 200  # cases per escalation transaction (the background job walks them all, batch by batch)
S = CaseStatus


def _rule_value(session: Session) -> dict[str, Any]:
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == "deadlines").order_by(col(ConfigVersion.version).desc())
    ).first()
    return dict(row.value) if row else {}


def rules_for(session: Session, category: str | None = None) -> dict[str, int]:
    """Days to accept, conclude and follow up for a category (its override, else the defaults)."""
    value = _rule_value(session)
    rules = {k: int(value.get(k, DEADLINES[k])) for k in RULE_KEYS}
    override = (value.get("by_category") or {}).get(category or "", {})
    rules.update({k: int(v) for k, v in override.items() if k in RULE_KEYS and int(v) > 0})
    return rules


def due_after(start: datetime | date, days: int) -> date:
    """The last day that is still on time, counting `days` local days from `start`."""
    day = clock.local_date(start) if isinstance(start, datetime) else start
    return day + timedelta(days=days)


def is_overdue(due: date | None, today: date) -> bool:
    """Overdue once the due day has passed (on the due day itself it is still on time)."""
    return due is not None and today > due


def followup_due_subquery() -> Any:
    """The due day of the case's outstanding follow-up."""
    return (
        select(func.min(FollowUp.due))
        .where(FollowUp.case_id == Case.id, col(FollowUp.done_at).is_(None))
        .correlate(Case)
        .scalar_subquery()
    )


def next_due_expr() -> ColumnElement[Any]:
    """The deadline that matters now: accept while submitted, conclude while open, follow up once succeeded."""
    return case(
        (col(Case.status) == S.SUBMITTED, col(Case.accept_due)),
        (col(Case.status).in_(states.MEDIATING), Case.conclude_due),
        (col(Case.status) == S.SUCCEEDED, followup_due_subquery()),
        else_=None,
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL: the case's current deadline has passed."""
    return or_(
        and_(col(Case.status) == S.SUBMITTED, col(Case.accept_due) < today),
        and_(col(Case.status).in_(states.MEDIATING), col(Case.conclude_due) < today),
        and_(col(Case.status) == S.SUCCEEDED, followup_due_subquery() < today),
    )


@dataclass(frozen=True)
class Overdue:
    case_id: int
    case_no: str
    kind: str  # accept / conclude / follow_up
    due: date


def _kind(status: str) -> str:
    kinds: dict[str, str] = {S.SUBMITTED: "accept", S.SUCCEEDED: "follow_up"}
    return kinds.get(status, "conclude")


def _overdue(session: Session, where: ColumnElement[bool], *, today: date, by_due: bool, limit: int) -> list[Overdue]:
    due = next_due_expr().label("due")
    rows = session.exec(
        select(Case.id, Case.case_no, Case.status, due)
        .where(where, overdue_clause(today))
        .order_by(*((due, col(Case.id)) if by_due else (col(Case.id),)))
        .limit(limit)
    ).all()
    return [Overdue(case_id=r[0] or 0, case_no=r[1], kind=_kind(r[2]), due=r[3]) for r in rows]


def find_overdue(session: Session, *, actor: Actor, today: date | None = None, limit: int = 100) -> list[Overdue]:
    """Overdue cases in the actor's work, oldest deadline first."""
    require(actor, P.CASE_VIEW)
    return _overdue(
        session, case_work_clause(actor), today=today or clock.today(), by_due=True, limit=max(1, min(limit, 500))
    )


def escalate_overdue(
    session: Session, *, today: date | None = None, after_id: int = 0, limit: int = ESCALATE_BATCH
) -> tuple[int, int | None]:
    """Escalate one batch of overdue cases, every organisation's, to the coordination office, once per deadline.

    Takes the cases by id after `after_id`; returns (new notifications, the id to go on after, or None when done)."""
    today = today or clock.today()
    items = _overdue(session, col(Case.id) > after_id, today=today, by_due=False, limit=max(1, limit))
    keys = {f"overdue:{i.case_id}:{i.kind}:{i.due.isoformat()}": i for i in items}
    done = (
        set(
            session.exec(
                select(Notification.dedupe_key).where(
                    col(Notification.case_id).in_([i.case_id for i in items]), Notification.key == "notify.overdue"
                )
            ).all()
        )
        if items
        else set()
    )
    sent = 0
    for key, item in keys.items():
        if any(d and d.startswith(key + ":") for d in done):
            continue
        case_row = session.get(Case, item.case_id)
        if case_row is None:  # pragma: no cover - just listed
            continue
        new = notify_coordinators(
            session,
            case_row,
            key="notify.overdue",
            dedupe=key,
            params={"case_no": item.case_no, "kind": item.kind, "due": item.due.isoformat()},
        )
        notify_case_owner(
            session,
            case_row,
            key=f"notify.overdue_{item.kind}",
            dedupe=key,
            params={"case_no": item.case_no, "due": item.due.isoformat()},
        )
        if new:
            session.add(
                CaseEvent(
                    case_id=item.case_id,
                    actor_id=None,
                    kind="deadline.escalated",
                    data={"kind": item.kind, "due": item.due.isoformat()},
                    at=utc_now(),
                )
            )
            sent += new
    return sent, (items[-1].case_id if len(items) >= max(1, limit) else None)
