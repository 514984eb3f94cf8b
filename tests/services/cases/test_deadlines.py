from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from models import Case, CaseEvent, ConfigVersion, FollowUp, Notification
from services.cases import deadlines, workbench
from services.cases.deadlines import due_after, is_overdue, rules_for
from services.core import clock
from tests.case_factories import accepted_case, make_world, new_case, succeeded_case

D = date(2026, 3, 1)


def test_overdue_boundaries_day_30_and_31():
    due = due_after(datetime(2026, 3, 1, 9, 0, tzinfo=clock.LOCAL_TZ), 30)
    assert due == date(2026, 3, 31)
    assert not is_overdue(due, D + timedelta(days=30))
    assert is_overdue(due, D + timedelta(days=31))
    assert not is_overdue(None, D + timedelta(days=999))


def test_due_after_counts_local_days():
    # 23:30 UTC on 28 Feb is 07:30 on 1 March in Beijing: the 30 days count from 1 March
    assert due_after(datetime(2026, 2, 28, 23, 30, tzinfo=UTC), 30) == date(2026, 3, 31)


def test_rules_per_category(db):
    with db.write() as s:
        s.add(
            ConfigVersion(
                key="deadlines",
                version=2,
                value={
                    "accept_days": 3,
                    "conclude_days": 30,
                    "followup_days": 15,
                    "by_category": {"labour": {"conclude_days": 15}, "medical": {"accept_days": 1}},
                },
            )
        )
    with db.read() as s:
        assert rules_for(s, "labour") == {"accept_days": 3, "conclude_days": 15, "followup_days": 15}
        assert rules_for(s, "medical")["accept_days"] == 1
        assert rules_for(s, "neighbour") == {"accept_days": 3, "conclude_days": 30, "followup_days": 15}
    w = make_world(db)
    case = accepted_case(db, w.mediator, category="labour")
    assert case.conclude_due == clock.today() + timedelta(days=15)


def _set(db, case_id, **fields):
    with db.write() as s:
        c = s.get(Case, case_id)
        for k, v in fields.items():
            setattr(c, k, v)
        s.add(c)


def test_overdue_in_lists_and_counts_at_the_boundary(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    _set(db, case.id, conclude_due=D + timedelta(days=30))
    with db.read() as s:
        on_time = workbench.list_cards(s, actor=w.mediator, today=D + timedelta(days=30))
        late = workbench.list_cards(s, actor=w.mediator, today=D + timedelta(days=31))
        counts = workbench.count_cases(s, actor=w.mediator, today=D + timedelta(days=31))
        found = deadlines.find_overdue(s, actor=w.mediator, today=D + timedelta(days=31))
    assert not on_time[0].overdue and late[0].overdue and counts.overdue == 1
    assert [(o.case_id, o.kind) for o in found] == [(case.id, "conclude")]


def test_accept_and_follow_up_deadlines(db):
    w = make_world(db)
    submitted = new_case(db, w.orgs["v1"])
    _set(db, submitted.id, accept_due=D + timedelta(days=3))
    done = succeeded_case(db, w.mediator)
    with db.write() as s:
        fu = s.exec(select(FollowUp).where(FollowUp.case_id == done.id)).one()
        fu.due = D + timedelta(days=15)
        s.add(fu)
    with db.read() as s:
        day15 = {o.case_id for o in deadlines.find_overdue(s, actor=w.mediator, today=D + timedelta(days=3))}
        day16 = {o.case_id: o.kind for o in deadlines.find_overdue(s, actor=w.mediator, today=D + timedelta(days=16))}
    assert day15 == set()
    assert day16 == {submitted.id: "accept", done.id: "follow_up"}


def test_escalate_overdue_once_to_coordinator(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    _set(db, case.id, conclude_due=D)
    for _ in range(2):
        with db.write() as s:
            deadlines.escalate_overdue(s, today=D + timedelta(days=1))
    with db.read() as s:
        notes = s.exec(select(Notification).where(Notification.key == "notify.overdue")).all()
        events = s.exec(select(CaseEvent).where(CaseEvent.kind == "deadline.escalated")).all()
    assert [n.org_id for n in notes] == [w.orgs["coord"].id] and len(events) == 1
    with db.write() as s:
        assert deadlines.escalate_overdue(s, today=D) == (0, None)


def test_escalate_overdue_in_batches_by_case_id(db):
    w = make_world(db)
    cases = [accepted_case(db, w.mediator), accepted_case(db, w.mediator)]
    for case in cases:
        _set(db, case.id, conclude_due=D)
    with db.write() as s:
        first = deadlines.escalate_overdue(s, today=D + timedelta(days=1), limit=1)
    with db.write() as s:
        second = deadlines.escalate_overdue(s, today=D + timedelta(days=1), after_id=first[1], limit=1)
    with db.write() as s:
        last = deadlines.escalate_overdue(s, today=D + timedelta(days=1), after_id=second[1], limit=1)
    assert (first, second, last) == ((1, cases[0].id), (1, cases[1].id), (0, None))
