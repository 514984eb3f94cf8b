"""Issue 22: a signed-in mediator entering residents' applications at the office PC is not rate-limited like anonymous
traffic (and is recorded as the one who entered them); the applicant's address is asked for and kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import Case, CaseEvent, Party
from models.base import utc_now
from services.core.config import Limit
from services.core.ratelimit import RateLimited
from services.intake.form import IntakeInvalid, issue_form_token, validate_contact
from services.intake.pipeline import IntakeSettings, submit_intake
from tests.factories import make_actor, make_tree
from tests.services.intake.test_pipeline import make_form

LIMITED = IntakeSettings(min_seconds=3, client=Limit(5, 600), org=Limit(1000, 3600))  # 5 per 10 minutes per address
STORIES = [
    "邻居家排水沟堵塞，雨水流进我家院子，多次协商无果。",
    "工地老板拖欠我三个月工资共计一万二千元。",
    "楼上漏水泡坏了我家天花板，物业不管。",
    "借给亲戚两万元三年未还，多次催要无果。",
    "承包的山林界线与邻组有争议，树被砍了。",
    "买的电动车刚骑一周就坏了，商家不退换。",
    "儿子不赡养老人，老人生活没有着落。",
]


def _form(i: int, **kw):  # type: ignore[no-untyped-def]
    return make_form(
        applicant_name=f"申请人{i}",
        applicant_phone=f"1391234{i:04d}",
        description=STORIES[i],
        form_token=issue_form_token(utc_now() - timedelta(seconds=2)),  # typed quickly: no bot for staff
        **kw,
    )


def test_signed_in_mediator_enters_seven_applications_from_one_office_pc(db):
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
    results = [submit_intake(db, _form(i), client="10.0.0.9", settings=LIMITED, staff=mediator) for i in range(7)]
    assert [r.outcome for r in results] == ["created"] * 7
    with db.read() as s:
        cases = s.exec(select(Case).where(Case.source == "qr")).all()
        entered = s.exec(select(CaseEvent).where(CaseEvent.kind == "intake.staff_entered")).all()
        quarantined = s.exec(select(CaseEvent).where(CaseEvent.kind == "intake.quarantined")).all()
    assert len(cases) == 7 and {c.created_by for c in cases} == {mediator.user_id}
    assert len(entered) == 7 and quarantined == []


def test_anonymous_sixth_application_from_one_address_is_still_refused(db):
    with db.write() as s:
        tree = make_tree(s)
        police = make_actor(s, tree["police"], ["police"])  # no case-intake permission: counted like the public
    for i in range(5):
        submit_intake(db, _form(i), client="10.0.0.9", settings=LIMITED, staff=police if i == 0 else None)
    with pytest.raises(RateLimited):
        submit_intake(db, _form(5), client="10.0.0.9", settings=LIMITED)
    with db.read() as s:
        assert {c.created_by for c in s.exec(select(Case)).all()} == {None}


def test_public_intake_keeps_the_applicants_address_for_the_documents(db):
    with db.write() as s:
        make_tree(s)
    form = make_form(applicant_address=" 红桥镇东村三组12号 ")
    result = submit_intake(db, form, client="10.0.0.1", settings=LIMITED)
    with db.read() as s:
        applicant = s.exec(select(Party).where(Party.case_id == result.case_id, Party.side == "applicant")).one()
    assert applicant.address == "红桥镇东村三组12号"


def test_public_intake_refuses_an_address_too_long_or_with_line_breaks():
    with pytest.raises(IntakeInvalid) as err:
        validate_contact(make_form(applicant_address="东村" * 101))
    assert [p.field for p in err.value.problems] == ["applicant_address"]
    with pytest.raises(IntakeInvalid):
        validate_contact(make_form(applicant_address="东村\n三组"))
    assert validate_contact(make_form()).address == ""  # optional
