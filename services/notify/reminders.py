"""Reminders nobody has to ask for: follow-ups (回访) falling due, to whoever works the case, once per due day;
overdue cases escalated to the coordination office, once per deadline; duty-schedule gaps of the coming week to the
room's coordination office, once per gap; closed joint cases to their coordinating organisations, once per closing.
The background dispatcher (outbox.Dispatcher, started by pages/ui/inbox_nav) runs them; no page ever does.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from models import Case, CaseStatus, FollowUp
from models.base import utc_now
from services.cases import joint
from services.cases.deadlines import ESCALATE_BATCH, escalate_overdue
from services.core import clock
from services.core.db import Database
from services.notify.inbox import notify_case_owner
from services.roster import duty
from services.supervision.overdue import run_checks as supervision_checks
from services.trust.appointments import send_reminders

LIMIT = 1000
JOINT_CLOSED_WINDOW = timedelta(days=3)  # closings this recent are checked (each is told once; the hook is at once)


def remind_followups_due(session: Session, *, today: date | None = None, days_ahead: int = 1) -> int:
    """Tell each open follow-up's mediator (or organisation) on the day before and the day it falls due."""
    today = today or clock.today()
    rows = session.exec(
        select(Case, col(FollowUp.id), col(FollowUp.due))
        .join(FollowUp, col(FollowUp.case_id) == col(Case.id))
        .where(
            col(FollowUp.done_at).is_(None),
            col(FollowUp.due) >= today,
            col(FollowUp.due) <= today + timedelta(days=days_ahead),
            Case.status == CaseStatus.SUCCEEDED,
        )
        .order_by(col(FollowUp.due), col(FollowUp.id))
        .limit(LIMIT)
    ).all()
    sent = 0
    for case, followup_id, due in rows:
        sent += notify_case_owner(
            session,
            case,
            key="notify.followup_due",
            dedupe=f"followup_due:{followup_id}:{due}",
            params={"case_no": case.case_no, "due": due.isoformat() if due else ""},
        )
    return sent


def escalate_all_overdue(db: Database, *, today: date | None = None, batch: int = ESCALATE_BATCH) -> int:
    """Escalate every organisation's overdue cases, one short write transaction per batch of cases."""
    today = today or clock.today()
    sent, after = 0, 0
    while True:
        with db.write() as s:
            new, last = escalate_overdue(s, today=today, after_id=after, limit=batch)
        sent += new
        if last is None:
            return sent
        after = last


def run_reminders(db: Database) -> int:
    """Every reminder job in short write transactions (the background dispatcher and the cron command call this)."""
    with db.write() as s:
        sent = remind_followups_due(s)
    with db.write() as s:
        sent += duty.flag_gaps(s)
    with db.write() as s:
        sent += joint.notify_closed(s, since=utc_now() - JOINT_CLOSED_WINDOW)
    sent += supervision_checks(db)  # issue 18: missed supervision reports, risk grades and their response clocks
    sent += send_reminders(db)  # issue 20: appointments of the coming day, once each
    return sent + escalate_all_overdue(db)
