from __future__ import annotations

import pytest
from sqlmodel import select

from models import Agreement, CaseEvent, CaseStatus, FollowUp, MediationSession, Party, Referral
from services.cases import record as case_record
from services.cases.create import PartyInput
from services.core import clock
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from tests.case_factories import accepted_case, make_world


def test_register_case_accepts_with_several_parties_per_side(db):
    w = make_world(db)
    parties = [
        PartyInput(side="applicant", name="张三"),
        PartyInput(side="applicant", name="张三妻"),
        PartyInput(side="respondent", name="红桥建筑公司", kind="organisation"),
        PartyInput(side="respondent", name="李四", phone="13900001111"),
    ]
    case = accepted_case(db, w.mediator, parties=parties, category="邻里纠纷", amount_fen=123_456)
    with db.read() as s:
        rows = s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)).all()
        kinds = [
            e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
        ]
    assert [(p.side, p.kind) for p in rows] == [
        ("applicant", "person"),
        ("applicant", "person"),
        ("respondent", "organisation"),
        ("respondent", "person"),
    ]
    assert case.status == CaseStatus.ACCEPTED and case.category == "neighbour" and case.amount_fen == 123_456
    assert kinds == ["created", "transition.accept"]
    assert (case.conclude_due - clock.today()).days == 30 and (case.accept_due - clock.today()).days == 3


def test_register_case_hand_over_source_links_referring_org(db):
    w = make_world(db)
    case = accepted_case(
        db,
        w.mediator,
        source="court_entrust",
        referring_org_id=w.orgs["court"].id,
        referral_ref="(2026)川1523民诉前调123号",
    )
    with db.read() as s:
        ref = s.exec(select(Referral).where(Referral.case_id == case.id)).one()
    assert case.pre_litigation and ref.status == "accepted" and ref.kind == "court_entrust"
    assert ref.from_org_id == w.orgs["court"].id


@pytest.mark.parametrize(
    "source", ["dispatch_110", "police_referral", "court_entrust", "petition", "walk_in", "phone", "screening"]
)
def test_register_case_every_staff_source(db, source):
    w = make_world(db)
    assert accepted_case(db, w.mediator, source=source).source == source


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"source": "qr"}, "error.source_invalid"),
        ({"category": "no-such"}, "error.category_invalid"),
        ({"parties": [PartyInput(side="respondent", name="李四")]}, "error.applicant_required"),
        ({"parties": [PartyInput(side="judge", name="李四")]}, "error.applicant_required"),
        ({"amount_fen": -1}, "error.amount_invalid"),
        ({"group_size": -3}, "error.group_size_invalid"),
        ({"description": "  "}, "error.description_required"),
        ({"referring_org_id": 1}, "error.referring_org_needs_handover"),
    ],
)
def test_register_case_refuses_bad_input(db, overrides, key):
    w = make_world(db)
    with pytest.raises(ValidationFailed) as err:
        accepted_case(db, w.mediator, **overrides)
    assert err.value.key == key


def test_register_case_refuses_foreign_org_and_role(db):
    w = make_world(db)
    with pytest.raises(OutOfScope):
        accepted_case(db, w.mediator, org_id=w.orgs["v2"].id)
    with pytest.raises(PermissionDenied):
        accepted_case(db, w.police)


def test_register_case_form_token_is_once_only(db):
    w = make_world(db)
    first = accepted_case(db, w.mediator, form_token="tok-1")
    again = accepted_case(db, w.mediator, form_token="tok-1")
    assert again.id == first.id
    with pytest.raises(Conflict):
        accepted_case(db, w.mediator2, form_token="tok-1")


def test_quick_case_registers_and_closes_with_oral_agreement(db):
    w = make_world(db)
    with db.write() as s:
        case = case_record.quick_case(
            s,
            actor=w.mediator,
            data=case_record.QuickCaseInput(
                parties_text="张三、李四", terms="李四当场赔礼道歉，赔偿200元", category="neighbour", amount_fen=20_000
            ),
        )
    with db.read() as s:
        agreement = s.exec(select(Agreement).where(Agreement.case_id == case.id)).one()
        sittings = s.exec(select(MediationSession).where(MediationSession.case_id == case.id)).all()
        fu = s.exec(select(FollowUp).where(FollowUp.case_id == case.id)).one()
        names = [p.name for p in s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id))]
    assert case.status == CaseStatus.SUCCEEDED and case.on_the_spot and case.source == "on_the_spot"
    assert case.grade_proposed == "simple" and agreement.kind == "oral" and agreement.amount_fen == 20_000
    assert len(sittings) == 1 and fu.done_at is None and fu.due is not None
    assert names == ["张三", "李四"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("张三、李四", ["张三", "李四"]),
        ("张三 李四 王五", ["张三", "李四", "王五"]),
        ("张三与李四", ["张三", "李四"]),
        ("张三，红桥建材店", ["张三", "红桥建材店"]),
    ],
)
def test_parse_parties(text, names):
    parties = case_record.parse_parties(text)
    assert [p.name for p in parties] == names
    assert parties[0].side == "applicant" and all(p.side == "respondent" for p in parties[1:])
    assert parties[-1].kind == ("organisation" if names[-1].endswith("店") else "person")


def test_quick_case_needs_two_parties_and_terms(db):
    w = make_world(db)
    for text, terms, key in (("张三", "道歉", "error.quick_two_parties"), ("张三、李四", " ", "error.terms_required")):
        with pytest.raises(ValidationFailed) as err, db.write() as s:
            case_record.quick_case(s, actor=w.mediator, data=case_record.QuickCaseInput(text, terms))
        assert err.value.key == key
