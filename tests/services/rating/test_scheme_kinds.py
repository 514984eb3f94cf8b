"""Issue 23 fault 8: a committee scheme is its own — weights that add up to 100, and titles that belong to one kind
of subject (a village committee is never awarded 调解能手); committee titles show on the honour roll."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import RatingScheme, TitleAward
from services.core.errors import ValidationFailed
from services.core.i18n import translate
from services.rating import runs as rating
from services.rating.schemes import DEFAULT_WEIGHTS, current_scheme, save_scheme
from services.rating.titles import award_title, title_candidates
from tests.services.rating.data import TODAY, make_world

THRESHOLDS = {"5": 90, "4": 80, "3": 70, "2": 60}
MEDIATOR_WEIGHTS_ON_COMMITTEE = {  # what the editor once carried over: the mediator values, plus checklist 30
    "cases": 20,
    "success_rate": 25,
    "performance_rate": 15,
    "confirmation_rate": 10,
    "satisfaction": 15,
    "checklist": 30,
}


def _save(s, actor, subject="organisation", **over):
    args = {
        "period": "default",
        "weights": dict(DEFAULT_WEIGHTS[subject]),
        "thresholds": THRESHOLDS,
        "min_cases": 5,
        "targets": {},
        "title_rule": {"title": "优秀调解室" if subject == "organisation" else "调解能手", "min_stars": 1, "max": 5},
        "note": "调整",
    }
    args.update(over)
    return save_scheme(s, actor=actor, subject=subject, **args)


def test_weights_must_add_up_to_100(db):
    w = make_world(db)
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        _save(s, w.justice, weights=MEDIATOR_WEIGHTS_ON_COMMITTEE)
    assert err.value.key == "error.rating_weights_total"
    assert translate(err.value.key, "zh-CN", **err.value.params) == "各项权重合计须为 100，当前合计为 115。"
    with db.write() as s:
        saved = _save(s, w.justice, weights={**DEFAULT_WEIGHTS["organisation"], "cases": 10, "checklist": 35})
    assert sum(saved.weights.values()) == 100


def test_committee_scheme_refuses_a_mediator_title(db):
    w = make_world(db)
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        _save(s, w.justice, title_rule={"title": "调解能手", "min_stars": 5, "max": 10})
    assert err.value.key == "error.rating_title_kind_mediator"
    assert translate(err.value.key, "zh-CN", **err.value.params) == "“调解能手”是调解员的称号，不能用于调解组织。"
    with db.write() as s:  # a title of the office's own making belongs to the kind that used it first
        _save(s, w.justice, subject="mediator", title_rule={"title": "金牌调解员", "min_stars": 5, "max": 3})
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        _save(s, w.justice, title_rule={"title": " 金牌调解员 ", "min_stars": 5, "max": 3})
    assert err.value.key == "error.rating_title_kind_mediator"
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        _save(s, w.justice, subject="mediator", title_rule={"title": "优秀调解室", "min_stars": 5, "max": 3})
    assert err.value.key == "error.rating_title_kind_organisation"
    with db.read() as s:
        assert current_scheme(s, actor=w.justice, subject="organisation", period="default").title_rule["title"] == (
            "优秀调解室"
        )


def _publish_committees(db, w, rule):
    """A committee scheme as the broken editor stored it (written directly: the service now refuses it)."""
    with db.write() as s:
        s.add(
            RatingScheme(
                code="organisation-broken",
                subject="organisation",
                period="2025",
                weights=MEDIATOR_WEIGHTS_ON_COMMITTEE,
                thresholds=THRESHOLDS,
                min_cases=5,
                targets={},
                title_rule=rule,
            )
        )
    with db.write() as s:
        run = rating.compute_ratings(s, actor=w.justice, subject="organisation", period="2025", today=TODAY)
    with db.write() as s:
        rating.approve_run(s, actor=w.justice, run_id=run.id)


def test_committee_cannot_be_awarded_a_mediator_title(db):
    w = make_world(db)
    _publish_committees(db, w, {"title": "调解能手", "min_stars": 1, "min_score": 0, "max": 10})
    v1 = w.orgs["v1"].id
    with db.read() as s:
        _, found = title_candidates(s, actor=w.justice, subject="organisation", period="2025")
    assert v1 in {c.subject_id for c in found}
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        award_title(s, actor=w.justice, subject="organisation", period="2025", subject_id=v1)
    assert err.value.key == "error.rating_title_kind_mediator"
    with db.read() as s:
        assert s.exec(select(TitleAward)).all() == []


def test_committee_title_shows_on_the_honour_roll(db):
    from services.board.publicity import honour_roll

    w = make_world(db)
    _publish_committees(db, w, {"title": "优秀调解室", "min_stars": 1, "min_score": 0, "max": 10})
    with db.write() as s:
        award_title(s, actor=w.justice, subject="organisation", period="2025", subject_id=w.orgs["v1"].id)
    with db.read() as s:
        assert rating.titles_for(s, org_id=w.orgs["v1"].id) == [("优秀调解室", "2025")]
        rooms = [h for h in honour_roll(s) if h.name == w.orgs["v1"].name]
    assert [h.titles for h in rooms] == [("2025 优秀调解室",)]
