"""Objections a mediator lodges and the office answers; complaints the office records; titles by rule + approval."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from models import Rating, TitleAward
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from services.rating import runs as rating
from services.rating.card import get_card, my_ratings
from services.rating.feedback import answer_objection, list_complaints, lodge_objection, record_complaint
from services.rating.schemes import save_scheme
from services.rating.titles import award_title, list_awards, revoke_title, title_candidates
from tests.services.rating.data import TODAY, make_world, threshold_world


def _compute(db, actor):
    with db.write() as s:
        return rating.compute_ratings(s, actor=actor, subject="mediator", period="2025", today=TODAY)


def _rating_of(db, mediator_id) -> int:
    with db.read() as s:
        return s.exec(
            select(Rating.id).where(Rating.mediator_id == mediator_id).order_by(col(Rating.id).desc())
        ).first()


def test_objection_lodged_answered_and_shown_to_the_mediator(db):
    w = make_world(db)
    _compute(db, w.justice)
    rid = _rating_of(db, w.ids["A"])
    with db.read() as s:
        assert [r.id for r in my_ratings(s, actor=w.mediator_actor)] == [rid]
    with db.write() as s:
        obj = lodge_objection(s, actor=w.mediator_actor, rating_id=rid, body="培训时数漏计了县里组织的一次培训")
    with db.write() as s, pytest.raises(Conflict):
        lodge_objection(s, actor=w.mediator_actor, rating_id=rid, body="再次提出")
    with db.write() as s, pytest.raises(PermissionDenied):  # B may not object to A's rating
        lodge_objection(s, actor=w.other_actor, rating_id=rid, body="不服")
    with db.write() as s, pytest.raises(ValidationFailed):
        answer_objection(s, actor=w.justice, objection_id=obj.id, answer=" ", upheld=False)
    with db.write() as s, pytest.raises(PermissionDenied):
        answer_objection(s, actor=w.coordinator, objection_id=obj.id, answer="已核实", upheld=False)
    with db.write() as s:
        answer_objection(
            s, actor=w.justice, objection_id=obj.id, answer="经核实，该培训未签到，维持原评定。", upheld=False
        )
    with db.read() as s:
        card = get_card(s, actor=w.mediator_actor, rating_id=rid)
    assert [(o.status, o.upheld, o.answer) for o in card.objections] == [
        ("answered", False, "经核实，该培训未签到，维持原评定。")
    ]
    with db.write() as s:  # answered: a new objection may be lodged
        lodge_objection(s, actor=w.mediator_actor, rating_id=rid, body="仍有异议")


def test_complaint_counts_after_recompute(db):
    w = make_world(db)
    _compute(db, w.justice)
    with db.write() as s:
        record_complaint(
            s,
            actor=w.justice,
            mediator_id=w.ids["A"],
            received_on=date(2025, 10, 8),
            source="phone",
            summary="调解时未告知当事人权利",
            substantiated=True,
            finding="属实",
            today=TODAY,
        )
        record_complaint(
            s,
            actor=w.coordinator,
            mediator_id=w.ids["A"],
            received_on=date(2025, 10, 9),
            source="board",
            summary="态度问题",
            substantiated=False,
            today=TODAY,
        )
    run = _compute(db, w.justice)
    assert run.changed == 1
    with db.read() as s:
        a = s.get(Rating, _rating_of(db, w.ids["A"]))
        line = next(x for x in get_card(s, actor=w.justice, rating_id=a.id).lines if x.metric == "complaints")
        assert line.value == 2
        assert line.points == pytest.approx(5 * (1 - 2 / 3))
        assert a.changes["lines"]["complaints"] == [1, 2]
        assert len(list_complaints(s, actor=w.justice, mediator_id=w.ids["A"])) == 5


def test_complaint_refused_outside_area_in_future_or_for_others_case(db):
    w = make_world(db)
    base = {
        "received_on": date(2025, 10, 8),
        "source": "phone",
        "summary": "投诉",
        "substantiated": True,
        "today": TODAY,
    }
    with db.write() as s, pytest.raises(OutOfScope):
        record_complaint(s, actor=w.justice, mediator_id=w.ids["X"], **base)
    with db.write() as s, pytest.raises(ValidationFailed):
        record_complaint(s, actor=w.justice, mediator_id=w.ids["A"], **{**base, "received_on": date(2026, 4, 1)})
    with db.write() as s, pytest.raises(ValidationFailed):
        record_complaint(s, actor=w.justice, mediator_id=w.ids["A"], case_id=min(w.sets["mediated"]) + 10_000, **base)
    with db.write() as s, pytest.raises(PermissionDenied):
        record_complaint(s, actor=w.mediator_actor, mediator_id=w.ids["A"], **base)


def test_titles_by_rule_and_approval(db):
    w = make_world(db)
    with db.write() as s:
        save_scheme(
            s,
            actor=w.justice,
            subject="mediator",
            period="2025",
            weights={"success_rate": 100},
            thresholds={"5": 90, "4": 80, "3": 70, "2": 60},
            min_cases=5,
            targets={},
            title_rule={"title": "调解能手", "min_stars": 5, "min_score": 91, "max": 2},
            note="",
        )
    ids = {score: mid for mid, score in threshold_world(db, w.orgs["v1"], [95, 92, 91, 90, 85]).items()}
    run = _compute(db, w.justice)
    with db.read() as s:
        assert title_candidates(s, actor=w.justice, subject="mediator", period="2025")[1] == []  # none published
    with db.write() as s:
        rating.approve_run(s, actor=w.justice, run_id=run.id)
    with db.read() as s:
        rule, found = title_candidates(s, actor=w.justice, subject="mediator", period="2025")
    # C succeeded in all 5 cases (score 100): with a maximum of 2, the best two are C and the 95
    assert rule["title"] == "调解能手" and [c.subject_id for c in found] == [w.ids["C"], ids[95]]
    with db.write() as s, pytest.raises(ValidationFailed):  # meets the rule but is third
        award_title(s, actor=w.justice, subject="mediator", period="2025", subject_id=ids[92])
    with db.write() as s, pytest.raises(PermissionDenied):
        award_title(s, actor=w.coordinator, subject="mediator", period="2025", subject_id=ids[95])
    with db.write() as s:
        award = award_title(s, actor=w.justice, subject="mediator", period="2025", subject_id=ids[95])
    with db.write() as s, pytest.raises(Conflict):
        award_title(s, actor=w.justice, subject="mediator", period="2025", subject_id=ids[95])
    with db.read() as s:
        assert rating.titles_for(s, ids[95]) == [("调解能手", "2025")]
        assert [(a.title, a.subject_id) for a in list_awards(s, actor=w.justice, period="2025")] == [
            ("调解能手", ids[95])
        ]
    with db.write() as s, pytest.raises(ValidationFailed):
        revoke_title(s, actor=w.justice, award_id=award.id, reason="")
    with db.write() as s:
        revoke_title(s, actor=w.justice, award_id=award.id, reason="发现违规收费")
    with db.read() as s:
        assert s.exec(select(TitleAward)).all() == []
