"""The party page (/party?t=…), the staff party-links page and the duty page through AppTest."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from models import Mediator, Party, PartyConfirmation, User
from services.cases import party_links
from services.core import clock
from services.roster import duty
from tests.case_factories import make_world, succeeded_case
from tests.pages.conftest import page_text


def _user(db, actor) -> User:
    with db.read() as s:
        return s.get(User, actor.user_id)


def _setup(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    with db.read() as s:
        a, b = s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)).all()
    with db.write() as s:
        issued = party_links.issue_link(s, actor=w.mediator, case_id=case.id, party_id=a.id)
    return w, case, a, b, issued


def _party_page(make_app, token):
    at = make_app(query={"t": token})
    at.run()
    at.switch_page("pages/public/party.py").run()
    assert not at.exception, at.exception
    return at


def test_party_page_digits_then_confirm(db, make_app):
    _w, case, a, b, issued = _setup(db)
    token = issued.url.split("t=", 1)[1]
    at = _party_page(make_app, token)
    text = page_text(at)
    assert case.case_no not in text and a.name not in text and "李" not in text
    at.text_input(key="party.last4").input("0000" if not a.phone.endswith("0000") else "1111")
    at.button(key="party.submit").click().run()
    assert "还可以尝试 4 次" in page_text(at) and case.case_no not in page_text(at)
    at.text_input(key="party.last4").input(a.phone[-4:])
    at.button(key="party.submit").click().run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert case.case_no in text and a.phone in text and b.phone not in text and "李某" in text and "李四" not in text
    at.button(key="party.confirm").click().run()
    assert not at.exception, at.exception
    assert "您已于" in page_text(at)
    with db.read() as s:
        assert s.exec(select(PartyConfirmation)).one().decision == "confirmed"


def test_revoked_link_shows_message_and_nothing_else(db, make_app):
    w, case, _a, _, issued = _setup(db)
    with db.write() as s:
        party_links.revoke_link(s, actor=w.mediator, link_id=issued.link_id)
    at = _party_page(make_app, issued.url.split("t=", 1)[1])
    text = page_text(at)
    assert "已被调解组织收回" in text and case.case_no not in text and not at.text_input
    at = _party_page(make_app, "not-a-token-at-all-xxxx")
    assert "链接无效" in page_text(at) and not at.text_input


def test_staff_issue_link_and_see_confirmations(db, make_app):
    w, case, _a, _b, _ = _setup(db)
    at = make_app(user=_user(db, w.mediator), query={"case": str(case.id)})
    at.run()
    at.switch_page("pages/staff/party_links.py").run()
    assert not at.exception, at.exception
    at.button(key="party_links.issue").click().run()
    assert not at.exception, at.exception
    assert "/party?t=" in at.code[0].value
    text = page_text(at)
    assert "张三" not in text and "李四" not in text and "未答复" in text
    other = make_app(user=_user(db, w.mediator2), query={"case": str(case.id)})
    other.run()
    other.switch_page("pages/staff/party_links.py").run()
    assert not other.exception and not other.code and case.case_no not in page_text(other)


def test_duty_page_and_on_call_widget(db, make_app):
    w = make_world(db)
    with db.write() as s:
        m = Mediator(org_id=w.orgs["police"].id, name="王调解", phone="13900000001")
        s.add(m)
        s.flush()
        mid = m.id
    with db.write() as s:
        today = clock.today()
        for kind in ("day", "night"):
            for d in (today - timedelta(days=1), today):
                duty.assign(s, actor=w.coordinator, org_id=w.orgs["police"].id, mediator_id=mid, day=d, kind=kind)
    at = make_app(user=_user(db, w.coordinator))
    at.run()
    at.switch_page("pages/staff/duty.py").run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "王调解" in text and "无人值班" in text
    assert any(b.proto.url == "tel:13900000001" for b in at.get("link_button"))


def test_staff_schedules_online_session_party_sees_join(db, make_app):
    w, case, a, _, issued = _setup(db)
    at = make_app(user=_user(db, w.mediator), query={"case": str(case.id)})
    at.run()
    at.switch_page("pages/staff/party_links.py").run()
    from datetime import time as _time

    at.date_input(key="online.day").set_value(clock.today() + timedelta(days=1))
    at.time_input(key="online.time").set_value(_time(10, 0))
    at.text_input(key="online.url").input("https://meeting.tencent.com/dm/abc")
    at.button(key="online.schedule").click().run()
    assert not at.exception, at.exception
    assert "https://meeting.tencent.com/dm/abc" in page_text(at)
    party = _party_page(make_app, issued.url.split("t=", 1)[1])
    party.text_input(key="party.last4").input(a.phone[-4:])
    party.button(key="party.submit").click().run()
    assert any(b.proto.url == "https://meeting.tencent.com/dm/abc" for b in party.get("link_button"))
