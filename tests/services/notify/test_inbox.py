from __future__ import annotations

import pytest

from services.core.errors import NotFound
from services.notify import inbox as notifications
from tests.case_factories import accepted_case, make_world


def test_notify_once_per_key_list_and_read(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        first = notifications.notify_org(
            s,
            org_id=w.orgs["v1"].id,
            key="notify.reopened",
            case_id=case.id,
            params={"case_no": case.case_no},
            dedupe_key="k1",
        )
        again = notifications.notify_org(
            s, org_id=w.orgs["v1"].id, key="notify.reopened", case_id=case.id, dedupe_key="k1"
        )
        plain = notifications.notify_org(s, org_id=w.orgs["v1"].id, key="notify.handover_in", case_id=case.id)
    assert (first, again, plain) == (True, False, True)
    with db.read() as s:
        mine = notifications.list_notifications(s, actor=w.mediator)
        assert notifications.count_unread(s, actor=w.mediator) == 2
        assert notifications.list_notifications(s, actor=w.mediator2) == []
    assert [n.key for n in mine] == ["notify.handover_in", "notify.reopened"]
    with pytest.raises(NotFound), db.write() as s:
        notifications.mark_read(s, actor=w.mediator2, notification_id=mine[0].id)
    with db.write() as s:
        notifications.mark_read(s, actor=w.mediator, notification_id=mine[0].id)
    with db.read() as s:
        assert notifications.count_unread(s, actor=w.mediator) == 1


def test_coordinator_of_a_county_or_the_nearest_above(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.read() as s:
        assert notifications.coordinator_org_ids(s, case) == [w.orgs["coord"].id]
        case.county_id = None
        assert notifications.coordinator_org_ids(s, case) == [w.orgs["root"].id]


def _mediator_of(db, actor, name="王调解"):
    from models import Mediator

    with db.write() as s:
        m = Mediator(user_id=actor.user_id, org_id=actor.org_id, name=name)
        s.add(m)
        s.flush()
        return m.id


def test_notify_assigned_mediator_on_acceptance(db):
    from services.intake import queue as intake_queue
    from tests.case_factories import new_case
    from tests.factories import make_actor

    w = make_world(db)
    with db.write() as s:
        colleague = make_actor(s, s.get(type(w.orgs["v1"]), w.orgs["v1"].id), ["mediator"])
    mediator_id = _mediator_of(db, colleague)
    case = new_case(db, w.orgs["v1"])
    with db.write() as s:
        intake_queue.accept(s, actor=w.mediator, case_id=case.id, mediator_id=mediator_id)
    with db.read() as s:
        theirs = notifications.list_notifications(s, actor=colleague)
        mine = notifications.list_notifications(s, actor=w.mediator)
    assert [(n.key, n.case_id) for n in theirs] == [("notify.assigned", case.id)]
    assert "notify.assigned" not in {n.key for n in mine}  # nobody is told of their own choice


def test_escalate_overdue_tells_the_case_mediator_once(db):
    from datetime import date, timedelta

    from models import Case
    from services.cases import deadlines

    w = make_world(db)
    _mediator_of(db, w.mediator)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        row = s.get(Case, case.id)
        row.conclude_due = date(2026, 3, 1)
        s.add(row)
    for _ in range(2):
        with db.write() as s:
            deadlines.escalate_overdue(s, today=date(2026, 3, 1) + timedelta(days=1))
    with db.read() as s:
        keys = [n.key for n in notifications.list_notifications(s, actor=w.mediator)]
    assert keys.count("notify.overdue_conclude") == 1


def test_flag_case_tells_the_case_owner(db):
    from services.cases import warnings

    w = make_world(db)
    case = accepted_case(db, w.mediator)  # no mediator record: the organisation is told
    for _ in range(2):
        with db.write() as s:
            warnings.flag_case(s, actor=w.coordinator, case_id=case.id, flags=["violence"])
    with db.read() as s:
        keys = [n.key for n in notifications.list_notifications(s, actor=w.mediator)]
    assert keys.count("notify.warning_owner") == 1


def test_mark_all_read_only_the_actors(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        for key in ("notify.reopened", "notify.handover_in"):
            notifications.notify_org(s, org_id=w.orgs["v1"].id, key=key, case_id=case.id)
        notifications.notify_org(s, org_id=w.orgs["v2"].id, key="notify.handover_in", case_id=case.id)
    with db.write() as s:
        assert notifications.mark_all_read(s, actor=w.mediator) == 2
    with db.read() as s:
        assert notifications.count_unread(s, actor=w.mediator) == 0
        assert notifications.count_unread(s, actor=w.mediator2) == 1
        assert len(notifications.list_notifications(s, actor=w.mediator, unread_only=False)) == 2
