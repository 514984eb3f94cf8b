"""The intake queue page as a county coordination office triages (issue 23 #1): villages reachable, no silent move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import Case, Mediator
from models.base import utc_now
from services.core.config import Limit
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from services.roster.orgs import create_org
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text

QUEUE = "pages/staff/intake_queue.py"


@pytest.fixture
def office(db, make_app):  # make_app first: it points the settings at the test database
    with db.write() as s:
        tree = make_tree(s)
        centre = create_org(s, code="CC1", name="江安县矛盾纠纷调解中心", kind="coordination", parent=tree["county"])
        user = make_user(s, centre, ["coordinator"], username="coord")
        s.add(Mediator(org_id=tree["v2"].id, name="赵调解"))
        s.add(Mediator(org_id=tree["v2"].id, name="钱调解", specialties=["neighbour"]))
    form = IntakeForm(
        org_code="V1",
        form_token=issue_form_token(utc_now() - timedelta(seconds=30)),
        applicant_name="张三",
        applicant_phone="13812345678",
        description="邻居家排水沟堵塞，雨水流进我家院子",
        category="neighbour",
        consent=True,
    )
    result = submit_intake(db, form, client="c", settings=IntakeSettings(0, Limit(1000, 600), Limit(1000, 3600)))
    return tree, user, result.case_id


def _open_case(make_app, user, case_id):
    at = make_app(user=user)
    at.run()
    at.switch_page(QUEUE).run()
    at.button(key=f"intake_queue.open.{case_id}").click().run()
    assert not at.exception
    return at


def test_coordinator_accepting_a_village_case_with_the_default_keeps_it_in_the_village(db, office, make_app):
    tree, user, case_id = office
    at = _open_case(make_app, user, case_id)
    org = at.selectbox(key="intake_queue.org")
    assert org.options[0] == "东村调委会 · 红桥镇" and org.value == tree["v1"].id
    assert "西村调委会 · 红桥镇" in org.options and "江安县矛盾纠纷调解中心 · 江安县" in org.options
    at.button(key="intake_queue.do_accept").click().run()
    assert not at.exception and "已受理。" in page_text(at)
    with db.read() as s:
        case = s.get(Case, case_id)
    assert (case.status, case.org_id) == ("accepted", tree["v1"].id)


def test_coordinator_triages_a_case_to_another_village_and_its_specialist(db, office, make_app):
    tree, user, case_id = office
    at = _open_case(make_app, user, case_id)
    at.selectbox(key="intake_queue.org").set_value(tree["v2"].id).run()
    mediators = at.selectbox(key=f"intake_queue.mediator.{tree['v2'].id}")
    assert mediators.options == ["钱调解（擅长此类纠纷）", "赵调解"]
    mediators.select_index(0).run()
    at.button(key="intake_queue.do_accept").click().run()
    assert not at.exception
    with db.read() as s:
        case = s.get(Case, case_id)
        qian = s.exec(select(Mediator.id).where(Mediator.name == "钱调解")).one()
    assert (case.status, case.org_id, case.mediator_id) == ("accepted", tree["v2"].id, qian)
