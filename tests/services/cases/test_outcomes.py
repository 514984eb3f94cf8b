from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import Agreement, AuditLog, Case, CaseStatus, FollowUp, GradeAudit, Notification
from services.cases import confirmation, outcomes, sessions
from services.core import clock
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from tests.case_factories import accepted_case, agreement_input, make_world, session_input, succeeded_case


def test_written_agreement_succeeds_case_and_opens_follow_up(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with db.read() as s:
        a = s.exec(select(Agreement).where(Agreement.case_id == case.id)).one()
        fu = s.exec(select(FollowUp).where(FollowUp.case_id == case.id)).one()
    assert case.status == CaseStatus.SUCCEEDED and case.grade_proposed == "standard"
    assert a.kind == "written" and a.amount_fen == 50_000 and a.performance == "pending" and a.version == 1
    assert fu.due == clock.today() + timedelta(days=15) and fu.done_at is None


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"kind": "spoken"}, "error.agreement_kind_invalid"),
        ({"terms": ""}, "error.terms_required"),
        ({"amount_fen": -5}, "error.amount_invalid"),
        ({"grade": "legendary"}, "error.transition_needs_grade"),
        ({"performance_due": clock.today() - timedelta(days=1)}, "error.performance_due_past"),
    ],
)
def test_agreement_refusals(db, overrides, key):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=agreement_input(**overrides))
    assert err.value.key == key


def test_failure_needs_known_diversion_and_withdrawal(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with pytest.raises(ValidationFailed), db.write() as s:
        outcomes.record_failure(s, actor=w.mediator, case_id=case.id, diversion="moon")
    with db.write() as s:
        failed = outcomes.record_failure(s, actor=w.mediator, case_id=case.id, diversion="引导诉讼")
    assert failed.status == CaseStatus.FAILED and failed.diversion == "litigation"
    other = accepted_case(db, w.mediator)
    with db.write() as s:
        assert outcomes.record_withdrawal(s, actor=w.mediator, case_id=other.id).status == CaseStatus.WITHDRAWN


def test_performance_fulfilled_on_time_is_certificate_eligible(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        outcomes.record_agreement(
            s, actor=w.mediator, case_id=case.id, data=agreement_input(performance_due=clock.today())
        )
    with pytest.raises(ValidationFailed), db.write() as s:
        outcomes.record_performance(
            s, actor=w.mediator, case_id=case.id, status="fulfilled", on=clock.today() + timedelta(days=1)
        )
    with db.write() as s:
        a = outcomes.record_performance(s, actor=w.mediator, case_id=case.id, status="fulfilled", on=clock.today())
    assert outcomes.auto_performance_eligible(a)
    a.performance_due = clock.today() - timedelta(days=1)
    assert not outcomes.auto_performance_eligible(a)  # fulfilled, but a day late
    with db.write() as s:
        b = outcomes.record_performance(s, actor=w.mediator, case_id=case.id, status="breached", on=clock.today())
    assert not outcomes.auto_performance_eligible(b) and b.performance == "breached"


def test_follow_up_holding_then_archive(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with pytest.raises(ValidationFailed), db.write() as s:
        outcomes.record_follow_up(s, actor=w.mediator, case_id=case.id, method="phone", satisfaction=6, holds=True)
    with db.write() as s:
        fu = outcomes.record_follow_up(
            s, actor=w.mediator, case_id=case.id, method="visit", satisfaction=5, holds=True, note="已履行"
        )
    from services.cases.workflow import transition

    with db.write() as s:
        done = transition(s, actor=w.mediator, case_id=case.id, action="archive")
    assert fu.satisfaction == 5 and fu.agreement_holds and done.status == CaseStatus.ARCHIVED


def test_follow_up_not_holding_reopens_and_notifies_lead(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with db.write() as s:
        outcomes.record_follow_up(
            s, actor=w.mediator, case_id=case.id, method="phone", satisfaction=2, holds=False, note="对方未按期赔偿"
        )
    with db.read() as s:
        c = s.get(Case, case.id)
        notes = s.exec(
            select(Notification).where(Notification.case_id == case.id, Notification.key == "notify.reopened")
        ).all()
    assert c.status == CaseStatus.IN_MEDIATION and c.concluded_at is None
    assert [n.org_id for n in notes] == [w.orgs["v1"].id]
    with db.write() as s:  # mediation resumes and a second agreement version follows
        sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input())
        a2 = outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=agreement_input(terms="补充协议"))
    assert a2.version == 2


def test_judicial_confirmation_by_court(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with db.read() as s:
        courts = confirmation.court_choices(s, actor=w.mediator, case_id=case.id)
    assert [c.name for c in courts] == ["江安县人民法院"]
    with db.write() as s:
        app = confirmation.apply_confirmation(s, actor=w.mediator, case_id=case.id, court_org_id=courts[0].id)
    with pytest.raises(Conflict), db.write() as s:
        confirmation.apply_confirmation(s, actor=w.mediator, case_id=case.id, court_org_id=courts[0].id)
    with pytest.raises(PermissionDenied), db.write() as s:
        confirmation.rule_confirmation(
            s, actor=w.mediator, confirmation_id=app.id, confirmed=True, ruling_no="x", ruled_on=clock.today()
        )
    with pytest.raises(ValidationFailed), db.write() as s:
        confirmation.rule_confirmation(
            s, actor=w.court, confirmation_id=app.id, confirmed=True, ruling_no=" ", ruled_on=clock.today()
        )
    with db.write() as s:
        ruled = confirmation.rule_confirmation(
            s,
            actor=w.court,
            confirmation_id=app.id,
            confirmed=True,
            ruling_no="(2026)川1523民特12号",
            ruled_on=clock.today(),
        )
    assert ruled.result == "confirmed" and ruled.decided_by == w.court.user_id
    with pytest.raises(Conflict), db.write() as s:
        confirmation.rule_confirmation(
            s, actor=w.court, confirmation_id=app.id, confirmed=False, ruling_no="x", ruled_on=clock.today()
        )


def test_judicial_confirmation_needs_written_agreement(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=agreement_input(kind="oral"))
    with pytest.raises(ValidationFailed), db.write() as s:
        confirmation.apply_confirmation(s, actor=w.mediator, case_id=case.id, court_org_id=w.orgs["court"].id)


def test_grade_audit_by_justice_for_village_and_police_for_room(db):
    w = make_world(db)
    village = succeeded_case(db, w.mediator)
    room = succeeded_case(db, w.room_mediator)
    with pytest.raises(OutOfScope), db.write() as s:
        outcomes.audit_grade(s, actor=w.police, case_id=village.id, grade="standard")
    with pytest.raises(OutOfScope), db.write() as s:
        outcomes.audit_grade(s, actor=w.justice, case_id=room.id, grade="standard")
    with db.write() as s:
        outcomes.audit_grade(s, actor=w.justice, case_id=village.id, grade="complex", note="涉及多户")
    with db.write() as s:
        outcomes.audit_grade(s, actor=w.police, case_id=room.id, grade="simple")
    with pytest.raises(Conflict), db.write() as s:
        outcomes.audit_grade(s, actor=w.justice, case_id=village.id, grade="simple")
    with db.read() as s:
        assert s.get(Case, village.id).grade_audited == "complex" and s.get(Case, room.id).grade_audited == "simple"
        audits = s.exec(select(GradeAudit).order_by(GradeAudit.id)).all()
        assert [(a.proposed, a.audited) for a in audits] == [("standard", "complex"), ("standard", "simple")]
        assert s.exec(select(AuditLog).where(AuditLog.action == "case.grade_audit")).all()


def test_new_agreement_after_plain_reopen_keeps_one_open_follow_up(db):
    from services.cases.workflow import transition

    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with db.write() as s:
        transition(s, actor=w.mediator, case_id=case.id, action="reopen", data={"reason": "当事人反悔"})
    with db.write() as s:
        outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=agreement_input(terms="第二版"))
    with db.read() as s:
        open_ones = s.exec(select(FollowUp).where(FollowUp.case_id == case.id, FollowUp.done_at == None)).all()  # noqa: E711
    assert len(open_ones) == 1
