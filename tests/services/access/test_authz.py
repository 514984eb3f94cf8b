from __future__ import annotations

import pytest

from services.access.authz import case_relation, get_case_in_scope, parent_path
from services.cases import confirmation, referrals
from services.core import clock
from services.core.errors import NotFound, OutOfScope
from tests.case_factories import accepted_case, handed_over, make_world, succeeded_case


def test_parent_path():
    assert parent_path("/1/4/17/") == "/1/4/" and parent_path("/1/") == "/"


def test_regional_offices_see_their_county(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.read() as s:
        assert case_relation(s, w.coordinator, case.id) == "owned"
        assert case_relation(s, w.justice, case.id) == "owned"
        assert case_relation(s, w.court, case.id) is None
        assert case_relation(s, w.police, case.id) is None
        assert case_relation(s, w.mediator2, case.id) is None


def test_police_sees_its_handover_and_its_outcome_only(db):
    w = make_world(db)
    case = handed_over(db, w)
    with db.read() as s:
        ref = referrals.list_incoming(s, actor=w.mediator)[0]
    with db.write() as s:
        referrals.accept_referral(s, actor=w.mediator, referral_id=ref.id)
    with db.read() as s:
        assert case_relation(s, w.police, case.id) == "visible"
        assert case_relation(s, w.mediator, case.id) == "owned"


def test_court_sees_cases_sent_for_confirmation(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with db.read() as s, pytest.raises(OutOfScope):
        get_case_in_scope(s, w.court, case.id)
    with db.write() as s:
        app = confirmation.apply_confirmation(s, actor=w.mediator, case_id=case.id, court_org_id=w.orgs["court"].id)
    with db.read() as s:
        assert case_relation(s, w.court, case.id) == "visible"
    with db.write() as s:
        confirmation.rule_confirmation(
            s, actor=w.court, confirmation_id=app.id, confirmed=True, ruling_no="民特1号", ruled_on=clock.today()
        )
    with db.read() as s:
        assert get_case_in_scope(s, w.court, case.id).id == case.id


def test_same_refusal_message_for_missing_and_foreign(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.read() as s:
        with pytest.raises(OutOfScope) as foreign:
            get_case_in_scope(s, w.mediator2, case.id)
        with pytest.raises(NotFound) as missing:
            get_case_in_scope(s, w.mediator2, case.id + 1000)
        with pytest.raises(NotFound):
            get_case_in_scope(s, w.mediator2, "1")  # type: ignore[arg-type]
    assert foreign.value.key == missing.value.key == "error.case_not_found"
