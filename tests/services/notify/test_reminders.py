"""Follow-up reminders: on the day before and the day a follow-up falls due, once, to whoever works the case;
and `manage.py send-notifications` queues them and posts the robot messages."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

import manage
from models import FollowUp, Notification
from services.cases.deadlines import local_today
from services.core.config import get_settings
from services.notify import reminders
from tests.case_factories import make_world, succeeded_case


def _due_in(db, case_id: int, days: int) -> None:
    with db.write() as s:
        fu = s.exec(select(FollowUp).where(FollowUp.case_id == case_id)).one()
        fu.due = local_today() + timedelta(days=days)
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


def test_send_notifications_command_queues_reminders(db, monkeypatch, capsys):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    _due_in(db, case.id, 0)
    monkeypatch.setenv("DATABASE_URL", db.url)
    get_settings.cache_clear()
    capsys.readouterr()
    assert manage.main(["send-notifications"]) == 0
    out = capsys.readouterr().out
    assert "1 new reminder(s)" in out and "nothing due" in out
    assert _reminders(db) == [(w.orgs["v1"].id, case.id)]
