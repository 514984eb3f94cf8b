from __future__ import annotations

import pytest
from sqlmodel import select

from models import Case, CaseStatus, Notification, Referral
from services.access.authz import get_case_in_scope
from services.cases import referrals
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from tests.case_factories import accepted_case, handed_over, make_world


def test_handover_stays_with_sender_until_accepted(db):
    w = make_world(db)
    case = handed_over(db, w)
    with db.read() as s:
        ref = s.exec(select(Referral).where(Referral.case_id == case.id)).one()
        incoming = referrals.list_incoming(s, actor=w.mediator)
        assert get_case_in_scope(s, w.mediator, case.id).id == case.id  # the receiver may look before deciding
        with pytest.raises(OutOfScope):
            get_case_in_scope(s, w.mediator2, case.id)
        note = s.exec(select(Notification).where(Notification.org_id == w.orgs["v1"].id)).one()
    assert case.org_id == w.orgs["police"].id and case.status == CaseStatus.SUBMITTED and case.source == "dispatch_110"
    assert ref.status == "pending" and ref.kind == "police_handover" and ref.note == "请村调委会调解"
    assert [r.case_id for r in incoming] == [case.id] and incoming[0].parties == "王某 / 赵某"
    assert note.key == "notify.handover_in"


def test_accept_handover_moves_case_and_sender_sees_outcome(db):
    w = make_world(db)
    case = handed_over(db, w)
    with db.read() as s:
        ref_id = referrals.list_incoming(s, actor=w.mediator)[0].id
    with db.write() as s:
        moved = referrals.accept_referral(s, actor=w.mediator, referral_id=ref_id)
    assert moved.org_id == w.orgs["v1"].id and moved.status == CaseStatus.ACCEPTED
    with db.read() as s:
        sent = referrals.list_sent(s, actor=w.police)
        assert get_case_in_scope(s, w.police, case.id).status == CaseStatus.ACCEPTED
    assert sent[0].status == "accepted" and sent[0].case_status == "accepted" and sent[0].to_org == "东村调委会"
    with pytest.raises(Conflict), db.write() as s:
        referrals.accept_referral(s, actor=w.mediator, referral_id=ref_id)


def test_return_handover_needs_reason_and_sender_can_resend(db):
    w = make_world(db)
    case = handed_over(db, w)
    with db.read() as s:
        ref_id = referrals.list_incoming(s, actor=w.mediator)[0].id
    with pytest.raises(ValidationFailed), db.write() as s:
        referrals.return_referral(s, actor=w.mediator, referral_id=ref_id, reason=" ")
    with db.write() as s:
        referrals.return_referral(s, actor=w.mediator, referral_id=ref_id, reason="不属于本村")
    with db.read() as s:
        sent = referrals.list_sent(s, actor=w.police)
        with pytest.raises(OutOfScope):
            get_case_in_scope(s, w.mediator, case.id)
    assert sent[0].status == "returned" and sent[0].reason == "不属于本村"
    with db.write() as s:
        referrals.send_referral(s, actor=w.police, case_id=case.id, to_org_id=w.orgs["v2"].id, note="转西村")
    with db.read() as s:
        assert [r.case_id for r in referrals.list_incoming(s, actor=w.mediator2)] == [case.id]


def test_refer_accepted_case_one_pending_at_a_time(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        referrals.send_referral(s, actor=w.mediator, case_id=case.id, to_org_id=w.orgs["v2"].id, note="当事人住西村")
    with pytest.raises(Conflict) as err, db.write() as s:
        referrals.send_referral(s, actor=w.mediator, case_id=case.id, to_org_id=w.orgs["police"].id, note="x")
    assert err.value.key == "error.referral_pending"
    with db.read() as s:
        ref_id = referrals.list_incoming(s, actor=w.mediator2)[0].id
    with db.write() as s:
        referrals.accept_referral(s, actor=w.mediator2, referral_id=ref_id)
    with db.read() as s:
        c = s.get(Case, case.id)
        assert c.org_id == w.orgs["v2"].id and c.status == CaseStatus.ACCEPTED
        assert referrals.list_sent(s, actor=w.mediator)[0].status == "accepted"


def test_referral_refusals(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    # a court is not a mediation organisation
    with pytest.raises(ValidationFailed), db.write() as s:
        referrals.send_referral(s, actor=w.mediator, case_id=case.id, to_org_id=w.orgs["court"].id, note="x")
    with pytest.raises(ValidationFailed), db.write() as s:
        referrals.send_referral(s, actor=w.mediator, case_id=case.id, to_org_id=w.orgs["v1"].id, note="x")
    with pytest.raises(OutOfScope), db.write() as s:
        referrals.send_referral(s, actor=w.mediator2, case_id=case.id, to_org_id=w.orgs["v2"].id, note="x")
    with pytest.raises(PermissionDenied), db.write() as s:
        referrals.handover_case(
            s,
            actor=w.mediator,
            data=referrals.HandoverInput(
                to_org_id=w.orgs["v1"].id, source="dispatch_110", category="neighbour", description="x", parties=[]
            ),
        )


def test_handover_targets_are_mediation_orgs_of_the_county(db):
    w = make_world(db)
    with db.read() as s:
        names = {o.name for o in referrals.handover_targets(s, actor=w.police)}
    assert names == {"东村调委会", "西村调委会", "红桥派出所调解室"}
