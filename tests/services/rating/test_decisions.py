"""Issue 23 fault 4: a recompute proposes; published ratings (and overrides with their reasons) stand until someone
decides again, the card says what changed since publication, and the not rated are folded away."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from models import Mediator, Rating, RatingScheme, TitleAward
from services.rating import runs as rating
from services.rating.card import get_card
from services.rating.review import list_ratings, period_summary
from services.rating.titles import title_candidates
from tests.services.rating.data import TODAY, RatingWorld, case_row, insert_cases, make_world

REASON = "群众口碑好，年度考核优秀"


@pytest.fixture
def world(db) -> RatingWorld:
    return make_world(db)


def _compute(db, w: RatingWorld):
    with db.write() as s:
        return rating.compute_ratings(s, actor=w.justice, subject="mediator", period="2025", today=TODAY)


def _newest(db, mediator_id: int) -> Rating:
    with db.read() as s:
        return s.exec(
            select(Rating)
            .where(Rating.mediator_id == mediator_id, Rating.period == "2025")
            .order_by(col(Rating.id).desc())
        ).first()


def _publish(db, w: RatingWorld) -> tuple[int, int]:
    """A overridden from the proposed 1 star to 3 with a reason, C approved at its proposed 1 star."""
    _compute(db, w)
    a, c = _newest(db, w.ids["A"]).id, _newest(db, w.ids["C"]).id
    with db.write() as s:
        rating.decide_rating(s, actor=w.justice, rating_id=a, stars=3, reason=REASON)
        rating.decide_rating(s, actor=w.justice, rating_id=c, stars=1)
    return a, c


def _one_more_failed_case_for_a(db, w: RatingWorld) -> None:
    with db.write() as s:
        insert_cases(s, [case_row(w.orgs["v1"], w.ids["A"], date(2025, 7, 1), "failed")])


def test_recompute_keeps_published_ratings_and_overrides(db, world):
    a, _ = _publish(db, world)
    _one_more_failed_case_for_a(db, world)
    _compute(db, world)
    with db.read() as s:
        summary = period_summary(s, actor=world.justice, subject="mediator", period="2025")
        published = list_ratings(s, actor=world.justice, subject="mediator", period="2025", show="decided").items
        pending = list_ratings(s, actor=world.justice, subject="mediator", period="2025", show="pending").items
        kept = s.get(Rating, a)
        stars = {m.id: m.stars for m in s.exec(select(Mediator)).all()}
    assert (summary.decided, summary.republish) == (2, 1)  # before the fix: 0 published, all awaiting review
    assert (kept.status, kept.approved_stars, kept.override_reason) == ("overridden", 3, REASON)
    assert {(r.subject_id, r.shown_stars, r.published_status) for r in published} == {
        (world.ids["A"], 3, "overridden"),
        (world.ids["C"], 1, "approved"),
    }
    # A's data changed: a new proposal awaits a decision; C's did not: nothing to decide, its decision simply stands
    assert [(r.subject_id, r.published_id) for r in pending if r.subject_id != world.ids["B"]] == [(world.ids["A"], a)]
    assert _newest(db, world.ids["C"]).status == "kept"
    assert (stars[world.ids["A"]], stars[world.ids["C"]]) == (3, 1)  # the roster and the board keep the decisions


def test_approve_all_after_recompute_leaves_published_ratings_alone(db, world):
    a, _ = _publish(db, world)
    _one_more_failed_case_for_a(db, world)
    run = _compute(db, world)
    with db.write() as s:
        assert rating.approve_run(s, actor=world.justice, run_id=run.id) == 1  # only B, never published
    with db.read() as s:
        assert s.get(Rating, a).status == "overridden" and s.get(Mediator, world.ids["A"]).stars == 3
    assert _newest(db, world.ids["A"]).status == "proposed"


def test_card_shows_what_changed_since_publication(db, world):
    _publish(db, world)
    with db.write() as s:  # A holds the period's title under a lenient rule
        s.add(TitleAward(title="调解能手", period="2025", mediator_id=world.ids["A"]))
    _one_more_failed_case_for_a(db, world)
    _compute(db, world)
    proposal = _newest(db, world.ids["A"])
    with db.read() as s:
        card = get_card(s, actor=world.justice, rating_id=proposal.id)
    pub = card.published
    assert pub is not None and (pub.status, pub.approved, pub.reason) == ("overridden", 3, REASON)
    assert pub.changes["score"] == [pytest.approx(59.58), proposal.score]
    assert pub.changes["stars"] == [3, proposal.proposed_stars]
    assert pub.titles == (("调解能手", False),)  # 1 star no longer meets the 5-star rule


def test_deciding_the_new_proposal_replaces_the_publication(db, world):
    a, _ = _publish(db, world)
    _one_more_failed_case_for_a(db, world)
    _compute(db, world)
    proposal = _newest(db, world.ids["A"])
    with db.write() as s:
        rating.decide_rating(s, actor=world.justice, rating_id=proposal.id, stars=proposal.proposed_stars)
    with db.read() as s:
        decided = s.exec(
            select(Rating.id).where(Rating.mediator_id == world.ids["A"], col(Rating.status).in_(rating.DECIDED))
        ).all()
        assert decided == [proposal.id] and s.get(Rating, a).status == "revised"
        assert s.get(Mediator, world.ids["A"]).stars == proposal.proposed_stars


def test_titles_read_published_ratings_while_a_recompute_awaits(db, world):
    with db.write() as s:  # every published mediator with a star is a candidate
        scheme = s.exec(select(RatingScheme).where(RatingScheme.subject == "mediator")).first()
        if scheme is None:
            from services.rating.schemes import ensure_default

            scheme = ensure_default(s, "mediator")
        scheme.title_rule = {"title": "调解能手", "min_stars": 1, "min_score": 0, "max": 10}
        s.add(scheme)
    _publish(db, world)
    _one_more_failed_case_for_a(db, world)
    _compute(db, world)
    with db.read() as s:
        _, found = title_candidates(s, actor=world.justice, subject="mediator", period="2025")
    assert {c.subject_id for c in found} == {world.ids["A"], world.ids["C"]}


def test_not_rated_are_folded_out_of_the_review_list(db, world):
    _compute(db, world)
    with db.read() as s:
        shown = list_ratings(s, actor=world.justice, subject="mediator", period="2025", fold=True)
        folded = list_ratings(s, actor=world.justice, subject="mediator", period="2025", show="not_rated")
        summary = period_summary(s, actor=world.justice, subject="mediator", period="2025")
    assert {r.subject_id for r in shown.items} == {world.ids["A"], world.ids["C"]} and shown.total == 2
    assert [r.subject_id for r in folded.items] == [world.ids["B"]] and summary.not_rated == 1


def test_database_keeps_one_published_rating_per_subject_and_period(db, world):
    from sqlalchemy.exc import IntegrityError

    a, _ = _publish(db, world)
    with db.read() as s:
        data = s.get(Rating, a).model_dump(exclude={"id"})
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(Rating(**{**data, "status": "approved"}))
        s.flush()
