"""Roster figures linked to the cases, rotation history, stars and titles, training hours per year."""

from __future__ import annotations

from datetime import date

import pytest

from models import Mediator, MediatorPosting, TitleAward, TrainingRecord
from services.admin import entities as admin
from services.admin.entities import ListQuery
from services.core.errors import OutOfScope
from services.roster import mediators as roster
from tests.factories import make_actor, make_case, make_tree

STATUSES = ["submitted", "in_mediation", "succeeded", "succeeded", "followed_up", "failed", "withdrawn"]


@pytest.fixture
def roster_world(db):
    with db.write() as s:
        tree = make_tree(s)
        wang = Mediator(name="王调解", org_id=tree["v1"].id, stars=4)
        zhao = Mediator(name="赵调解", org_id=tree["v2"].id)
        s.add_all([wang, zhao])
        s.flush()
        for status in STATUSES:
            make_case(s, tree["v1"], status=status).mediator_id = wang.id
        make_case(s, tree["v2"], status="failed").mediator_id = zhao.id
        s.add_all(
            [
                MediatorPosting(
                    mediator_id=wang.id, org_id=tree["v2"].id, start=date(2019, 1, 1), end=date(2022, 6, 30)
                ),
                MediatorPosting(mediator_id=wang.id, org_id=tree["v1"].id, start=date(2022, 7, 1)),
                TitleAward(title="调解能手", period="2025", mediator_id=wang.id),
                TrainingRecord(mediator_id=wang.id, held_on=date(2025, 4, 1), title="法律知识", hours=6),
                TrainingRecord(mediator_id=wang.id, held_on=date(2026, 3, 1), title="调解技巧", hours=2.5),
                TrainingRecord(
                    mediator_id=wang.id, held_on=date(2026, 9, 1), title="以会代训", hours=1, kind="meeting"
                ),
            ]
        )
        ids = {"wang": wang.id, "zhao": zhao.id}
        actors = {"county": make_actor(s, tree["county"], ["justice"]), "v2": make_actor(s, tree["v2"], ["mediator"])}
    return ids, actors


def test_case_figures_count_open_closed_and_success_rate(db, roster_world):
    ids, _ = roster_world
    with db.read() as s:
        figures = roster.case_figures(s, [ids["wang"], ids["zhao"]])
    wang = figures[ids["wang"]]
    assert (wang.open, wang.closed, wang.succeeded, wang.failed) == (2, 5, 3, 1)
    assert wang.success_rate == pytest.approx(0.75)
    assert figures[ids["zhao"]].success_rate == 0.0


def test_hours_by_year(db, roster_world):
    ids, actors = roster_world
    with db.read() as s:
        assert roster.hours_by_year(s, [ids["wang"]]) == {ids["wang"]: {2025: 6.0, 2026: 3.5}}
        report = roster.training_hours(s, actor=actors["county"], year=2026)
    assert [(name, hours) for _, name, _, hours in report] == [("王调解", 3.5), ("赵调解", 0.0)]


def test_profile_has_rotation_stars_titles(db, roster_world):
    ids, actors = roster_world
    with db.read() as s:
        p = roster.mediator_profile(s, actor=actors["county"], mediator_id=ids["wang"])
    assert [(x.org_name, x.end) for x in p.postings] == [("西村调委会", date(2022, 6, 30)), ("东村调委会", None)]
    assert (p.stars, p.titles, p.figures.open) == (4, ("调解能手（2025）",), 2)


def test_profile_outside_scope_refused(db, roster_world):
    ids, actors = roster_world
    with db.read() as s, pytest.raises(OutOfScope):
        roster.mediator_profile(s, actor=actors["v2"], mediator_id=ids["wang"])


def test_admin_list_shows_figures(db, roster_world):
    _ids, actors = roster_world
    with db.read() as s:
        page = admin.list_rows(s, actor=actors["county"], entity="mediator", query=ListQuery(search="王"))
    cells = page.rows[0].cells
    assert (cells["open_cases"], cells["closed_cases"], cells["success_rate"], cells["stars"], cells["titles"]) == (
        2,
        5,
        "75%",
        4,
        "调解能手（2025）",
    )
