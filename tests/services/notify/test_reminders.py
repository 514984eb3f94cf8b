"""Follow-up reminders: on the day before and the day a follow-up falls due, once, to whoever works the case;
overdue cases escalated by the background dispatcher with nobody opening a page; and `manage.py
send-notifications` queues them and posts the robot messages."""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlmodel import select

import manage
from models import Case, CaseEvent, FollowUp, Notification
from services.core import clock
from services.core.config import get_settings
from services.notify import outbox, reminders
from services.roster import duty
from tests.case_factories import accepted_case, make_world, new_case, succeeded_case


def _due_in(db, case_id: int, days: int) -> None:
    with db.write() as s:
        fu = s.exec(select(FollowUp).where(FollowUp.case_id == case_id)).one()
        fu.due = clock.today() + timedelta(days=days)
        s.add(fu)


def _reminders(db) -> list[tuple[int | None, int | None]]:
    with db.read() as s:
        return [
            (n.org_id, n.case_id)
            for n in s.exec(select(Notification).where(Notification.key == "notify.followup_due")).all()
        ]


def test_remind_followups_due_once(db):
    w = make_world(db)
    soon, later = succeeded_case(db, w.mediator), succeeded_case(db, w.mediator)
    _due_in(db, soon.id, 1)
    _due_in(db, later.id, 5)
    for _ in range(2):
        with db.write() as s:
            reminders.remind_followups_due(s)
    assert _reminders(db) == [(w.orgs["v1"].id, soon.id)]  # no mediator record: the organisation is told


def _overdue_since(db, case_id: int, day: date, field: str = "conclude_due") -> None:
    with db.write() as s:
        case = s.get(Case, case_id)
        setattr(case, field, day)
        s.add(case)


def _escalations(db) -> list[int]:
    with db.read() as s:
        return sorted(e.case_id for e in s.exec(select(CaseEvent).where(CaseEvent.kind == "deadline.escalated")))


def test_escalate_all_overdue_in_batches_once_across_organisations(db):
    w = make_world(db)
    mine, theirs = accepted_case(db, w.mediator), new_case(db, w.orgs["v2"])
    _overdue_since(db, mine.id, clock.today() - timedelta(days=2))
    _overdue_since(db, theirs.id, clock.today() - timedelta(days=2), "accept_due")
    assert reminders.escalate_all_overdue(db, batch=1) == 2  # one transaction per case, nobody signed in
    assert reminders.escalate_all_overdue(db, batch=1) == 0
    assert _escalations(db) == sorted([mine.id, theirs.id])


def test_dispatcher_escalates_an_overdue_case_nobody_opened(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    _overdue_since(db, case.id, clock.today() - timedelta(days=1))
    dispatcher = outbox.Dispatcher(db, poll=0.05, periodic=reminders.run_reminders).start()
    try:
        deadline = time.monotonic() + 10
        while not _escalations(db) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        dispatcher.stop()
        dispatcher.thread.join(5)
    assert _escalations(db) == [case.id]


def test_send_notifications_command_queues_reminders(db, monkeypatch, capsys):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    _due_in(db, case.id, 0)
    monkeypatch.setenv("DATABASE_URL", db.url)
    get_settings.cache_clear()
    capsys.readouterr()
    assert manage.main(["send-notifications"]) == 0
    out = capsys.readouterr().out
    gaps = 2 * (duty.LOOKAHEAD_DAYS + 1)  # and the police room's empty day and night shifts, to its office
    assert f"{1 + gaps} new reminder(s)" in out and "nothing due" in out
    assert _reminders(db) == [(w.orgs["v1"].id, case.id)]
