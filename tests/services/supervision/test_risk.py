"""Risk levels by rule: colours and reasons, re-grading on a rule change, response clocks at their boundaries,
escalation once, the 会商 record, and one person's other disputes in the actor's area."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlmodel import col, select

from models import AuditLog, Case, CaseEvent, CaseRisk, Notification, Organisation
from services.cases.create import PartyInput
from services.cases.warnings import flag_case
from services.core.db import Database
from services.core.errors import DomainError, OutOfScope
from services.lowcode import rules
from services.notify.inbox import coordinator_org_ids
from services.supervision import person, response, risk
from services.supervision import risk_rules as rr
from tests.case_factories import make_world, new_case

# 22:30 in China on a Monday night: the 2-hour clock runs past midnight (00:30 on Tuesday, China time)
NIGHT = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
_phones = itertools.count(13600000000)


def case_of(db: Database, org: Organisation, **overrides: Any) -> Case:
    """A case whose parties appear in no other case (so repeat rules stay quiet)."""
    parties = [
        PartyInput(side="applicant", name="甲", phone=str(next(_phones))),
        PartyInput(side="respondent", name="乙"),
    ]
    return new_case(db, org, parties=overrides.pop("parties", parties), **overrides)


def graded(db: Database, case_id: int) -> CaseRisk:
    with db.write() as s:
        risk.refresh_case(s, case_id)
    with db.read() as s:
        row = s.exec(select(CaseRisk).where(CaseRisk.case_id == case_id)).one()
        s.expunge(row)
        return row


def test_grade_levels_by_flag_group_source_and_reason(db: Database) -> None:
    w = make_world(db)
    violent = case_of(db, w.orgs["v1"])
    with db.write() as s:
        flag_case(s, actor=w.mediator, case_id=violent.id, flags=["violence"])
    assert (graded(db, violent.id).level, graded(db, violent.id).reasons) == ("red", ["flag:violence"])
    big = case_of(db, w.orgs["v1"], group_size=35)
    assert graded(db, big.id).level == "red" and "group:35" in graded(db, big.id).reasons
    mid = case_of(db, w.orgs["v1"], group_size=12)
    assert graded(db, mid.id).level == "orange"
    screened = case_of(db, w.orgs["v1"], source="screening")
    assert (graded(db, screened.id).level, graded(db, screened.id).reasons) == ("blue", ["source:screening"])
    plain = new_case(db, w.orgs["v1"], parties=[PartyInput(side="applicant", name="王五", phone="13900000001")])
    assert graded(db, plain.id).level == "none"
    with db.read() as s:
        kinds = s.exec(select(CaseEvent.kind).where(CaseEvent.case_id == violent.id)).all()
        assert risk.describe(s, ["flag:violence", "group:35"]) == "有暴力倾向、群体 35 人"
    assert "risk.graded_red" in kinds


def test_repeated_disputes_of_one_person_raise_the_level(db: Database) -> None:
    w = make_world(db)
    same = [PartyInput(side="applicant", name="赵六", phone="13711112222", id_number="")]
    first = new_case(db, w.orgs["v1"], parties=same)
    assert graded(db, first.id).level == "none"
    new_case(db, w.orgs["v1"], parties=same)
    new_case(db, w.orgs["v2"], parties=same)
    assert graded(db, first.id).level == "yellow"  # 2 others: yellow (repeat_min 2)
    new_case(db, w.orgs["v2"], parties=same)
    row = graded(db, first.id)
    assert (row.level, row.reasons) == ("orange", ["repeat:3"])  # 3 others: orange
    with db.read() as s:  # the village mediator sees only the other case in its own village, and no number
        others = person.person_disputes(s, actor=w.mediator, case_id=first.id)
        assert len(others) == 1 and "13711112222" not in repr(others)
        assert len(person.person_disputes(s, actor=w.coordinator, case_id=first.id)) == 3
        with pytest.raises(OutOfScope):
            person.person_disputes(s, actor=w.mediator2, case_id=first.id)


def test_red_clock_at_one_fifty_nine_and_two_oh_one_across_midnight(db: Database) -> None:
    w = make_world(db)
    with time_machine.travel(NIGHT, tick=False):
        case = case_of(db, w.orgs["v1"], group_size=40)
        row = graded(db, case.id)
    assert row.contact_due == NIGHT + timedelta(hours=2) and row.plan_due == NIGHT + timedelta(hours=24)
    with db.read() as s:
        from services.core.clock import format_local

        assert format_local(row.contact_due) == "2026-12-08 00:30"  # past midnight in China
    at_159, at_201 = NIGHT + timedelta(hours=1, minutes=59), NIGHT + timedelta(hours=2, minutes=1)
    assert response.clock_status(row.contact_due, None, at_159) == "running"
    assert response.clock_status(row.contact_due, None, at_201) == "late"
    with db.write() as s:
        assert response.escalate_clocks(s, now=at_159) == 0
    with db.write() as s:
        assert response.escalate_clocks(s, now=at_201) == 1
    with db.write() as s:
        assert response.escalate_clocks(s, now=at_201 + timedelta(minutes=30)) == 0  # once per clock
    with db.read() as s:
        coord = coordinator_org_ids(s, s.get(type(case), case.id))
        told = s.exec(select(Notification).where(Notification.key == "notify.risk_late_contact")).all()
        assert [n.org_id for n in told] == coord
        late = s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "risk.late_contact"))
        assert len(late.all()) == 1
    with db.write() as s:  # a contact made stops that clock
        response.record_response(s, actor=w.mediator, case_id=case.id, step="contact")
    with db.read() as s:
        view = response.risk_view(s, actor=w.mediator, case_id=case.id)
        assert response.clock_status(view.contact_due, view.contact_at, at_201) == "done"


def test_red_case_needs_a_consultation_record(db: Database) -> None:
    w = make_world(db)
    case = case_of(db, w.orgs["v1"], group_size=50)
    graded(db, case.id)
    with db.read() as s:
        assert response.risk_view(s, actor=w.coordinator, case_id=case.id).needs_consultation
    held = datetime.now(UTC) - timedelta(hours=1)
    for _ in range(2):  # a second tap of the same form saves nothing more
        with db.write() as s:
            response.record_consultation(
                s,
                actor=w.coordinator,
                case_id=case.id,
                held_at=held,
                participants="综治中心、派出所、司法所、村委会",
                decision="派出所负责稳控，司法所组织调解",
                form_token="tok-1",
            )
    with db.read() as s:
        view = response.risk_view(s, actor=w.mediator, case_id=case.id)
        assert not view.needs_consultation and len(view.consultations) == 1 and view.plan_at is not None
    with pytest.raises(DomainError), db.write() as s:  # a village mediator does not hold 会商
        response.record_consultation(s, actor=w.mediator, case_id=case.id, held_at=held, participants="a", decision="b")


def test_rule_change_regrades_open_cases_and_rolls_back(db: Database) -> None:
    w = make_world(db)
    case = case_of(db, w.orgs["v1"], group_size=12)
    graded(db, case.id)
    with db.read() as s:
        state = rules.current(s, actor=w.coordinator, name=rr.NAME)
    value = state.value
    value["levels"]["red"]["group_min"] = 10
    with db.write() as s:
        rules.change(s, actor=w.coordinator, name=rr.NAME, value=value, base_version=state.version, note="降低红色门槛")
    with db.read() as s:
        assert s.exec(select(CaseRisk.level).where(CaseRisk.case_id == case.id)).one() == "red"
        last = risk.last_regrade(s)
        assert last is not None and last["changed"] == 1 and last["graded"] >= 1
        assert rules.current(s, actor=w.coordinator, name=rr.NAME).value["levels"]["red"]["group_min"] == 10
    with db.write() as s:
        rules.rollback(s, actor=w.coordinator, name=rr.NAME, version=0, base_version=1)
    with db.read() as s:
        assert s.exec(select(CaseRisk.level).where(CaseRisk.case_id == case.id)).one() == "orange"
        assert rules.history(s, actor=w.coordinator, name=rr.NAME)[0].action == "rollback"
        changes = s.exec(select(AuditLog).where(AuditLog.action == "risk.regrade").order_by(col(AuditLog.id))).all()
        assert [a.detail["changed"] for a in changes] == [1, 1]


def test_rule_check_refuses_bad_values(db: Database) -> None:
    w = make_world(db)
    with db.read() as s:
        value = rules.current(s, actor=w.coordinator, name=rr.NAME).value
        bad = {**value, "levels": {**value["levels"], "red": {**value["levels"]["red"], "owner": "mars"}}}
        with pytest.raises(DomainError):
            rules.validate(s, actor=w.coordinator, name=rr.NAME, value=bad)
        late = {**value["levels"]["red"], "contact_hours": 48, "plan_hours": 24}
        with pytest.raises(DomainError):
            rules.validate(
                s, actor=w.coordinator, name=rr.NAME, value={**value, "levels": {**value["levels"], "red": late}}
            )
