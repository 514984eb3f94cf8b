"""The early-warning lists behind the dashboard's numbers (issue 23 #6): the one definition, open cases only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.cases import warnings
from services.core import clock
from services.stats import dashboard as stats
from services.stats import drilldown
from services.stats.sql import Filters, Period
from tests.factories import make_actor, make_tree
from tests.services.stats.data import add_follow_up, case_row, insert_cases

TODAY = clock.today()
LONG_AGO = TODAY - timedelta(days=60)
FLAGGED = {"risk_level": "high", "risk_flags": ["violence"]}


@pytest.fixture(autouse=True)
def _no_cache():
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def county(db):
    """High-risk and overdue cases at the villages, open and finished alike."""
    with db.write() as s:
        tree = make_tree(s)
        coordinator = make_actor(s, tree["county"], ["coordinator"])
        v1, v2 = tree["v1"], tree["v2"]
        named = {
            "open_flagged": case_row(v1, LONG_AGO, status="in_mediation", **FLAGGED),
            "waiting_flagged": case_row(v2, LONG_AGO, status="submitted", **FLAGGED),
            "withdrawn_flagged": case_row(v1, LONG_AGO, status="withdrawn", **FLAGGED),
            "failed_flagged": case_row(v1, LONG_AGO, status="failed", **FLAGGED),
            "archived_flagged": case_row(v2, LONG_AGO, status="archived", **FLAGGED),
            "succeeded_flagged": case_row(v2, LONG_AGO, status="succeeded", **FLAGGED),
            "late_to_accept": case_row(v1, LONG_AGO, status="submitted"),
            "withdrawn_late_to_accept": case_row(v1, LONG_AGO, status="withdrawn"),
            "late_to_conclude": case_row(v2, LONG_AGO, status="in_mediation"),
            "closed_late_to_conclude": case_row(v2, LONG_AGO, status="archived"),
            "late_follow_up": case_row(v1, LONG_AGO, status="succeeded"),
            "followed_up": case_row(v1, LONG_AGO, status="followed_up"),
        }
        ids = dict(zip(named, insert_cases(s, list(named.values())), strict=True))
        add_follow_up(s, ids["late_follow_up"], None, due=TODAY - timedelta(days=5), done=False)
        add_follow_up(s, ids["followed_up"], None, due=TODAY - timedelta(days=5), done=False)
    return coordinator, ids


def _listed(db, actor, kind) -> set[int]:
    filters = Filters(Period(date(TODAY.year, 1, 1), TODAY))
    with db.read() as s:
        page = drilldown.list_alerts(s, actor=actor, filters=filters, kind=kind, limit=100)
        assert drilldown.count_alerts(s, actor=actor, filters=filters, kind=kind) == len(page.items)
    return {i.id for i in page.items}


def test_warning_lists_leave_out_withdrawn_and_closed_cases(db, county):
    coordinator, ids = county
    assert _listed(db, coordinator, "high_risk") == {ids["open_flagged"], ids["waiting_flagged"]}
    assert ids["late_to_accept"] in _listed(db, coordinator, "accept")
    assert ids["withdrawn_late_to_accept"] not in _listed(db, coordinator, "accept")
    assert ids["late_to_conclude"] in _listed(db, coordinator, "conclude")
    assert ids["closed_late_to_conclude"] not in _listed(db, coordinator, "conclude")
    assert _listed(db, coordinator, "follow_up") == {ids["late_follow_up"]}


def test_warning_lists_hold_as_many_cases_as_the_dashboard_counts(db, county):
    coordinator, _ = county
    with db.read() as s:
        counts = warnings.area_warnings(s, actor=coordinator)
    assert {kind: len(_listed(db, coordinator, kind)) for kind in drilldown.ALERT_KINDS} == counts.by_kind
