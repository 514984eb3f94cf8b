"""Triage from a county coordination office (issue 23 #1): every organisation of its area, their mediators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import Case, Mediator
from models.base import utc_now
from services.core.config import Limit
from services.intake import queue as intake_queue
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from services.roster.orgs import create_org
from tests.factories import make_actor, make_tree

OPEN = IntakeSettings(min_seconds=3, client=Limit(1000, 600), org=Limit(1000, 3600))


@pytest.fixture
def county(db):
    """The county's coordination office (县调解中心) under the county, its coordinator, mediators at both villages."""
    with db.write() as s:
        tree = make_tree(s)
        centre = create_org(s, code="CC1", name="江安县矛盾纠纷调解中心", kind="coordination", parent=tree["county"])
        coordinator = make_actor(s, centre, ["coordinator"])
        s.add(Mediator(org_id=tree["v1"].id, name="王调解", specialties=["loan"]))
        s.add(Mediator(org_id=tree["v1"].id, name="李调解", specialties=["neighbour", "land"]))
        s.add(Mediator(org_id=tree["v2"].id, name="赵调解"))
        s.add(Mediator(org_id=centre.id, name="中心调解员"))
    return {**tree, "centre": centre}, coordinator


def submit(db, org="V1", category="neighbour"):
    form = IntakeForm(
        org_code=org,
        form_token=issue_form_token(utc_now() - timedelta(seconds=20)),
        applicant_name="张三丰",
        applicant_phone="13812345678",
        description="邻居家排水沟堵塞，雨水流进我家院子",
        category=category,
        consent=True,
    )
    return submit_intake(db, form, client="c", settings=OPEN)


def test_triage_offers_every_village_of_the_county_with_the_cases_own_first(db, county):
    tree, coordinator = county
    case_id = submit(db).case_id
    with db.read() as s:
        options = intake_queue.assign_options(s, actor=coordinator, case_id=case_id)
    names = [o.name for o in options]
    assert names[0] == "东村调委会" and options[0].org_id == tree["v1"].id  # the default keeps the case where it is
    assert {"西村调委会", "红桥派出所调解室", "江安县矛盾纠纷调解中心"} <= set(names)
    assert "江安县人民法院" not in names and "江安县司法局" not in names  # not mediation organisations
    assert options[0].place == "红桥镇"


def test_triage_lists_the_villages_mediators_with_specialists_first(db, county):
    _, coordinator = county
    case_id = submit(db, category="neighbour").case_id
    with db.read() as s:
        options = {o.name: o for o in intake_queue.assign_options(s, actor=coordinator, case_id=case_id)}
        li = s.exec(select(Mediator.id).where(Mediator.name == "李调解")).one()
    assert [name for _, name in options["东村调委会"].mediators] == ["李调解", "王调解"]
    assert options["东村调委会"].specialists == frozenset({li})
    assert [name for _, name in options["西村调委会"].mediators] == ["赵调解"]


def test_accepting_with_the_default_keeps_the_village_case_in_its_village(db, county):
    tree, coordinator = county
    case_id = submit(db).case_id
    with db.read() as s:
        default = intake_queue.assign_options(s, actor=coordinator, case_id=case_id)[0]
    with db.write() as s:
        intake_queue.accept(s, actor=coordinator, case_id=case_id, org_id=default.org_id)
    with db.read() as s:
        case = s.get(Case, case_id)
    assert (case.status, case.org_id) == ("accepted", tree["v1"].id)


def test_triage_assigns_a_village_case_to_another_village_and_its_mediator(db, county):
    tree, coordinator = county
    case_id = submit(db).case_id
    with db.read() as s:
        west = next(
            o for o in intake_queue.assign_options(s, actor=coordinator, case_id=case_id) if o.name == "西村调委会"
        )
    with db.write() as s:
        intake_queue.accept(s, actor=coordinator, case_id=case_id, org_id=west.org_id, mediator_id=west.mediators[0][0])
    with db.read() as s:
        case = s.get(Case, case_id)
    assert (case.org_id, case.mediator_id, case.county_id) == (tree["v2"].id, west.mediators[0][0], tree["county"].id)
