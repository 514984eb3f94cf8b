from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from models import (
    Agreement,
    AuditLog,
    CaseEvent,
    JudicialConfirmation,
    MediationSession,
    Notification,
    Party,
    PartyConfirmation,
    PartyLink,
)
from models.base import utc_now
from services.cases import outcomes, party_links
from services.cases import party_view as party_page
from services.cases import view as case_view
from services.cases.party_links import LinkUnusable
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from services.core.security import token_digest
from tests.case_factories import make_world, succeeded_case


def _parties(db, case_id):
    with db.read() as s:
        return list(s.exec(select(Party).where(Party.case_id == case_id).order_by(Party.id)).all())


def _issue(db, actor, case_id, party_id, **kw):
    with db.write() as s:
        issued = party_links.issue_link(
            s, actor=actor, case_id=case_id, party_id=party_id, base_url="https://x.test", **kw
        )
    return issued, parse_qs(urlparse(issued.url).query)["t"][0]


@pytest.fixture
def setup(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    a, b = _parties(db, case.id)
    return w, case, a, b


def test_token_unguessable_digest_only_and_scope(db, setup):
    w, case, a, _ = setup
    issued, token = _issue(db, w.mediator, case.id, a.id)
    assert issued.url.startswith("https://x.test/party?t=") and len(token) >= 32
    with db.read() as s:
        link = s.get(PartyLink, issued.link_id)
        logs = " ".join(str(r.detail) for r in s.exec(select(AuditLog)).all())
    assert link.token_hash == token_digest(token) and token not in logs and a.phone not in logs
    assert "party" in issued.url and str(case.id) not in issued.url.split("?", 1)[1].replace(token, "")
    with pytest.raises(OutOfScope), db.write() as s:
        party_links.issue_link(s, actor=w.mediator2, case_id=case.id, party_id=a.id)
    with pytest.raises(PermissionDenied), db.write() as s:
        party_links.issue_link(s, actor=w.police, case_id=case.id, party_id=a.id)


def test_open_with_right_digits_masks_the_other_party(db, setup):
    w, case, a, b = setup
    _, token = _issue(db, w.mediator, case.id, a.id)
    with pytest.raises(ValidationFailed) as err:
        party_page.open_page(db, token=token, last4="0000" if not a.phone.endswith("0000") else "1111", client="c")
    assert err.value.key == "error.party_digits_wrong" and err.value.params["left"] == 4
    view = party_page.open_page(db, token=token, last4=a.phone[-4:], client="c")
    own = next(p for p in view.parties if p.own)
    other = next(p for p in view.parties if not p.own)
    assert own.name == a.name and own.phone == a.phone
    assert other.name == "李某" and b.phone not in other.phone and "****" in other.phone
    assert "李四" not in view.terms and "李某" in view.terms and view.agreement_version == 1
    with db.read() as s:
        assert s.get(PartyLink, _link_id(s, token)).failed_checks == 0  # reset after the right digits


def _link_id(s, token):
    return s.exec(select(PartyLink.id).where(PartyLink.token_hash == token_digest(token))).one()


def test_five_wrong_tries_lock_then_unlock_later(db, setup):
    w, case, a, _ = setup
    _, token = _issue(db, w.mediator, case.id, a.id)
    wrong = "0000" if not a.phone.endswith("0000") else "1111"
    now = utc_now()
    for _ in range(4):
        with pytest.raises(ValidationFailed):
            party_links.verify(db, token=token, last4=wrong, client="c", now=now)
    with pytest.raises(LinkUnusable) as err:
        party_links.verify(db, token=token, last4=wrong, client="c", now=now)
    assert err.value.key == "error.party_link_locked"
    with pytest.raises(LinkUnusable) as err:  # even the right digits are refused while locked
        party_links.verify(db, token=token, last4=a.phone[-4:], client="c", now=now + timedelta(minutes=5))
    assert err.value.key == "error.party_link_locked"
    opened = party_links.verify(db, token=token, last4=a.phone[-4:], client="c", now=now + timedelta(minutes=31))
    assert opened.party_id == a.id


@pytest.mark.parametrize("case_", ["unknown", "revoked", "expired"])
def test_unusable_links_say_so_and_show_nothing(db, setup, case_):
    w, case, a, _ = setup
    issued, token = _issue(db, w.mediator, case.id, a.id, days=1)
    now = utc_now()
    if case_ == "unknown":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case_ == "revoked":
        with db.write() as s:
            party_links.revoke_link(s, actor=w.mediator, link_id=issued.link_id)
    else:
        now = now + timedelta(days=2)
    with pytest.raises(LinkUnusable) as err:
        party_page.open_page(db, token=token, last4=a.phone[-4:], client="c", now=now)
    assert (
        err.value.key
        == {
            "unknown": "error.party_link_invalid",
            "revoked": "error.party_link_revoked",
            "expired": "error.party_link_expired",
        }[case_]
    )
    assert "case_no" not in err.value.params and a.name not in str(err.value.params)


def test_reissue_revokes_the_earlier_link(db, setup):
    w, case, a, _ = setup
    _, first = _issue(db, w.mediator, case.id, a.id)
    _, second = _issue(db, w.mediator, case.id, a.id)
    with pytest.raises(LinkUnusable):
        party_links.check_token(db, token=first)
    party_links.check_token(db, token=second)
    with db.read() as s:
        rows = party_links.list_links(s, actor=w.mediator, case_id=case.id)
    assert [r.status for r in rows] == ["active", "revoked"]


def test_confirm_by_all_and_new_version_asks_again(db, setup):
    w, case, a, b = setup
    _, ta = _issue(db, w.mediator, case.id, a.id)
    _, tb = _issue(db, w.mediator, case.id, b.id)
    with pytest.raises(ValidationFailed):
        party_page.decide(db, token=tb, last4=b.phone[-4:], version=1, decision="declined", reason=" ")
    v = party_page.decide(db, token=ta, last4=a.phone[-4:], version=1, decision="confirmed")
    assert v.my_decision == "confirmed" and not v.all_confirmed
    with pytest.raises(Conflict):
        party_page.decide(db, token=ta, last4=a.phone[-4:], version=1, decision="confirmed")
    v = party_page.decide(db, token=tb, last4=b.phone[-4:], version=1, decision="confirmed")
    assert v.all_confirmed
    with db.read() as s:
        kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()]
        status = party_page.confirmation_status(s, actor=w.mediator, case_id=case.id)
        notes = s.exec(select(Notification).where(Notification.key == "notice.party_all_confirmed")).all()
        conf = s.exec(select(PartyConfirmation).where(PartyConfirmation.party_id == a.id)).one()
    assert kinds.count("party.confirmed") == 2 and kinds.count("party.all_confirmed") == 1 and len(notes) == 1
    assert status.all_confirmed and conf.link_id and conf.at is not None
    # the mediator revises the agreement: a new version → earlier confirmations no longer count
    with db.read() as s:
        old = s.exec(select(Agreement).where(Agreement.case_id == case.id)).one()
    revised = outcomes.AgreementInput(
        kind=old.kind, terms="李四于下月底前赔偿800元", grade="standard", amount_fen=80_000
    )
    with pytest.raises(ValidationFailed), db.write() as s:
        outcomes.revise_agreement(s, actor=w.mediator, case_id=case.id, data=revised, reason=" ")
    with db.write() as s:
        outcomes.revise_agreement(s, actor=w.mediator, case_id=case.id, data=revised, reason="双方同意调整金额")
    v = party_page.open_page(db, token=ta, last4=a.phone[-4:], client="c")
    assert v.agreement_version == 2 and v.my_decision is None and not v.all_confirmed and "800" in v.terms
    with pytest.raises(Conflict) as err:  # the party read version 1; version 2 is now in force
        party_page.decide(db, token=ta, last4=a.phone[-4:], version=1, decision="confirmed")
    assert err.value.key == "error.party_agreement_changed"
    v = party_page.decide(db, token=ta, last4=a.phone[-4:], version=2, decision="declined", reason="金额不对")
    assert v.my_decision == "declined"
    with db.read() as s:
        assert (
            s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "agreement.revised"))
            .one()
            .note
            == "双方同意调整金额"
        )


def test_revise_agreement_refused_before_a_court_and_for_other_villages(db, setup):
    w, case, _, _ = setup
    data = outcomes.AgreementInput(kind="written", terms="新条款", grade="standard")
    with db.read() as s:
        assert "revise" in case_view.get_case_detail(s, actor=w.mediator, case_id=case.id).actions
    with pytest.raises((OutOfScope, PermissionDenied)), db.write() as s:
        outcomes.revise_agreement(s, actor=w.mediator2, case_id=case.id, data=data, reason="x")
    with db.write() as s:
        s.add(JudicialConfirmation(case_id=case.id, court_org_id=case.org_id, result="pending"))
    with pytest.raises(Conflict) as err, db.write() as s:
        outcomes.revise_agreement(s, actor=w.mediator, case_id=case.id, data=data, reason="x")
    assert err.value.key == "error.agreement_with_court"
    with db.read() as s:
        assert "revise" not in case_view.get_case_detail(s, actor=w.mediator, case_id=case.id).actions


def test_online_sessions_show_with_https_join_link(db, setup):
    w, case, a, _ = setup
    with db.write() as s:
        s.add(
            MediationSession(
                case_id=case.id,
                held_at=utc_now() + timedelta(days=1),
                online=True,
                meeting_url="https://meeting.tencent.com/dm/abc",
                notes="线上调解",
            )
        )
        s.add(
            MediationSession(
                case_id=case.id,
                held_at=utc_now() + timedelta(days=2),
                online=True,
                meeting_url="javascript:alert(1)",
                notes="x",
            )
        )
    _, token = _issue(db, w.mediator, case.id, a.id)
    v = party_page.open_page(db, token=token, last4=a.phone[-4:], client="c")
    assert [x.meeting_url for x in v.sessions] == ["https://meeting.tencent.com/dm/abc", ""]
    assert all(x.upcoming for x in v.sessions)


def test_schedule_online_then_party_sees_join_and_attendance(db, setup):
    from services.cases import online as online_sessions

    w, case, a, b = setup
    when = utc_now() + timedelta(hours=2)
    with pytest.raises(ValidationFailed), db.write() as s:
        online_sessions.schedule_online(s, actor=w.mediator, case_id=case.id, held_at=when, meeting_url="http://x")
    with pytest.raises(OutOfScope), db.write() as s:
        online_sessions.schedule_online(
            s, actor=w.mediator2, case_id=case.id, held_at=when, meeting_url="https://meeting.tencent.com/dm/x"
        )
    with db.write() as s:
        row = online_sessions.schedule_online(
            s, actor=w.mediator, case_id=case.id, held_at=when, meeting_url="https://meeting.tencent.com/dm/x"
        )
        sid = row.id
    _, token = _issue(db, w.mediator, case.id, a.id)
    v = party_page.open_page(db, token=token, last4=a.phone[-4:], client="c")
    assert [(x.meeting_url, x.upcoming) for x in v.sessions] == [("https://meeting.tencent.com/dm/x", True)]
    with pytest.raises(Conflict), db.write() as s:
        online_sessions.record_attendance(s, actor=w.mediator, session_id=sid, attended=[a.id], duration_minutes=30)
    with db.write() as s:
        online_sessions.record_attendance(
            s,
            actor=w.mediator,
            session_id=sid,
            attended=[a.id, b.id],
            duration_minutes=45,
            now=when + timedelta(hours=1),
        )
    with db.read() as s:
        rows = online_sessions.list_online(s, actor=w.mediator, case_id=case.id)
    assert rows[0].attended == 2 and rows[0].duration_minutes == 45
