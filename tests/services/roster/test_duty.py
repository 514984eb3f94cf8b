from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from models import Mediator, Notification
from services.core import clock
from services.core.config import get_settings
from services.core.errors import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from services.roster import duty
from tests.case_factories import make_world

D = date(2026, 12, 7)  # a Monday


def at(day: date, hhmm: str, second: int = 0) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, second, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def room(db):
    w = make_world(db)
    with db.write() as s:
        a = Mediator(org_id=w.orgs["police"].id, name="王调解", phone="13900000001", user_id=w.room_mediator.user_id)
        b = Mediator(org_id=w.orgs["police"].id, name="刘调解", phone="13900000002")
        s.add(a)
        s.add(b)
        s.flush()
        ids = (a.id, b.id)
    with db.write() as s:
        duty.assign(s, actor=w.coordinator, org_id=w.orgs["police"].id, mediator_id=ids[0], day=D, kind="day")
        duty.assign(s, actor=w.coordinator, org_id=w.orgs["police"].id, mediator_id=ids[1], day=D, kind="night")
    return w, ids


@pytest.mark.parametrize(
    ("moment", "who", "shift"),
    [
        (at(D, "08:29", 59), None, (D - timedelta(days=1), "night")),  # before the desk opens: last night's on-call
        (at(D, "08:30"), 0, (D, "day")),
        (at(D, "17:29", 59), 0, (D, "day")),
        (at(D, "17:30"), 1, (D, "night")),
        (at(D + timedelta(days=1), "03:00"), 1, (D, "night")),  # after midnight: still the night shift of D
        (at(D + timedelta(days=1), "08:29", 59), 1, (D, "night")),
        (at(D + timedelta(days=1), "08:30"), None, (D + timedelta(days=1), "day")),
    ],
)
def test_on_call_at_the_shift_boundaries(db, room, moment, who, shift):
    w, ids = room
    assert duty.shift_at(moment) == shift
    with db.read() as s:
        found = duty.on_call(s, org_id=w.orgs["police"].id, at=moment)
    assert [o.mediator_id for o in found] == ([] if who is None else [ids[who]])
    if who is not None:
        assert found[0].phone.startswith("139") and found[0].kind == shift[1]


def test_boundaries_are_settings(db, room, monkeypatch):
    monkeypatch.setenv("DUTY_DAY_START", "09:00")
    monkeypatch.setenv("DUTY_DAY_END", "18:00")
    get_settings.cache_clear()
    assert duty.shift_at(at(D, "08:45")) == (D - timedelta(days=1), "night")
    assert duty.shift_at(at(D, "17:45")) == (D, "day")
    assert duty.shift_at(at(D, "18:00")) == (D, "night")


def test_utc_moment_converted_to_china_time(db, room):
    from datetime import UTC

    assert duty.shift_at(datetime(2026, 12, 7, 0, 30, tzinfo=UTC)) == (D, "day")  # 08:30 in Beijing


def test_assign_rules(db, room):
    w, ids = room
    with pytest.raises(Conflict), db.write() as s:
        duty.assign(s, actor=w.coordinator, org_id=w.orgs["police"].id, mediator_id=ids[0], day=D, kind="day")
    with pytest.raises(ValidationFailed), db.write() as s:
        duty.assign(s, actor=w.coordinator, org_id=w.orgs["police"].id, mediator_id=ids[0], day=D, kind="noon")
    with pytest.raises(ValidationFailed), db.write() as s:  # a room's schedule holds its own mediators
        duty.assign(s, actor=w.coordinator, org_id=w.orgs["v1"].id, mediator_id=ids[0], day=D, kind="day")
    with pytest.raises(PermissionDenied), db.write() as s:
        duty.assign(s, actor=w.mediator, org_id=w.orgs["police"].id, mediator_id=ids[0], day=D, kind="night")
    with db.read() as s:
        days = duty.week(s, actor=w.coordinator, org_id=w.orgs["police"].id, start=D)
        with pytest.raises(OutOfScope):
            duty.week(s, actor=w.mediator, org_id=w.orgs["police"].id, start=D)
    assert [x.name for x in days[0].day_shift] == ["王调解"] and [x.name for x in days[0].night_shift] == ["刘调解"]
    assert all(not d.day_shift for d in days[1:])


def test_gap_a_week_ahead_flagged_once(db, room):
    w, ids = room
    today = D - timedelta(days=7)
    with db.write() as s:  # cover every shift of the week but the night of D
        for i in range(8):
            day = today + timedelta(days=i)
            for kind in ("day", "night"):
                if day == D:
                    continue
                duty.assign(s, actor=w.coordinator, org_id=w.orgs["police"].id, mediator_id=ids[0], day=day, kind=kind)
    with db.write() as s:
        s.exec(select(Mediator)).all()
        from services.roster.duty import DutyShift

        night = s.exec(select(DutyShift).where(DutyShift.day == D, DutyShift.kind == "night")).one()
        duty.unassign(s, actor=w.coordinator, shift_id=night.id)
    with db.write() as s:
        assert [(g.day, g.kind) for g in duty.gaps(s, today=today)] == [(D, "night")]
        assert duty.flag_gaps(s, today=today) == 1
    with db.write() as s:
        assert duty.flag_gaps(s, today=today) == 0  # the check runs again: still one warning
    with db.read() as s:
        notes = s.exec(select(Notification).where(Notification.key == "notice.duty_gap_night")).all()
    assert len(notes) == 1 and notes[0].org_id == w.orgs["coord"].id and notes[0].params["shift"] == "night"


def test_my_duties(db, room):
    w, _ = room
    with db.read() as s:
        mine = duty.my_duties(s, actor=w.room_mediator, today=D)
        assert duty.my_duties(s, actor=w.mediator, today=D) == []
    assert [(m.day, m.kind) for m in mine] == [(D, "day")]


def test_liaison_rooms_for_the_handover_form(db, room):
    w, _ = room
    with db.read() as s:
        assert [r.org_id for r in duty.liaison_rooms(s, actor=w.police)] == [w.orgs["police"].id]
        assert duty.liaison_rooms(s, actor=w.court) == []
