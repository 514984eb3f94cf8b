"""The background check: a progress report not filed by its due day is one accountability event (问责).

"One" is the database's rule: a unique (order, kind, due day) row written with INSERT … ON CONFLICT DO NOTHING,
so two app instances checking at the same moment record it once, and only the one whose row went in (RETURNING)
writes the timeline entry, the notifications and the audit row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models import AccountabilityEvent, Case, CaseEvent, SupervisionOrder
from models.base import utc_now
from services.core import audit, clock
from services.core.db import Database, upsert_into
from services.notify.inbox import notify_org
from services.supervision import response, risk

KIND = "report_overdue"
LIMIT = 500


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    stmt = (
        upsert_into(session, AccountabilityEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["order_id", "kind", "due"])
        .returning(col(AccountabilityEvent.id))
    )
    found = session.execute(stmt).first()
    return int(found[0]) if found else None


def record_overdue_reports(session: Session, *, today: date | None = None) -> int:
    """Record an accountability event for every active order whose report fell due before today; returns how many
    were new."""
    today = today or clock.today()
    rows = session.exec(
        select(SupervisionOrder, Case.case_no)
        .join(Case, col(Case.id) == col(SupervisionOrder.case_id))
        .where(
            col(SupervisionOrder.state).in_(("listed", "delist_requested")), col(SupervisionOrder.report_due) < today
        )
        .order_by(col(SupervisionOrder.id))
        .limit(LIMIT)
    ).all()
    new = 0
    for order, case_no in rows:
        values = {
            "order_id": order.id,
            "org_id": order.handling_org_id,
            "kind": KIND,
            "due": order.report_due,
            "created_at": utc_now(),
            "detail": {"deadline": order.deadline.isoformat()},
        }
        event_id = _insert_once(session, values)
        if event_id is None:
            continue
        new += 1
        session.add(
            CaseEvent(
                case_id=order.case_id, kind="supervision.accountability", data={"due": order.report_due.isoformat()}
            )
        )
        audit.record(
            session,
            action="supervision.accountability",
            entity="accountabilityevent",
            entity_id=event_id,
            order_id=order.id,
            org_id=order.handling_org_id,
            due=order.report_due.isoformat(),
        )
        for org_id in dict.fromkeys((order.handling_org_id, order.supervisor_org_id)):
            notify_org(
                session,
                org_id=org_id,
                key="notify.supervision_accountability",
                case_id=order.case_id,
                params={"case_no": case_no},
                dedupe_key=f"accountability:{event_id}:{org_id}",
            )
    return new


def run_checks(db: Database) -> int:
    """The supervision and risk jobs of the background dispatcher (services/notify/reminders.run_reminders)."""
    with db.write() as s:
        new = record_overdue_reports(s)
    risk.grade_open_batches(db)
    with db.write() as s:
        return new + response.escalate_clocks(s)
