"""Tracking codes and the public /track look-up: plain status, nothing about others, rate limits, one rating."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlmodel import select

from models import Case, PublicRating
from models.base import utc_now
from services.cases.create import PartyInput
from services.cases.workflow import transition
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.core.ratelimit import RateLimited
from services.intake import tracking
from services.intake.queue import reject
from tests.factories import make_actor, make_case, make_tree

CODE = "ABCDEFGHJKMN"


def test_new_tracking_code_is_long_unambiguous_and_random():
    codes = {tracking.new_tracking_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(len(c) == 12 for c in codes)
    used = set("".join(codes))
    assert used == set(tracking.ALPHABET) and not used & set("01OIL")


def test_format_and_normalise_code():
    assert tracking.format_code(CODE) == "ABCD-EFGH-JKMN"
    for typed in ("abcd-efgh-jkmn", " ABCD EFGH JKMN ", "ＡＢＣＤ—ＥＦＧＨ—ＪＫＭＮ", "abcd\u200befghjkmn"):
        assert tracking.normalise_code(typed) == CODE


@pytest.fixture
def world(db):
    """A case from the QR form with code ABCDEFGHJKMN, applicant phone …5678, a named other party."""
    with db.write() as s:
        tree = make_tree(s)
        actor = make_actor(s, tree["v1"], ["mediator"])
        case = make_case(
            s,
            tree["v1"],
            source="qr",
            tracking_code=CODE,
            parties=[
                PartyInput(side="applicant", name="张三", phone="13812345678"),
                PartyInput(side="respondent", name="李四秘密", phone="13999998888", address="东村5组"),
            ],
        )
    return tree, actor, case


def look(db, last4="5678", code="abcd-efgh-jkmn", client="c1"):
    return tracking.lookup(db, code=code, last4=last4, client=client)


def test_lookup_shows_status_org_and_next_step(db, world):
    view = look(db)
    assert (view.code, view.status, view.next_step, view.org_name) == (
        "ABCD-EFGH-JKMN",
        "submitted",
        "submitted",
        "东村调委会",
    )
    assert view.org_phone == "0831-1234567" and view.due is not None and not view.overdue
    assert not view.can_rate and not view.rated


def test_lookup_reveals_nothing_about_the_other_party_or_staff(db, world):
    _, actor, case = world
    with db.write() as s:
        transition(s, actor=actor, case_id=case.id, action="accept")
    text = repr(asdict(look(db)))
    for secret in ("李四", "13999998888", "8888", "东村5组", "张三", "13812345678", actor.display_name, actor.username):
        assert secret not in text


def test_lookup_wrong_digits_and_unknown_code_look_the_same(db, world):
    errors = []
    for code, last4 in ((CODE, "0000"), ("ZZZZZZZZZZZZ", "5678"), ("", "5678")):
        with pytest.raises((NotFound, ValidationFailed)) as err:
            look(db, code=code, last4=last4, client=f"c-{code}")
        errors.append(err.value.key)
    assert errors == ["error.track_not_found", "error.track_not_found", "error.track_code_required"]
    with pytest.raises(ValidationFailed, match=r"error\.track_last4"):
        look(db, last4="56a8")


def test_lookup_rate_limited_per_client_and_per_code(db, world):
    for _ in range(10):
        look(db, client="busy")
    with pytest.raises(RateLimited):
        look(db, client="busy")
    for i in range(5):  # guessing the last four digits from many clients
        with pytest.raises(NotFound):
            look(db, last4=f"{i:04d}", client=f"guess{i}")
    with pytest.raises(RateLimited):
        look(db, client="owner")  # even the right digits wait until the hour is over
    later = utc_now() + timedelta(hours=1, minutes=1)
    assert tracking.lookup(db, code=CODE, last4="5678", client="owner", now=later).status == "submitted"


def test_lookup_rejected_shows_reason_and_advice(db, world):
    _, actor, case = world
    with db.write() as s:
        reject(s, actor=actor, case_id=case.id, reason="not_suitable", advice="请到江安县人民法院立案庭咨询。")
    view = look(db)
    assert (view.status, view.reject_reason, view.advice, view.next_step) == (
        "rejected",
        "not_suitable",
        "请到江安县人民法院立案庭咨询。",
        "rejected",
    )


def test_lookup_overdue_when_accept_date_passed(db, world):
    _, _, case = world
    with db.write() as s:
        c = s.get(Case, case.id)
        c.accept_due = utc_now().date() - timedelta(days=1)
        s.add(c)
    assert look(db).overdue


def test_rate_once_after_closing(db, world):
    _, actor, case = world
    with pytest.raises(Conflict, match=r"error\.rating_not_closed"):
        tracking.rate_case(db, code=CODE, last4="5678", stars=5, comment="", client="c")
    with db.write() as s:
        transition(s, actor=actor, case_id=case.id, action="accept")
        transition(s, actor=actor, case_id=case.id, action="withdraw")
    assert look(db).can_rate
    for stars in (0, 6):
        with pytest.raises(ValidationFailed, match=r"error\.rating_stars"):
            tracking.rate_case(db, code=CODE, last4="5678", stars=stars, comment="", client="c")
    with pytest.raises(ValidationFailed, match=r"error\.intake_too_long"):
        tracking.rate_case(db, code=CODE, last4="5678", stars=4, comment="好" * 501, client="c")
    with pytest.raises(NotFound):
        tracking.rate_case(db, code=CODE, last4="1111", stars=4, comment="", client="c")
    view = tracking.rate_case(db, code=CODE, last4="5678", stars=4, comment="<b>调解员很耐心</b>", client="c")
    assert view.rated and not view.can_rate
    with pytest.raises(Conflict, match=r"error\.rating_once"):
        tracking.rate_case(db, code=CODE, last4="5678", stars=1, comment="", client="c")
    with db.read() as s:
        rows = s.exec(select(PublicRating)).all()
    assert [(r.case_id, r.stars, r.comment) for r in rows] == [(case.id, 4, "<b>调解员很耐心</b>")]
