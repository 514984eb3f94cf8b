"""Issue 23 fault 10: inviting an organisation without user accounts to joint mediation warns that nobody there
will see the case (in the list before choosing, at once after inviting, and on the case while it lasts)."""

from __future__ import annotations

from sqlmodel import select

from models import JointParticipant, User
from services.roster.orgs import create_org
from tests.case_factories import accepted_case, make_world
from tests.pages.conftest import page_text


def test_inviting_an_org_without_users_warns_on_the_case_page(db, make_app):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        empty = create_org(s, code="V3", name="南村调委会", kind="village_committee", parent=w.orgs["town"]).id
        user = s.exec(select(User).where(User.id == w.coordinator.user_id)).one()
    at = make_app(user=user, query={"case": str(case.id), "do": "joint"})
    at.run()
    at.switch_page("pages/staff/case.py").run()
    assert not at.exception
    box = at.selectbox(key="case.joint.org")
    assert box.format_func(empty) == "南村调委会（无用户账号）" and box.format_func(w.orgs["v2"].id) == "西村调委会"
    box.set_value(empty)
    next(b for b in at.button if b.label == "作为协调方加入").click().run()
    assert not at.exception
    with db.read() as s:
        assert [p.org_id for p in s.exec(select(JointParticipant).where(JointParticipant.role == "coordinating"))] == [
            empty
        ]
    text = page_text(at)
    assert "已邀请南村调委会参加联合调处，但该单位还没有用户账号" in text  # told at once
    assert "南村调委会还没有用户账号，没有人能看到这个案件" in text  # and on the case while it lasts
