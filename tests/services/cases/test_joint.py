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
