"""Issue 22: every staff form that creates something saves once per submission (a second tap returns the row the first
saved; the unique token decides, not the look-up before the insert), and a police hand-over that looks like a case
registered in the last week asks before it is filed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import func, select

from models import Agreement, Case, FollowUp, FormSubmission, MediationSession, Party, Referral
from models.base import utc_now
from services.cases import create, outcomes, referrals, sessions
from services.cases import record as case_record
from services.cases.create import PartyInput
from services.core.errors import Conflict
from services.lowcode import forms, registers
from services.roster.orgs import create_org
from tests.case_factories import accepted_case, agreement_input, make_world, session_input, staff_input, succeeded_case
from tests.factories import make_actor


def _count(db, model: Any) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def _blind_first_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """The look-up before the insert misses (as when two taps race): only the unique token can stop the twin."""
    real = create.find_by_token
    calls = {"n": 0}

    def miss_once(session, model, token):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session, model, token)

    monkeypatch.setattr(create, "find_by_token", miss_once)


def _quick(token: str) -> case_record.QuickCaseInput:
    return case_record.QuickCaseInput(parties_text="张三、李四", terms="李四当场道歉", form_token=token)


def test_second_tap_on_quick_case_saves_one_case(db):
    w = make_world(db)
    with db.write() as s:
        first = case_record.quick_case(s, actor=w.mediator, data=_quick("tok-quick-1"))
    with db.write() as s:
        again = case_record.quick_case(s, actor=w.mediator, data=_quick("tok-quick-1"))
    assert again.id == first.id and _count(db, Case) == 1 and _count(db, Agreement) == 1
    with db.write() as s:
        other = case_record.quick_case(s, actor=w.mediator, data=_quick("tok-quick-2"))  # a new form: a new case
    assert other.id != first.id and _count(db, Case) == 2


def test_second_tap_racing_the_first_finds_the_saved_case_by_the_unique_token(db, monkeypatch):
    w = make_world(db)
    with db.write() as s:
        first = case_record.quick_case(s, actor=w.mediator, data=_quick("tok-race"))
    _blind_first_lookup(monkeypatch)
    with db.write() as s:
        again = case_record.quick_case(s, actor=w.mediator, data=_quick("tok-race"))
    assert again.id == first.id and _count(db, Case) == 1 and _count(db, MediationSession) == 1


def test_second_tap_on_new_case_form_saves_one_case(db):
    w = make_world(db)
    first = accepted_case(db, w.mediator, form_token="tok-new")
    again = accepted_case(db, w.mediator, form_token="tok-new")
    assert again.id == first.id and _count(db, Case) == 1
    with db.read() as s:
        saved = case_record.find_saved_case(s, actor=w.mediator, token="tok-new")
        assert case_record.find_saved_case(s, actor=w.mediator2, token="tok-new") is None  # not someone else's
    assert saved == case_record.SavedCase(first.id, first.case_no)
    with pytest.raises(Conflict), db.write() as s:  # another user's token is refused, never returned
        case_record.register_case(s, actor=w.mediator2, data=staff_input(form_token="tok-new"))


def _handover(w, token: str | None = "tok-h", **overrides: Any) -> referrals.HandoverInput:
    base: dict[str, Any] = {
        "to_org_id": w.orgs["v1"].id,
        "source": "dispatch_110",
        "category": "neighbour",
        "description": "110接警：两户因宅基地边界的围墙发生争吵，民警到场劝开。",
        "parties": [PartyInput(side="applicant", name="王五"), PartyInput(side="respondent", name="赵六")],
        "form_token": token,
    }
    base.update(overrides)
    return referrals.HandoverInput(**base)


def test_second_tap_on_police_handover_saves_one_case_and_one_referral(db):
    w = make_world(db)
    with db.write() as s:
        first = referrals.handover_case(s, actor=w.police, data=_handover(w))
    with db.write() as s:
        again = referrals.handover_case(s, actor=w.police, data=_handover(w))
    assert again.id == first.id and _count(db, Case) == 1 and _count(db, Referral) == 1


def test_police_handover_like_a_recent_case_asks_before_sending(db):
    w = make_world(db)
    with db.write() as s:
        earlier = referrals.handover_case(s, actor=w.police, data=_handover(w, token="tok-a"))
    same_story = "110接警：两户因宅基地边界围墙发生争吵，民警到场劝开"
    with pytest.raises(referrals.LooksLikeEarlier) as err, db.write() as s:
        referrals.handover_case(s, actor=w.police, data=_handover(w, token="tok-b", description=same_story))
    assert err.value.twin.case_no == earlier.case_no and err.value.params == {"no": earlier.case_no}
    assert _count(db, Case) == 1  # nothing was filed while asking
    with db.write() as s:  # "send anyway" files it
        sent = referrals.handover_case(
            s, actor=w.police, data=_handover(w, token="tok-b", description=same_story, send_anyway=True)
        )
    assert sent.id != earlier.id and _count(db, Case) == 2 and _count(db, Referral) == 2


def test_police_handover_matches_a_party_by_id_number_and_ignores_other_stories(db):
    w = make_world(db)
    idn = "11010519491231002X"
    with db.write() as s:
        referrals.handover_case(
            s,
            actor=w.police,
            data=_handover(w, token="tok-a", parties=[PartyInput(side="applicant", name="王五", id_number=idn)]),
        )
    renamed = [PartyInput(side="applicant", name="王伍", id_number=idn)]
    with pytest.raises(referrals.LooksLikeEarlier), db.write() as s:
        referrals.handover_case(s, actor=w.police, data=_handover(w, token="tok-b", parties=renamed))
    with db.write() as s:  # the same person with another dispute is no look-alike
        referrals.handover_case(
            s, actor=w.police, data=_handover(w, token="tok-c", description="工地拖欠工资三个月共一万二千元")
        )
    assert _count(db, Case) == 2


def test_police_handover_older_than_a_week_is_no_look_alike(db):
    w = make_world(db)
    with db.write() as s:
        old = referrals.handover_case(s, actor=w.police, data=_handover(w, token="tok-a"))
        row = s.get(Case, old.id)
        row.received_at = utc_now() - timedelta(days=8)
        s.add(row)
    with db.write() as s:
        referrals.handover_case(s, actor=w.police, data=_handover(w, token="tok-b"))
    assert _count(db, Case) == 2


def test_second_tap_on_session_form_saves_one_session(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    data = session_input(form_token="tok-s")
    with db.write() as s:
        first = sessions.record_session(s, actor=w.mediator, case_id=case.id, data=data, expected_version=case.version)
    with db.write() as s:  # the same form again, with the version it was shown at: no "changed meanwhile" refusal
        again = sessions.record_session(s, actor=w.mediator, case_id=case.id, data=data, expected_version=case.version)
    assert again.id == first.id and _count(db, MediationSession) == 1


def test_second_tap_on_session_form_racing_the_first_saves_one_session(db, monkeypatch):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    data = session_input(form_token="tok-s")
    with db.write() as s:
        first = sessions.record_session(s, actor=w.mediator, case_id=case.id, data=data)
    _blind_first_lookup(monkeypatch)
    monkeypatch.setattr(sessions, "find_by_token", lambda *_: None)  # both look-ups before the insert miss
    with db.write() as s:
        again = sessions.record_session(s, actor=w.mediator, case_id=case.id, data=data)
    assert again.id == first.id and _count(db, MediationSession) == 1


def test_second_tap_on_agreement_form_saves_one_agreement(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    with db.write() as s:
        sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input())
    with db.read() as s:
        version = s.get(Case, case.id).version
    data = agreement_input(form_token="tok-a")
    with db.write() as s:
        first = outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=data, expected_version=version)
    with db.write() as s:
        again = outcomes.record_agreement(s, actor=w.mediator, case_id=case.id, data=data, expected_version=version)
    assert again.id == first.id and _count(db, Agreement) == 1


def test_second_tap_on_follow_up_form_records_one_visit(db):
    w = make_world(db)
    case = succeeded_case(db, w.mediator)
    kw: dict[str, Any] = {"method": "phone", "satisfaction": 5, "holds": True, "form_token": "tok-f"}
    with db.write() as s:
        first = outcomes.record_follow_up(s, actor=w.mediator, case_id=case.id, expected_version=case.version, **kw)
    with db.write() as s:
        again = outcomes.record_follow_up(s, actor=w.mediator, case_id=case.id, expected_version=case.version, **kw)
    assert again.id == first.id
    with db.read() as s:
        assert len(s.exec(select(FollowUp).where(FollowUp.case_id == case.id)).all()) == 1


def test_second_tap_on_register_entry_saves_one_entry(db):
    w = make_world(db)
    place = {"key": "place", "type": "text", "label_zh": "地点", "label_en": "Place", "required": True}
    with db.write() as s:
        forms.create_form(
            s,
            actor=w.coordinator,
            draft=forms.FormDraft(code="visits", title_zh="走访", title_en="Visits", fields=[place]),
        )
    with db.write() as s:
        first = registers.add_entry(s, actor=w.mediator, code="visits", values={"place": "东村一组"}, token="tok-r")
    with db.write() as s:
        again = registers.add_entry(s, actor=w.mediator, code="visits", values={"place": "东村一组"}, token="tok-r")
    assert again.id == first.id
    with db.read() as s:
        assert len(s.exec(select(FormSubmission).where(FormSubmission.form_code == "visits")).all()) == 1


def test_police_liaison_finds_own_stationed_room_first_then_the_towns(db):
    w = make_world(db)
    with db.write() as s:
        town2 = create_org(s, code="T2", name="白沙镇", kind="town", parent=w.orgs["county"])
        station = create_org(s, code="PS2", name="白沙派出所", kind="police_station", parent=town2)
        room = create_org(s, code="PR2", name="白沙派出所人民调解室", kind="police_room", parent=station)
        village = create_org(s, code="V9", name="白沙村调委会", kind="village_committee", parent=town2)
        officer = make_actor(s, station, ["police"])
    with db.read() as s:
        targets = referrals.handover_targets(s, actor=officer)
    assert [(o.id, o.own) for o in targets[:2]] == [(room.id, True), (village.id, False)]
    assert {o.id for o in targets[2:]} >= {w.orgs["v1"].id, w.orgs["v2"].id}  # the county's others still offered


def test_quick_case_accepts_a_category_the_office_added(db):
    from models import DictionaryEntry

    w = make_world(db)
    with db.write() as s:
        s.add(DictionaryEntry(dictionary="category", code="pasture", label_zh="草场纠纷", label_en="Pasture"))
    data = case_record.QuickCaseInput(parties_text="张三、李四", terms="划清草场界线", category="pasture")
    with db.write() as s:
        case = case_record.quick_case(s, actor=w.mediator, data=data)
    with db.read() as s:
        assert s.get(Case, case.id).category == "pasture"
        assert len(s.exec(select(Party).where(Party.case_id == case.id)).all()) == 2
