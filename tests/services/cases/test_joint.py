from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models import Case, CaseStatus, JointParticipant, Notification
from services.access.authz import get_case_in_scope
from services.cases import joint, outcomes, sessions
from services.cases.workflow import transition
from services.core import clock
from services.core.errors import Conflict, OutOfScope, PermissionDenied
from services.notify import inbox as notifications
from tests.case_factories import accepted_case, agreement_input, make_world, session_input


def test_joint_mediation_lead_and_coordinating(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with pytest.raises(PermissionDenied), db.write() as s:
        joint.add_participant(s, actor=w.mediator, case_id=case.id, org_id=w.orgs["v2"].id)
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v2"].id)
    with db.read() as s:
        parts = joint.list_participants(s, actor=w.mediator2, case_id=case.id)  # the participant sees it
    assert [(p.name, p.role) for p in parts] == [("东村调委会", "lead"), ("西村调委会", "coordinating")]
    with db.write() as s:  # a coordinating organisation records a sitting …
        sessions.record_session(s, actor=w.mediator2, case_id=case.id, data=session_input())
    # … but only the lead closes the case
    with pytest.raises(OutOfScope), db.write() as s:
        outcomes.record_agreement(s, actor=w.mediator2, case_id=case.id, data=agreement_input())
    with pytest.raises(OutOfScope), db.write() as s:
        transition(s, actor=w.mediator2, case_id=case.id, action="withdraw")
    with db.write() as s:
        outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=agreement_input())
    with db.read() as s:
        assert s.get(Case, case.id).status == CaseStatus.SUCCEEDED


def test_set_lead_moves_the_case_and_one_lead_only(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v2"].id)
    with db.write() as s:
        moved = joint.set_lead(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v2"].id)
    with db.read() as s:
        leads = s.exec(
            select(JointParticipant).where(JointParticipant.case_id == case.id, JointParticipant.role == "lead")
        ).all()
        assert get_case_in_scope(s, w.mediator, case.id)  # the old lead still takes part
    assert moved.org_id == w.orgs["v2"].id and [p.org_id for p in leads] == [w.orgs["v2"].id]
    with pytest.raises(OutOfScope), db.write() as s:
        outcomes.record_withdrawal(s, actor=w.mediator, case_id=case.id)
    # the partial unique index refuses a second lead
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(JointParticipant(case_id=case.id, org_id=w.orgs["police"].id, role="lead"))
    with pytest.raises(Conflict), db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v1"].id)


def test_coordinator_schedules_and_participants_are_told(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with pytest.raises(Conflict), db.write() as s:
        joint.schedule_meeting(
            s,
            actor=w.coordinator,
            case_id=case.id,
            at=datetime.now(clock.LOCAL_TZ) + timedelta(days=1),
            place="镇矛调中心",
        )
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["police"].id)
    when = (datetime.now(clock.LOCAL_TZ) + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    with db.write() as s:
        joint.schedule_meeting(s, actor=w.coordinator, case_id=case.id, at=when, place="镇矛调中心三楼")
    with db.read() as s:
        meeting = joint.next_meeting(s, actor=w.mediator, case_id=case.id)
        told = {n.org_id for n in s.exec(select(Notification).where(Notification.key == "notify.joint_meeting"))}
    assert meeting.place == "镇矛调中心三楼" and meeting.at == when
    assert told == {w.orgs["v1"].id, w.orgs["police"].id}


def test_inviting_an_org_without_users_warns(db):
    from services.roster.orgs import create_org

    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:  # a new village committee nobody has an account in yet
        empty = create_org(s, code="V3", name="南村调委会", kind="village_committee", parent=w.orgs["town"]).id
    with db.read() as s:
        offered = {o.org_id: o.has_users for o in joint.org_choices(s, actor=w.coordinator, case_id=case.id)}
    assert offered[empty] is False and offered[w.orgs["v2"].id] is True  # marked before inviting …
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=empty)
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v2"].id)
    with db.read() as s:  # … and on the case as long as nobody there can see it
        parts = joint.list_participants(s, actor=w.coordinator, case_id=case.id)
    assert [(p.name, p.has_users) for p in parts] == [
        ("东村调委会", True),
        ("南村调委会", False),
        ("西村调委会", True),
    ]


def _closed_notices(db) -> list[tuple[int, int]]:
    with db.read() as s:
        rows = s.exec(select(Notification).where(Notification.key == "notify.joint_closed")).all()
    return sorted((n.org_id, n.case_id) for n in rows)


def test_coordinating_orgs_are_told_when_the_lead_closes(db):
    from services.notify import reminders

    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["v2"].id)
        joint.add_participant(s, actor=w.coordinator, case_id=case.id, org_id=w.orgs["police"].id)
    with db.write() as s:
        transition(s, actor=w.mediator, case_id=case.id, action="withdraw")  # the lead closes the case
    reminders.run_reminders(db)  # the background dispatcher's pass (the closing transition may tell them at once)
    reminders.run_reminders(db)
    with db.write() as s:
        assert joint.notify_closed(s, case_id=case.id) == 0  # told once per closing, whichever runs first
    assert _closed_notices(db) == sorted([(w.orgs["v2"].id, case.id), (w.orgs["police"].id, case.id)])
    with db.read() as s:
        notes = {n.key: n for n in notifications.list_notifications(s, actor=w.mediator2)}
    assert notes["notify.joint_closed"].params == {"case_no": case.case_no}
