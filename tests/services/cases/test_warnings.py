from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import Case, ConfigVersion, FollowUp, Notification
from services.cases import warnings, workbench
from services.cases.create import PartyInput
from services.core import clock
from services.core.errors import ValidationFailed
from services.stats import dashboard as stats
from services.stats import drilldown
from services.stats.sql import Filters, Period
from tests.case_factories import accepted_case, make_world, new_case, succeeded_case


def _threshold(db, **value):
    with db.write() as s:
        s.add(ConfigVersion(key="early_warning", version=2, value=value))


@pytest.mark.parametrize(("people", "flagged"), [(4, False), (5, True)])
def test_group_dispute_at_threshold(db, people, flagged):
    w = make_world(db)
    case = accepted_case(db, w.mediator, group_size=people)
    assert ("group" in case.risk_flags) is flagged and (case.risk_level == "high") is flagged


def test_group_threshold_is_a_setting(db):
    _threshold(db, group_min_people=10)
    w = make_world(db)
    assert "group" not in accepted_case(db, w.mediator, group_size=9).risk_flags
    assert "group" in accepted_case(db, w.mediator, group_size=10).risk_flags


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("对方扬言要报复，持刀上门", "violence"),
        ("当事人说不想活了", "self_harm"),
        ("双方各自纠集亲友准备械斗", "escalation"),
    ],
)
def test_keywords_raise_flags(db, text, flag):
    w = make_world(db)
    assert flag in accepted_case(db, w.mediator, description=text).risk_flags


def _party_case(db, actor, phone="13812345678", address="", days_ago=0):
    from models.base import utc_now

    case = accepted_case(
        db,
        actor,
        parties=[
            PartyInput(side="applicant", name="张三", phone=phone, address=address),
            PartyInput(side="respondent", name="李四"),
        ],
    )
    if days_ago:
        with db.write() as s:
            c = s.get(Case, case.id)
            c.received_at = utc_now() - timedelta(days=days_ago)
            c.risk_flags, c.risk_level = [], "none"
            s.add(c)
    return case


def test_same_party_n_minus_1_vs_n(db):
    _threshold(db, repeat_min_cases=3, repeat_window_days=30)
    w = make_world(db)
    _party_case(db, w.mediator, days_ago=20)
    second = _party_case(db, w.mediator)
    assert "repeat_party" not in second.risk_flags  # 2 cases: N-1
    _set_old(db, second.id, 10)
    third = _party_case(db, w.mediator)
    assert "repeat_party" in third.risk_flags  # 3 cases: N
    other = _party_case(db, w.mediator, phone="13700000000")
    assert "repeat_party" not in other.risk_flags


def _set_old(db, case_id, days):
    from models.base import utc_now

    with db.write() as s:
        c = s.get(Case, case_id)
        c.received_at = utc_now() - timedelta(days=days)
        s.add(c)


def test_same_party_outside_window_does_not_count(db):
    _threshold(db, repeat_min_cases=2, repeat_window_days=30)
    w = make_world(db)
    _party_case(db, w.mediator, days_ago=31)
    assert "repeat_party" not in _party_case(db, w.mediator).risk_flags
    _party_case(db, w.mediator, days_ago=29)
    assert "repeat_party" in _party_case(db, w.mediator).risk_flags


def test_same_address_n_minus_1_vs_n(db):
    _threshold(db, repeat_min_cases=2, repeat_window_days=30)
    w = make_world(db)
    first = _party_case(db, w.mediator, phone="13700000001", address="东村3组12号")
    assert "repeat_address" not in first.risk_flags
    second = _party_case(db, w.mediator, phone="13700000002", address="东村3组12号")
    assert "repeat_address" in second.risk_flags and "repeat_party" not in second.risk_flags


def test_flag_notifies_coordinator_at_once_and_tops_list(db):
    w = make_world(db)
    calm = accepted_case(db, w.mediator)
    with db.write() as s:
        new = warnings.flag_case(s, actor=w.mediator, case_id=calm.id, flags=["violence"], note="当事人情绪激动")
    assert new == {"violence"}
    plain = accepted_case(db, w.mediator)
    with db.read() as s:
        notes = s.exec(select(Notification).where(Notification.key == "notify.warning")).all()
        flagged = workbench.list_cards(s, actor=w.coordinator, view="flagged")
        counts = workbench.count_cases(s, actor=w.coordinator)
        cards = workbench.list_cards(s, actor=w.mediator, view="all")
    assert [n.org_id for n in notes] == [w.orgs["coord"].id] and notes[0].case_id == calm.id
    assert [c.id for c in flagged] == [calm.id] and counts.high_risk == 1
    assert {c.id: c.high_risk for c in cards} == {calm.id: True, plain.id: False}
    with pytest.raises(ValidationFailed), db.write() as s:
        warnings.flag_case(s, actor=w.mediator, case_id=calm.id, flags=["astrology"])


def test_accepting_a_submitted_case_runs_the_rules(db):
    """A case that came in without staff (e.g. by QR code) is checked when it is accepted."""
    from services.cases.workflow import transition
    from tests.case_factories import new_case

    w = make_world(db)
    case = new_case(db, w.orgs["v1"], group_size=12)
    assert case.risk_flags == []
    with db.write() as s:
        accepted = transition(s, actor=w.mediator, case_id=case.id, action="accept")
    with db.read() as s:
        told = s.exec(select(Notification).where(Notification.case_id == case.id)).all()
    assert accepted.risk_flags == ["group"] and [n.org_id for n in told] == [w.orgs["coord"].id]


def _set(db, case_id, **fields):
    with db.write() as s:
        c = s.get(Case, case_id)
        for k, v in fields.items():
            setattr(c, k, v)
        s.add(c)


def assert_same_warnings(s, actor, today):
    """The workbench's 高风险 and 超期 equal the dashboard's (unfiltered: the actor's area), and so do their cases."""
    counts = workbench.count_cases(s, actor=actor, today=today)
    unfiltered = Filters(Period.year(today.year))
    board = stats.dashboard(s, actor=actor, filters=unfiltered, today=today)
    assert (counts.high_risk, counts.overdue) == (board.alerts.high_risk, board.alerts.overdue_total)
    listed = {
        kind: {i.id for i in drilldown.list_alerts(s, actor=actor, filters=unfiltered, kind=kind, today=today).items}
        for kind in drilldown.ALERT_KINDS
    }
    flagged = {c.id for c in workbench.list_cards(s, actor=actor, view="flagged", limit=100, today=today)}
    overdue = {c.id for c in workbench.list_cards(s, actor=actor, view="overdue", limit=100, today=today)}
    assert len(flagged) == counts.high_risk and len(overdue) == counts.overdue
    assert flagged == listed["high_risk"] and overdue == listed["accept"] | listed["conclude"] | listed["follow_up"]
    return counts, flagged, overdue


def test_workbench_and_dashboard_show_the_same_warnings(db):
    w = make_world(db)
    today = clock.today()
    risky = accepted_case(db, w.mediator, group_size=30)
    settled = succeeded_case(db, w.mediator, group_size=40)  # flagged, but concluded: no longer a warning
    waiting = new_case(db, w.orgs["v1"])
    late = accepted_case(db, w.mediator2)
    unvisited = succeeded_case(db, w.mediator2)
    _set(db, waiting.id, accept_due=today - timedelta(days=1))
    _set(db, late.id, conclude_due=today - timedelta(days=2))
    with db.write() as s:
        fu = s.exec(select(FollowUp).where(FollowUp.case_id == unvisited.id)).one()
        fu.due = today - timedelta(days=3)
        s.add(fu)
    assert settled.risk_level == "high"
    with db.read() as s:
        for actor in (w.coordinator, w.justice):
            counts, flagged, overdue = assert_same_warnings(s, actor, today)
            assert (counts.high_risk, counts.overdue) == (1, 3)
            assert flagged == {risky.id} and overdue == {waiting.id, late.id, unvisited.id}
        village = workbench.count_cases(s, actor=w.mediator, today=today)
        assert (village.high_risk, village.overdue) == (1, 1)  # their own village's cases only
