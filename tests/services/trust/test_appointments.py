"""预约调解: slots from the duty schedule, capacity as data, never double-booked (50 at once for 5 seats, two app
instances), a reminder once, residents booking by party link and by tracking code, confirm / propose / no-show."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from models import Appointment, AppointmentSetting, Case, DutyShift, Mediator, Notification, Party
from services.cases import party_links
from services.core.db import make_database
from services.core.errors import Conflict, ValidationFailed
from services.trust import appointments
from tests.case_factories import accepted_case, make_world

NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday, 08:00 in China: the day's slots are all ahead


def test_slots_follow_the_duty_schedule_or_weekdays(db):
    w = make_world(db)
    with db.write() as s:
        weekdays = appointments.list_slots(s, org_id=w.orgs["v1"].id or 0, now=NOW)
        room = w.orgs["police"]
        m = Mediator(org_id=room.id or 0, name="值班员")
        s.add(m)
        s.flush()
        s.add(DutyShift(org_id=room.id or 0, mediator_id=m.id or 0, day=date(2026, 12, 12), kind="day"))
        s.add(DutyShift(org_id=room.id or 0, mediator_id=m.id or 0, day=date(2026, 12, 13), kind="night"))
        s.flush()
        on_duty = appointments.list_slots(s, org_id=room.id or 0, now=NOW)
    days = {s.start.astimezone(appointments.clock.LOCAL_TZ).date() for s in weekdays}
    assert all(d.weekday() < 5 for d in days) and date(2026, 12, 7) in days and date(2026, 12, 12) not in days
    assert weekdays[0].start == datetime(2026, 12, 7, 0, 30, tzinfo=UTC) and weekdays[0].capacity == 2  # 08:30
    assert len([s for s in weekdays if s.start.date() == date(2026, 12, 7)]) == 9  # 08:30 … 16:30
    assert {s.start.astimezone(appointments.clock.LOCAL_TZ).date() for s in on_duty} == {date(2026, 12, 12)}


def test_fifty_bookings_at_once_for_five_seats_give_five(db):
    w = make_world(db)
    org_id = w.orgs["v1"].id or 0
    with db.write() as s:
        s.add(AppointmentSetting(org_id=org_id, capacity=5, slot_minutes=60, days_ahead=14))
    slot = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in China
    second = make_database(db.url)  # a second app instance on the same database
    results: list[str] = []
    start = threading.Barrier(50)

    def one(n: int) -> None:
        start.wait()
        try:
            appointments.book(second if n % 2 else db, org_id=org_id, slot_start=slot, via="track", now=NOW)
            results.append("ok")
        except Conflict as err:
            results.append(err.key)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    second.dispose()
    assert results.count("ok") == 5 and results.count("error.appointment_full") == 45
    with db.read() as s:
        seats = sorted(s.exec(select(Appointment.seat).where(Appointment.org_id == org_id)).all())
        [free] = [x for x in appointments.list_slots(s, org_id=org_id, now=NOW) if x.start == slot]
    assert seats == [1, 2, 3, 4, 5] and free.free == 0


def test_a_cancelled_seat_is_free_again_and_off_grid_times_refused(db):
    w = make_world(db)
    org_id = w.orgs["v1"].id or 0
    slot = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    first = appointments.book(db, org_id=org_id, slot_start=slot, now=NOW, token="tok-1")
    assert appointments.book(db, org_id=org_id, slot_start=slot, now=NOW, token="tok-1") == first  # a double tap
    appointments.book(db, org_id=org_id, slot_start=slot, now=NOW)
    with pytest.raises(Conflict):
        appointments.book(db, org_id=org_id, slot_start=slot, now=NOW)
    with db.write() as s:
        row = s.get(Appointment, first)
        row.status = "cancelled"
        s.add(row)
    appointments.book(db, org_id=org_id, slot_start=slot, now=NOW)
    for bad in (slot + timedelta(minutes=10), datetime(2026, 12, 12, 1, 30, tzinfo=UTC), NOW - timedelta(days=1)):
        with pytest.raises(ValidationFailed):
            appointments.book(db, org_id=org_id, slot_start=bad, now=NOW)


def test_reminder_fires_once(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    slot = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    appointments.book(db, org_id=case.org_id, slot_start=slot, case_id=case.id, now=NOW)
    assert appointments.send_reminders(db, now=NOW) == 0  # more than a day ahead
    later = slot - timedelta(hours=20)
    assert appointments.send_reminders(db, now=later) == 1
    assert appointments.send_reminders(db, now=later + timedelta(minutes=5)) == 0
    with db.read() as s:
        sent = s.exec(select(Notification).where(Notification.key == "notify.appointment_reminder")).all()
    assert len(sent) == 1 and sent[0].params["case_no"] == case.case_no


def _link(db, w, case) -> tuple[str, str]:
    with db.write() as s:
        party = s.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).first()
        link = party_links.issue_link(s, actor=w.mediator, case_id=case.id or 0, party_id=party.id or 0)
    return link.url.split("t=", 1)[1], party.phone[-4:]


def test_resident_books_by_link_and_by_tracking_code_then_mediator_acts(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    token, last4 = _link(db, w, case)
    slots = appointments.slots_by_party(db, token=token, last4=last4, client="c")
    assert slots and all(s.free == 2 for s in slots)
    booked = appointments.book_by_party(db, token=token, last4=last4, slot_start=slots[0].start, client="c")
    with pytest.raises(Conflict):  # one booking per case at a time
        appointments.book_by_party(db, token=token, last4=last4, slot_start=slots[1].start, client="c")
    appointments.confirm(db, actor=w.mediator, appointment_id=booked)
    [mine] = appointments.appointments_by_party(db, token=token, last4=last4, client="c")
    assert mine.status == "confirmed" and mine.slot_start == slots[0].start
    appointments.propose(db, actor=w.mediator, appointment_id=booked, new_start=slots[3].start)
    with db.write() as s:
        row = s.get(Case, case.id)
        row.tracking_code = "ABCDEFGHJKMN"
        s.add(row)
    [moved] = appointments.appointments_by_tracking(db, code="abcd-efgh-jkmn", last4=last4, client="c")
    assert moved.status == "moved" and moved.proposed_start == slots[3].start
    again = appointments.book_by_tracking(db, code="ABCDEFGHJKMN", last4=last4, slot_start=slots[3].start, client="c")
    appointments.record_outcome(db, actor=w.mediator, appointment_id=again, outcome="no_show")
    with pytest.raises(Conflict):
        appointments.record_outcome(db, actor=w.mediator, appointment_id=again, outcome="done")
    third = appointments.book_by_tracking(db, code="ABCDEFGHJKMN", last4=last4, slot_start=slots[4].start, client="c")
    appointments.cancel_by_tracking(db, code="ABCDEFGHJKMN", last4=last4, appointment_id=third, client="c")
    [counts] = appointments.appointment_counts(db, actor=w.justice)
    assert (counts.booked, counts.cancelled, counts.no_show) == (3, 1, 1)
