"""Rating schemes as versioned data: never edited in place, a scheme in use is not changed silently."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from models import AuditLog, Rating, RatingScheme
from services.core.errors import PermissionDenied, ValidationFailed
from services.rating import runs as rating
from services.rating.card import get_card
from services.rating.schemes import current_scheme, list_schemes, parse_period, save_scheme
from tests.services.rating.data import TODAY, make_world

RULE = {"title": "调解能手", "min_stars": 5, "min_score": 90, "max": 10}
THRESHOLDS = {"5": 90, "4": 80, "3": 70, "2": 60}


@pytest.mark.parametrize(
    "code, start, end",
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025-H2", date(2025, 7, 1), date(2025, 12, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
    ],
)
def test_parse_period(code, start, end):
    p = parse_period(code)
    assert (p.start, p.end) == (start, end)
    assert p.months == (start.year * 100 + start.month, end.year * 100 + end.month)


def _save(s, actor, note="", **over):
    args = {
        "subject": "mediator",
        "period": "default",
        "weights": {"cases": 30, "success_rate": 70},
        "thresholds": THRESHOLDS,
        "min_cases": 8,
        "targets": {"cases": 20},
        "title_rule": RULE,
        "note": note,
    }
    args.update(over)
    return save_scheme(s, actor=actor, **args)


def test_save_scheme_versions_and_audits(db):
    w = make_world(db)
    with db.write() as s:
        first = _save(s, w.justice)
        second = _save(s, w.justice, min_cases=6)
    assert (first.code, first.version, second.version) == ("mediator-default@C1", 1, 2)
    with db.read() as s:
        versions = list_schemes(s, actor=w.justice, subject="mediator")
        assert [(v.code, v.version) for v in versions][:3] == [
            ("mediator-default@C1", 2),
            ("mediator-default@C1", 1),
            ("mediator-default", 1),
        ]
        assert current_scheme(s, actor=w.justice, subject="mediator", period="2025").min_cases == 6
        logs = s.exec(select(AuditLog).where(AuditLog.action == "rating.scheme_saved").order_by(col(AuditLog.id))).all()
        assert logs[-1].detail["changed"] == {"min_cases": [8, 6]}


def _first_rating(db) -> int:
    with db.read() as s:
        return s.exec(select(Rating.id).order_by(col(Rating.id))).first()


def test_scheme_in_use_needs_a_note_and_keeps_old_version(db):
    w = make_world(db)
    with db.write() as s:
        _save(s, w.justice)
    with db.write() as s:
        run = rating.compute_ratings(s, actor=w.justice, subject="mediator", period="2025", today=TODAY)
    with db.write() as s, pytest.raises(ValidationFailed) as err:
        _save(s, w.justice, min_cases=3)
    assert err.value.key == "error.rating_scheme_note"
    first = _first_rating(db)
    with db.read() as s:
        assert not get_card(s, actor=w.justice, rating_id=first).scheme_outdated
    with db.write() as s:
        new = _save(s, w.justice, min_cases=3, note="按2026年考核办法调整")
    with db.read() as s:
        used = s.get(RatingScheme, run.scheme_id)
        assert (used.version, used.min_cases, used.in_use) == (1, 8, True)  # the version in use is unchanged
        assert new.version == 2 and not new.in_use
        log = s.exec(
            select(AuditLog).where(AuditLog.action == "rating.scheme_saved").order_by(col(AuditLog.id).desc())
        ).first()
        assert log.detail["based_on_in_use"] is True and log.detail["note"] == "按2026年考核办法调整"
        card = get_card(s, actor=w.justice, rating_id=first)
    assert card.scheme_outdated and card.scheme == "mediator-default@C1 v1"  # the card keeps the version it used


def test_period_scheme_preferred_and_other_regions_untouched(db):
    w = make_world(db)
    with db.write() as s:
        _save(s, w.justice, period="2025", min_cases=2)
    with db.read() as s:
        assert current_scheme(s, actor=w.justice, subject="mediator", period="2025").min_cases == 2
        assert current_scheme(s, actor=w.justice, subject="mediator", period="2024").min_cases == 5
    with db.write() as s:
        run = rating.compute_ratings(s, actor=w.justice, subject="mediator", period="2025", today=TODAY)
    assert run.rated == 3  # B (4 cases) is rated under a minimum of 2


INVALID = [
    ({"weights": {"cases": -1, "success_rate": 50}}, "error.rating_weights"),
    ({"weights": {"bribes": 10}}, "error.rating_metric_unknown"),
    ({"thresholds": {"5": 80, "4": 90, "3": 70, "2": 60}}, "error.rating_thresholds"),
    ({"thresholds": {"5": 90, "4": 80, "3": 70}}, "error.rating_thresholds"),
    ({"min_cases": 0}, "error.rating_min_cases"),
    ({"targets": {"cases": 0}}, "error.rating_targets"),
    ({"title_rule": {"title": "", "min_stars": 5}}, "error.rating_title_rule"),
    ({"period": "2025-Q5"}, "error.rating_period"),
    ({"subject": "village"}, "error.rating_subject"),
]


def test_save_scheme_refuses_invalid(db):
    w = make_world(db)
    for over, key in INVALID:
        with db.write() as s, pytest.raises(ValidationFailed) as err:
            _save(s, w.justice, **over)
        assert err.value.key == key, over
    with db.read() as s:
        assert s.exec(select(RatingScheme).where(RatingScheme.code == "mediator-default@C1")).first() is None


def test_save_scheme_needs_approve_permission(db):
    w = make_world(db)
    with db.write() as s, pytest.raises(PermissionDenied):
        _save(s, w.coordinator)
