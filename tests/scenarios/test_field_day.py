"""A field day, lived through the services on SQLite and PostgreSQL (issue 22).

A township office signs its thirty mediators in and out from one address; residents file by QR code just before
and after midnight on the last day of a month (China time); a resident's phone and a mediator double-tap; a police
liaison hands a dispute over, twice; cases run to the archive. At the end: nobody was locked out, no case was
filed twice, every date a person is shown is the China date, and the workbench's counts equal the dashboard's.
The browser half of the day is tests/scenarios/test_field_day_browser.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import col, func, select

from models import Agreement, Case, CaseStatus, FollowUp, LoginThrottle, MediationSession, Referral
from services.access import accounts
from services.access.signin import SignInFailed, authenticate, end_session, session_key, start_session
from services.cases import outcomes, referrals, sessions, workbench
from services.cases import record as case_record
from services.cases.create import PartyInput
from services.cases.workflow import transition
from services.core import clock
from services.core.clock import LOCAL_TZ, format_local, format_local_date, local_date
from services.core.config import Limit, get_settings
from services.intake import queue as intake_queue
from services.intake import tracking
from services.intake.form import IntakeForm, issue_form_token
from services.intake.pipeline import IntakeSettings, submit_intake
from services.stats import dashboard as stats
from services.stats.sql import Filters, Period
from tests.case_factories import accepted_case, agreement_input, make_world, session_input
from tests.factories import PASSWORD, make_actor, make_tree
from tests.services.cases.test_warnings import assert_same_warnings
from tests.services.intake.test_pipeline import make_form

OFFICE = "203.0.113.20"  # the township office's one NAT address
MEDIATORS = 30
OPEN = IntakeSettings(min_seconds=3, client=Limit(5, 600), org=Limit(1000, 3600))
STORY = "邻居家排水沟堵塞，雨水流进我家院子，多次协商无果，希望调解员帮忙。"


def china(text: str) -> datetime:
    """A China wall-clock time ("2027-01-31 23:50") as the aware UTC instant the database stores."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).astimezone(UTC)


def cases_count(db, *where) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(Case).where(*where)).one())


@pytest.fixture
def township(db):
    with db.write() as s:
        tree = make_tree(s)
        for i in range(MEDIATORS):
            village = tree["v1"] if i % 2 else tree["v2"]
            accounts.create_user(
                s,
                username=f"tj{i:02d}",
                display_name=f"调解员{i:02d}",
                password=PASSWORD,
                org_code=village.code,
                roles=["mediator"],
            )
        tree_actors = {"coordinator": make_actor(s, tree["town"], ["coordinator"])}
    return tree, tree_actors


def test_a_township_signs_in_twice_a_morning_from_one_address_and_nobody_is_locked_out(db, township):
    settings = get_settings()
    morning = china("2027-01-29 08:00")
    refused = []
    for shift in (timedelta(0), timedelta(hours=5, minutes=30)):  # the morning and after lunch
        for i in range(MEDIATORS):
            at = morning + shift + timedelta(seconds=20 * i)
            name = f"tj{i:02d}"
            if i % 7 == 0:  # a typo first
                with pytest.raises(SignInFailed):
                    authenticate(db, settings, username=name, password=PASSWORD + "x", client=OFFICE, now=at)
            try:
                ok = authenticate(db, settings, username=name, password=PASSWORD, client=OFFICE, now=at)
            except Exception as err:
                refused.append((name, type(err).__name__))
                continue
            key = session_key(name, at.timestamp())
            with db.write() as s:
                start_session(s, user_id=ok.user_id, key=key, client=OFFICE)
            with db.write() as s:
                end_session(s, key=key)
    assert refused == []
    with db.read() as s:
        locks = s.exec(select(LoginThrottle).where(col(LoginThrottle.locked_until).is_not(None))).all()
    assert locks == []


def _resident_form(*, shown_at: datetime, **overrides) -> IntakeForm:
    return make_form(form_token=issue_form_token(shown_at), **overrides)


def test_residents_file_at_midnight_of_a_month_end_and_see_the_china_date(db, township):
    _tree, actors = township
    before = china("2027-01-31 23:50")
    after = china("2027-02-01 00:10")
    night = _resident_form(shown_at=before - timedelta(minutes=2), applicant_phone="13811110001")
    morning = _resident_form(
        shown_at=after - timedelta(minutes=2), applicant_phone="13811110002", description=STORY + "又"
    )
    with time_machine.travel(before, tick=False):
        first = submit_intake(db, night, client="198.51.100.7", settings=OPEN)
    # the resident's phone loses the answer and sends the same form again: one case, the same code
    with time_machine.travel(before + timedelta(seconds=4), tick=False):
        again = submit_intake(db, night, client="198.51.100.7", settings=OPEN)
    assert (again.case_id, again.tracking_code) == (first.case_id, first.tracking_code)
    with time_machine.travel(after, tick=False):
        second = submit_intake(db, morning, client="198.51.100.8", settings=OPEN)
    assert cases_count(db) == 2

    # /track tells each resident the China day they filed on, not the UTC one
    for result, phone, day in ((first, "13811110001", "2027-01-31"), (second, "13811110002", "2027-02-01")):
        view = tracking.lookup(db, code=result.tracking_code or "", last4=phone[-4:], client="198.51.100.9", now=after)
        assert view.received_on.isoformat() == day
    # the intake queue and the case page show the same China time
    with db.read() as s:
        rows = {r.id: r for r in intake_queue.list_queue(s, actor=actors["coordinator"])}
    assert format_local(rows[first.case_id].received_at).startswith("2027-01-31 23:50")
    assert format_local(rows[second.case_id].received_at).startswith("2027-02-01 00:10")
    assert format_local_date(rows[second.case_id].received_at) == "2027-02-01"
    # the two cases fall into two China months, on the dashboard as on the screens
    assert {local_date(r.received_at).month for r in rows.values()} == {1, 2}
    with db.read() as s:
        board = stats.dashboard(
            s, actor=actors["coordinator"], filters=Filters(Period.year(2027)), today=date(2027, 2, 1)
        )
    received = {row.key: row["received"] for row in board.by_month}
    assert (received.get(202701), received.get(202702)) == (1, 1), received


def _handover(w, token: str, **overrides) -> referrals.HandoverInput:
    values = {
        "to_org_id": w.orgs["v1"].id,
        "source": "dispatch_110",
        "category": "neighbour",
        "description": "110接警：两户因宅基地边界的围墙发生争吵，民警到场劝开，建议村调委会调解。",
        "parties": [
            PartyInput(side="applicant", name="王五", phone="13712340001"),
            PartyInput(side="respondent", name="赵六"),
        ],
        "form_token": token,
    }
    values.update(overrides)
    return referrals.HandoverInput(**values)


def count(db, model, *where) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())


def test_a_hand_over_runs_to_the_archive_once_however_often_people_tap(db):
    w = make_world(db)
    # the liaison taps 移交 twice, then files the same dispute again from another form a few minutes later
    with db.write() as s:
        case = referrals.handover_case(s, actor=w.police, data=_handover(w, "day-h1"))
    with db.write() as s:
        assert referrals.handover_case(s, actor=w.police, data=_handover(w, "day-h1")).id == case.id
    with pytest.raises(referrals.LooksLikeEarlier) as asked, db.write() as s:
        referrals.handover_case(s, actor=w.police, data=_handover(w, "day-h2"))
    assert asked.value.params["no"] == case.case_no  # "this looks like case X — send anyway?" → no
    assert count(db, Case) == 1 and count(db, Referral) == 1

    # the village mediator accepts it and works it through; every form is tapped twice
    with db.read() as s:
        referral = s.exec(select(Referral).where(Referral.case_id == case.id)).one()
    with db.write() as s:
        referrals.accept_referral(s, actor=w.mediator, referral_id=referral.id)
    for _ in range(2):
        with db.write() as s:
            sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input(form_token="day-s1"))
    for _ in range(2):
        with db.write() as s:
            outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=agreement_input(form_token="day-a1"))
    for _ in range(2):
        with db.write() as s:
            outcomes.record_follow_up(
                s, actor=w.mediator, case_id=case.id, method="phone", satisfaction=5, holds=True, form_token="day-f1"
            )
    with db.write() as s:
        fresh = s.get(Case, case.id)
        transition(s, actor=w.mediator, case_id=case.id, action="archive", data={}, expected_version=fresh.version)
    # and records an on-the-spot dispute, double-tapping 登记并结案
    quick = case_record.QuickCaseInput(parties_text="孙桂兰、周建国", terms="周建国当场道歉", form_token="day-q1")
    for _ in range(2):
        with db.write() as s:
            case_record.quick_case(s, actor=w.mediator, data=quick)

    with db.read() as s:
        archived = s.get(Case, case.id)
        assert archived.status == CaseStatus.ARCHIVED
    assert count(db, Case) == 2, "a double tap filed a case twice"
    assert count(db, MediationSession, MediationSession.case_id == case.id) == 1
    assert count(db, Agreement, Agreement.case_id == case.id) == 1
    assert count(db, FollowUp, FollowUp.case_id == case.id, col(FollowUp.done_at).is_not(None)) == 1

    # a group dispute (high risk) is still being mediated at the end of the day
    accepted_case(db, w.mediator, group_size=30)
    # every warning count on the office's workbench equals its dashboard's, and the village's are part of them
    today = clock.today()
    with db.read() as s:
        for actor in (w.coordinator, w.justice):
            counts, _, _ = assert_same_warnings(s, actor, today)
            assert counts.high_risk == 1
        village = workbench.count_cases(s, actor=w.mediator, today=today)
    assert village.high_risk == 1
