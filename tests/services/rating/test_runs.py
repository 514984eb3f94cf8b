"""Computing ratings: every metric, the score and the stars of a hand-built data set, worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from models import AuditLog, Mediator, Rating, RatingScheme
from services.core.errors import PermissionDenied, ValidationFailed
from services.rating import runs as rating
from services.rating.card import evidence, get_card
from services.rating.schemes import effective, save_scheme
from tests.services.rating.data import TODAY, RatingWorld, case_row, insert_cases, make_world, threshold_world


@pytest.fixture
def world(db) -> RatingWorld:
    return make_world(db)


def _compute(db, actor, period="2025", subject="mediator", today=TODAY):
    with db.write() as s:
        return rating.compute_ratings(s, actor=actor, subject=subject, period=period, today=today)


def _lines(db, actor, rating_id) -> dict:
    """The score card's lines by metric, as the office reads them."""
    with db.read() as s:
        return {x.metric: x for x in get_card(s, actor=actor, rating_id=rating_id).lines}


def _current(db, mediator_id, period="2025") -> Rating:
    with db.read() as s:
        return s.exec(
            select(Rating)
            .where(Rating.mediator_id == mediator_id, Rating.period == period)
            .order_by(col(Rating.id).desc())
        ).first()


def test_compute_mediator_metrics_by_hand(db, world):
    run = _compute(db, world.justice)
    assert run.as_of == date(2025, 12, 31)
    assert (run.subjects, run.rated) == (3, 2)  # A, B, C; D has left, X is in another county
    a = _current(db, world.ids["A"])
    lines = _lines(db, world.justice, a.id)
    assert lines["cases"].value == 10 and lines["cases"].points == pytest.approx(20 * 10 / 40)
    assert lines["success_rate"].value == pytest.approx(8 / 10)
    assert lines["success_rate"].points == pytest.approx(25 * 0.8)
    assert lines["performance_rate"].value == pytest.approx(2 / 6)
    assert lines["performance_rate"].points == pytest.approx(15 / 3)
    assert lines["confirmation_rate"].value == pytest.approx(1 / 8)
    assert lines["confirmation_rate"].points == pytest.approx(10)  # 12.5 % ≥ the 10 % target: full points
    assert lines["satisfaction"].value == pytest.approx((5 + 4 + 2 + 3 + 1) / 5)
    assert lines["satisfaction"].points == pytest.approx(15 * 3 / 4.5)
    assert lines["training"].value == pytest.approx(10)
    assert lines["training"].points == pytest.approx(10 * 10 / 16)
    assert lines["complaints"].value == 1
    assert lines["complaints"].points == pytest.approx(5 * (1 - 1 / 3))
    assert a.score == pytest.approx(round(5 + 20 + 5 + 10 + 10 + 6.25 + 5 * 2 / 3, 2))  # 59.58
    assert a.proposed_stars == 1


def test_compute_spreads_weight_of_metrics_with_nothing_to_measure(db, world):
    _compute(db, world.justice)
    c = _current(db, world.ids["C"])
    # 5 mediated, all succeeded, no agreements and no follow-ups: performance and satisfaction do not apply,
    # so their 15 + 15 points of weight are spread over the other 70
    lines = _lines(db, world.justice, c.id)
    assert lines["performance_rate"].value is None and lines["satisfaction"].value is None
    assert c.score == pytest.approx(round(100 * (2.5 + 25 + 0 + 0 + 5) / 70, 2))  # 46.43
    assert c.proposed_stars == 1


def test_compute_not_rated_below_minimum_cases(db, world):
    _compute(db, world.justice)
    b = _current(db, world.ids["B"])
    assert _lines(db, world.justice, b.id)["cases"].value == 4  # one below the minimum of 5
    assert b.score == pytest.approx(round(100 * (2 + 18.75 + 0 + 5) / 70, 2))
    assert b.proposed_stars is None  # "not rated", not 1 star
    assert _current(db, world.ids["C"]).proposed_stars == 1  # exactly 5: rated


@pytest.mark.parametrize("cases, expected", [(4, None), (5, 1), (6, 1)])
def test_stars_for_minimum_cases_boundary(cases, expected):
    scheme = effective(
        RatingScheme(code="m", subject="mediator", period="default", weights={}, thresholds={}, min_cases=5)
    )
    assert scheme.stars_for(50.0, cases) == expected
    assert scheme.stars_for(None, cases) is None


@pytest.mark.parametrize(
    "score, expected",
    [(90.01, 5), (90, 5), (89.99, 4), (80, 4), (79.99, 3), (70, 3), (69.99, 2), (60, 2), (59.99, 1), (0, 1), (100, 5)],
)
def test_stars_for_thresholds(score, expected):
    scheme = effective(
        RatingScheme(
            code="m",
            subject="mediator",
            period="default",
            weights={},
            thresholds={"5": 90, "4": 80, "3": 70, "2": 60},
            min_cases=5,
        )
    )
    assert scheme.stars_for(score, 5) == expected


SCORES = [91, 90, 89, 81, 80, 79, 71, 70, 69, 61, 60, 59]
STARS = [5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1]


def test_compute_stars_at_each_threshold_plus_minus_one(db, world):
    with db.write() as s:  # a scheme weighing only the success rate: score = success rate × 100
        save_scheme(
            s,
            actor=world.justice,
            subject="mediator",
            period="2025",
            weights={"success_rate": 100},
            thresholds={"5": 90, "4": 80, "3": 70, "2": 60},
            min_cases=5,
            targets={},
            title_rule={"title": "调解能手", "min_stars": 5, "min_score": 90, "max": 3},
            note="",
        )
    by_mediator = threshold_world(db, world.orgs["v1"], SCORES)
    _compute(db, world.justice)
    with db.read() as s:
        got = {
            r.mediator_id: (r.score, r.proposed_stars)
            for r in s.exec(
                select(Rating).where(col(Rating.mediator_id).in_(list(by_mediator)), Rating.status == "proposed")
            ).all()
        }
    assert [got[m] for m in by_mediator] == [(float(k), stars) for k, stars in zip(SCORES, STARS, strict=True)]


def test_evidence_lists_exactly_the_counted_cases(db, world):
    _compute(db, world.justice)
    rid = _current(db, world.ids["A"]).id
    with db.read() as s:
        for part, expected in world.sets.items():
            if part in ("other", "a6", "a8"):
                continue
            found, after = set(), 0
            while True:
                page = evidence(s, actor=world.justice, rating_id=rid, part=part, after=after, limit=3)
                found |= {i.id for i in page.items}
                assert page.matches, part
                if page.after is None:
                    break
                after = page.after
            assert found == expected, part
            assert page.count == len(expected)
        items = evidence(s, actor=world.justice, rating_id=rid, part="mediated", limit=50).items
        assert all(i.case_id == i.id for i in items)  # each case links to its case page
        assert not ({i.id for i in items} & world.sets["other"])  # withdrawn, rejected and open cases are not counted


def test_evidence_reports_when_data_changed_since_computation(db, world):
    _compute(db, world.justice)
    rid = _current(db, world.ids["A"]).id
    with db.write() as s:
        insert_cases(s, [case_row(world.orgs["v1"], world.ids["A"], date(2025, 7, 1), "failed")])
    with db.read() as s:
        page = evidence(s, actor=world.justice, rating_id=rid, part="failed")
    assert page.count == 3 and not page.matches


def test_recompute_reproducible_and_shows_what_changed(db, world):
    first = _compute(db, world.justice)
    again = _compute(db, world.justice)
    assert again.fingerprint == first.fingerprint and again.changed == 0
    with db.write() as s:  # one more failed case for A only
        insert_cases(s, [case_row(world.orgs["v1"], world.ids["A"], date(2025, 7, 1), "failed")])
    third = _compute(db, world.justice)
    assert third.fingerprint != first.fingerprint and third.changed == 1
    a = _current(db, world.ids["A"])
    assert a.changed and a.changes["lines"]["success_rate"] == [pytest.approx(0.8), pytest.approx(8 / 11)]
    assert a.changes["parts"]["mediated"] == [10, 11] and a.changes["parts"]["failed"] == [2, 3]
    assert a.changes["score"][0] == pytest.approx(59.58)
    assert not _current(db, world.ids["C"]).changed
    with db.read() as s:
        statuses = [
            r.status
            for r in s.exec(select(Rating).where(Rating.mediator_id == world.ids["A"]).order_by(col(Rating.id))).all()
        ]
    assert statuses == ["superseded", "superseded", "proposed"]  # history kept, one live proposal


def test_override_without_reason_refused(db, world):
    _compute(db, world.justice)
    rid = _current(db, world.ids["A"]).id
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        rating.decide_rating(s, actor=world.justice, rating_id=rid, stars=3, reason="  ")
    assert err.value.key == "error.rating_override_reason"
    assert _current(db, world.ids["A"]).status == "proposed"


def test_override_not_rated_refused(db, world):
    _compute(db, world.justice)
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        rating.decide_rating(
            s, actor=world.justice, rating_id=_current(db, world.ids["B"]).id, stars=2, reason="表现突出"
        )
    assert err.value.key == "error.rating_not_eligible"


def test_approved_rating_shows_on_roster(db, world):
    from services.roster.mediators import mediator_profile

    _compute(db, world.justice)
    rid = _current(db, world.ids["A"]).id
    with db.write() as s:
        rating.decide_rating(s, actor=world.justice, rating_id=rid, stars=2, reason="年度考核优秀，酌情上调")
    with db.read() as s:
        assert rating.current_stars(s, world.ids["A"]) == 2
        assert mediator_profile(s, actor=world.justice, mediator_id=world.ids["A"]).stars == 2
        r = s.get(Rating, rid)
        assert (r.status, r.proposed_stars, r.approved_stars, r.override_reason) == (
            "overridden",
            1,
            2,
            "年度考核优秀，酌情上调",
        )
        assert s.exec(select(AuditLog).where(AuditLog.action == "rating.overridden")).first() is not None


def test_decide_again_keeps_history_and_latest_period_sets_stars(db, world):
    _compute(db, world.justice)
    rid = _current(db, world.ids["C"]).id
    with db.write() as s:
        rating.decide_rating(s, actor=world.justice, rating_id=rid, stars=1)
    with db.write() as s:
        again = rating.decide_rating(s, actor=world.justice, rating_id=rid, stars=2, reason="异议成立")
    with db.read() as s:
        assert s.get(Rating, rid).status == "revised"
        assert s.get(Rating, again.id).status == "overridden"
        assert rating.current_stars(s, world.ids["C"]) == 2
    _compute(db, world.justice, period="2024")  # an older period decided later does not replace 2025's stars
    with db.write() as s:
        old = _current(db, world.ids["C"], "2024")
        rating.decide_rating(s, actor=world.justice, rating_id=old.id, stars=None)
    with db.read() as s:
        assert rating.current_stars(s, world.ids["C"]) == 2


def test_approve_run_publishes_all_but_objected(db, world):
    from services.rating.feedback import lodge_objection

    run = _compute(db, world.justice)
    with db.write() as s:
        lodge_objection(s, actor=world.mediator_actor, rating_id=_current(db, world.ids["A"]).id, body="案件数统计有误")
    with db.write() as s:
        assert rating.approve_run(s, actor=world.justice, run_id=run.id) == 2
    with db.read() as s:
        stars = {m.id: m.stars for m in s.exec(select(Mediator)).all()}
    assert _current(db, world.ids["A"]).status == "proposed"
    assert (_current(db, world.ids["B"]).status, stars[world.ids["B"]]) == ("approved", None)
    assert (_current(db, world.ids["C"]).status, stars[world.ids["C"]]) == ("approved", 1)


def test_coordinator_proposes_but_cannot_approve(db, world):
    run = _compute(db, world.coordinator)
    assert run.subjects == 3
    with db.write() as s, pytest.raises(PermissionDenied):
        rating.decide_rating(s, actor=world.coordinator, rating_id=_current(db, world.ids["A"]).id, stars=1)
    with db.write() as s, pytest.raises(PermissionDenied):
        rating.compute_ratings(s, actor=world.mediator_actor, subject="mediator", period="2025", today=TODAY)


def test_card_refuses_foreign_and_other_mediators(db, world):
    _compute(db, world.justice)
    with db.write() as s:
        from services.roster.orgs import create_org
        from tests.factories import make_actor

        other_justice = make_actor(
            s,
            create_org(s, code="J2", name="长宁县司法局", kind="justice_office", parent=world.orgs["county2"]),
            ["justice"],
        )
    rid = _current(db, world.ids["A"]).id
    with db.read() as s:
        assert get_card(s, actor=world.mediator_actor, rating_id=rid).own
        for actor in (other_justice, world.other_actor):
            with pytest.raises(PermissionDenied):
                get_card(s, actor=actor, rating_id=rid)
            with pytest.raises(PermissionDenied):
                evidence(s, actor=actor, rating_id=rid, part="mediated")


def test_compute_refuses_bad_period(db, world):
    for period in ("2025-13", "25", "2027"):
        with db.write() as s, pytest.raises(ValidationFailed):
            rating.compute_ratings(s, actor=world.justice, subject="mediator", period=period, today=TODAY)
