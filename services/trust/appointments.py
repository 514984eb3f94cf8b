"""预约调解 (appointments): a resident books a time at the organisation from the slots its duty schedule offers.

Slots: every `slot_minutes` from DUTY_DAY_START to DUTY_DAY_END (China time) on each day the organisation has
a day shift (坐班) in the duty schedule — or, for an organisation that keeps no duty schedule, on weekdays —
for the next `days_ahead` days. Each slot has `capacity` seats (AppointmentSetting, data per organisation).

Never double-booked: a booking holds one seat number of its slot, and a held seat is a partial unique index
(org, slot, seat). A booking tries the seats in order, each in its own savepoint; the database decides who
gets the last one, also with several app instances on PostgreSQL. A case holds at most one booking at a time.

The mediator confirms, or proposes another time (the booking is released and the resident may take the
proposed time); reminders go once to the inbox the day before; no-shows and cancellations are recorded.
Residents reach it from their party link or with their tracking code (/track); the functions named
`*_by_party` and `*_by_tracking` are the whole public surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Appointment, AppointmentSetting, Case, DutyShift, Organisation
from models.base import utc_now
from services.access.authz import WORK, Actor, area_org_ids, get_case_in_scope, require
from services.access.permissions import P
from services.cases import party_links, states
from services.core import audit, clock
from services.core.config import get_settings
from services.core.db import Database
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.intake import tracking
from services.notify.inbox import notify_case_owner, notify_org

HELD = ("requested", "confirmed")
FINAL = ("cancelled", "no_show", "done")
DEFAULT = AppointmentSetting(org_id=0, capacity=2, slot_minutes=60, days_ahead=14)
REMIND_BEFORE = timedelta(hours=24)


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware UTC
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True)
class AppointmentView:
    id: int
    org_name: str
    slot_start: datetime
    status: str
    proposed_start: datetime | None
    booked_via: str


def setting_for(session: Session, org_id: int) -> AppointmentSetting:
    row = session.exec(select(AppointmentSetting).where(AppointmentSetting.org_id == org_id)).first()
    return row or DEFAULT


def _open_days(session: Session, org_id: int, first: date, last: date) -> list[date]:
    """Days the organisation receives people: its day shifts, or weekdays when it keeps no duty schedule."""
    keeps = session.exec(select(DutyShift.id).where(DutyShift.org_id == org_id)).first() is not None
    if keeps:
        days = session.exec(
            select(col(DutyShift.day))
            .where(DutyShift.org_id == org_id, DutyShift.kind == "day", DutyShift.day >= first, DutyShift.day <= last)
            .distinct()
        ).all()
        return sorted(set(days))
    return [
        first + timedelta(days=i) for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < 5
    ]


def _starts(day: date, minutes: int) -> list[datetime]:
    settings = get_settings()
    start = datetime.combine(day, settings.duty_day_start, clock.LOCAL_TZ)
    end = datetime.combine(day, settings.duty_day_end, clock.LOCAL_TZ)
    out = []
    while start + timedelta(minutes=minutes) <= end:
        out.append(start.astimezone(UTC))
        start += timedelta(minutes=minutes)
    return out


def _as_utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def list_slots(session: Session, *, org_id: int, now: datetime | None = None) -> list[Slot]:
    """The organisation's bookable slots from now on, with seats taken."""
    now = now or utc_now()
    setting = setting_for(session, org_id)
    today = clock.local_date(now)
    days = _open_days(session, org_id, today, today + timedelta(days=setting.days_ahead))
    starts = [s for d in days for s in _starts(d, setting.slot_minutes) if s > now]
    if not starts:
        return []
    taken = dict(
        session.exec(
            select(Appointment.slot_start, func.count())
            .where(
                Appointment.org_id == org_id,
                col(Appointment.status).in_(HELD),
                col(Appointment.slot_start) >= starts[0],
            )
            .group_by(col(Appointment.slot_start))
        ).all()
    )
    taken_utc = {_as_utc(k): int(v) for k, v in taken.items()}
    return [Slot(s, setting.capacity, taken_utc.get(s, 0)) for s in starts]


def _check_slot(session: Session, org_id: int, start: datetime, now: datetime) -> AppointmentSetting:
    setting = setting_for(session, org_id)
    if _as_utc(start) not in {s.start for s in list_slots(session, org_id=org_id, now=now)}:
        raise ValidationFailed("error.appointment_slot")
    return setting


def book(
    db: Database,
    *,
    org_id: int,
    slot_start: datetime,
    case_id: int | None = None,
    via: str = "staff",
    token: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> int:
    """Take a free seat of the slot; returns the booking's id. A repeated `token` returns the first booking."""
    now, start = now or utc_now(), _as_utc(slot_start)
    if token:
        with db.read() as s:
            again = s.exec(select(Appointment.id).where(Appointment.booking_token == token)).first()
        if again is not None:
            return again
    with db.write() as s:
        setting = _check_slot(s, org_id, start, now)
        if (
            case_id is not None
            and s.exec(
                select(Appointment.id).where(Appointment.case_id == case_id, col(Appointment.status).in_(HELD))
            ).first()
        ):
            raise Conflict("error.appointment_one_per_case")
        for seat in range(1, setting.capacity + 1):
            row = Appointment(
                org_id=org_id,
                case_id=case_id,
                slot_start=start,
                seat=seat,
                booked_via=via,
                note=note.strip()[:200],
                booking_token=token,
                created_at=now,
            )
            try:
                with s.begin_nested():
                    s.add(row)
                    s.flush()
            except IntegrityError:
                continue
            audit.record(s, action="appointment.book", entity="appointment", entity_id=row.id, case_id=case_id, via=via)
            when = clock.format_local(start)
            case = s.get(Case, case_id) if case_id else None
            if case is not None:
                notify_case_owner(
                    s, case, key="notify.appointment_booked", params={"case_no": case.case_no, "when": when}
                )
            else:
                notify_org(s, org_id=org_id, key="notify.appointment_booked_org", params={"when": when})
            return row.id or 0
    if token:  # the same submission, sent twice at once: the other request holds the booking
        with db.read() as s:
            again = s.exec(select(Appointment.id).where(Appointment.booking_token == token)).first()
        if again is not None:
            return again
    raise Conflict("error.appointment_full")


def _resident_view(session: Session, case_id: int) -> list[AppointmentView]:
    rows = session.exec(
        select(Appointment, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(Appointment.org_id))
        .where(Appointment.case_id == case_id)
        .order_by(col(Appointment.id).desc())
        .limit(10)
    ).all()
    return [
        AppointmentView(a.id or 0, name, _as_utc(a.slot_start), a.status, a.proposed_start, a.booked_via)
        for a, name in rows
    ]


def _cancel(session: Session, case_id: int, appointment_id: int, by: str) -> None:
    done = session.execute(
        update(Appointment)
        .where(
            col(Appointment.id) == appointment_id,
            col(Appointment.case_id) == case_id,
            col(Appointment.status).in_(HELD),
        )
        .values(status="cancelled")
        .returning(col(Appointment.id))
    ).first()
    if done is None:
        raise Conflict("error.appointment_not_held")
    audit.record(session, action="appointment.cancel", entity="appointment", entity_id=appointment_id, by=by)


# --- residents: their party link -------------------------------------------------------------------------------


def _party_case(db: Database, token: str, last4: str, client: str) -> Case:
    opened = party_links.verify(db, token=token, last4=last4, client=client)
    with db.read() as s:
        case = s.get(Case, opened.case_id)
    if case is None:
        raise NotFound("error.case_not_found")
    return case


@dataclass(frozen=True)
class ResidentState:
    """What a resident's booking panel shows: the slots still free and their case's bookings."""

    slots: list[Slot]
    appointments: list[AppointmentView]
    can_book: bool  # the case is open and holds no booking now


def _state(db: Database, case: Case) -> ResidentState:
    with db.read() as s:
        mine = _resident_view(s, case.id or 0)
        free = [x for x in list_slots(s, org_id=case.org_id) if x.free > 0]
    held = any(a.status in HELD for a in mine)
    return ResidentState(free, mine, case.status in states.OPEN and not held)


def state_by_party(db: Database, *, token: str, last4: str, client: str) -> ResidentState:
    """Slots and bookings for a party's link page (one link check)."""
    return _state(db, _party_case(db, token, last4, client))


def slots_by_party(db: Database, *, token: str, last4: str, client: str) -> list[Slot]:
    case = _party_case(db, token, last4, client)
    with db.read() as s:
        return list_slots(s, org_id=case.org_id)


def book_by_party(
    db: Database, *, token: str, last4: str, slot_start: datetime, client: str, booking_token: str | None = None
) -> int:
    """A party books a slot at the organisation handling their case."""
    case = _party_case(db, token, last4, client)
    _bookable(case)
    return book(db, org_id=case.org_id, slot_start=slot_start, case_id=case.id, via="party", token=booking_token)


def appointments_by_party(db: Database, *, token: str, last4: str, client: str) -> list[AppointmentView]:
    case = _party_case(db, token, last4, client)
    with db.read() as s:
        return _resident_view(s, case.id or 0)


def cancel_by_party(db: Database, *, token: str, last4: str, appointment_id: int, client: str) -> None:
    case = _party_case(db, token, last4, client)
    with db.write() as s:
        _cancel(s, case.id or 0, appointment_id, "party")


# --- residents: their tracking code (/track and the light /track page) ------------------------------------------


def _tracked_case(db: Database, code: str, last4: str, client: str) -> Case:
    tracking.lookup(db, code=code, last4=last4, client=client)  # checks code + digits, rate-limited
    with db.read() as s:
        case = s.exec(select(Case).where(Case.tracking_code == tracking.normalise_code(code))).first()
    if case is None:
        raise NotFound("error.track_not_found")
    return case


def _bookable(case: Case) -> None:
    if case.status not in states.OPEN:
        raise Conflict("error.appointment_case_closed")


def track_state(db: Database, *, code: str, last4: str, client: str) -> tuple[tracking.TrackView, ResidentState]:
    """What /track shows: the case's status and its bookings, for one code check against the /track limit."""
    view = tracking.lookup(db, code=code, last4=last4, client=client)
    with db.read() as s:
        case = s.exec(select(Case).where(Case.tracking_code == tracking.normalise_code(code))).first()
    if case is None:
        raise NotFound("error.track_not_found")
    return view, _state(db, case)


def state_after_intake(db: Database, *, tracking_code: str) -> ResidentState:
    """The booking panel under a receipt the page holds: the intake result this session filed (looked up by its
    own form token), so no code check is spent against the /track limit on every rerun of the receipt (residents
    in one police-station lobby share an address)."""
    with db.read() as s:
        case = s.exec(select(Case).where(Case.tracking_code == tracking.normalise_code(tracking_code))).first()
    if case is None:
        raise NotFound("error.track_not_found")
    return _state(db, case)


def state_by_tracking(db: Database, *, code: str, last4: str, client: str) -> ResidentState:
    """Slots and bookings for /track (one code check, counted against the client's /track limit)."""
    return _state(db, _tracked_case(db, code, last4, client))


def slots_by_tracking(db: Database, *, code: str, last4: str, client: str) -> list[Slot]:
    """The slots of the organisation handling the tracked case."""
    case = _tracked_case(db, code, last4, client)
    with db.read() as s:
        return list_slots(s, org_id=case.org_id)


def book_by_tracking(
    db: Database, *, code: str, last4: str, slot_start: datetime, client: str, booking_token: str | None = None
) -> int:
    """The applicant books a slot with their tracking code and the last 4 digits of their phone."""
    case = _tracked_case(db, code, last4, client)
    _bookable(case)
    return book(db, org_id=case.org_id, slot_start=slot_start, case_id=case.id, via="track", token=booking_token)


def appointments_by_tracking(db: Database, *, code: str, last4: str, client: str) -> list[AppointmentView]:
    """The tracked case's bookings, newest first: time, state, a time the mediator proposed."""
    case = _tracked_case(db, code, last4, client)
    with db.read() as s:
        return _resident_view(s, case.id or 0)


def cancel_by_tracking(db: Database, *, code: str, last4: str, appointment_id: int, client: str) -> None:
    case = _tracked_case(db, code, last4, client)
    with db.write() as s:
        _cancel(s, case.id or 0, appointment_id, "track")


# --- staff ------------------------------------------------------------------------------------------------------


def case_appointments(db: Database, *, actor: Actor, case_id: int) -> list[AppointmentView]:
    with db.read() as s:
        get_case_in_scope(s, actor, case_id)
        return _resident_view(s, case_id)


def _staff_change(
    db: Database,
    actor: Actor,
    appointment_id: int,
    *,
    sources: tuple[str, ...],
    values: dict[str, object],
    action: str,
) -> Appointment:
    require(actor, P.CASE_MEDIATE)
    with db.write() as s:
        row = s.get(Appointment, appointment_id)
        if row is None:
            raise NotFound("error.appointment_not_found")
        if row.case_id is not None:
            get_case_in_scope(s, actor, row.case_id, scope=WORK)
        elif row.org_id not in set(s.exec(area_org_ids(actor)).all()):
            raise NotFound("error.appointment_not_found")
        done = s.execute(
            update(Appointment)
            .where(col(Appointment.id) == appointment_id, col(Appointment.status).in_(sources))
            .values(decided_by=actor.user_id, **values)
            .returning(col(Appointment.id))
        ).first()
        if done is None:
            raise Conflict("error.appointment_not_held")
        audit.record(s, action=f"appointment.{action}", actor_id=actor.user_id, entity="appointment", entity_id=row.id)
        s.refresh(row)
        return row


def confirm(db: Database, *, actor: Actor, appointment_id: int) -> None:
    """The mediator confirms the booked time."""
    _staff_change(db, actor, appointment_id, sources=("requested",), values={"status": "confirmed"}, action="confirm")


def propose(
    db: Database, *, actor: Actor, appointment_id: int, new_start: datetime, now: datetime | None = None
) -> None:
    """The mediator proposes another time: the seat is released and the resident may take the proposed slot."""
    now, new_start = now or utc_now(), _as_utc(new_start)
    if new_start <= now:
        raise ValidationFailed("error.appointment_slot")
    _staff_change(
        db,
        actor,
        appointment_id,
        sources=HELD,
        values={"status": "moved", "proposed_start": new_start},
        action="propose",
    )


def record_outcome(db: Database, *, actor: Actor, appointment_id: int, outcome: str) -> None:
    """After the time: the resident came (done), did not come (no_show), or the office cancelled it."""
    if outcome not in FINAL:
        raise ValidationFailed("error.appointment_outcome")
    _staff_change(db, actor, appointment_id, sources=HELD, values={"status": outcome}, action=outcome)


def send_reminders(db: Database, *, now: datetime | None = None) -> int:
    """Remind once, the day before, of every held booking: the case's mediator (or the organisation) in the inbox.

    The conditional update claims each booking's one reminder, so overlapping runs never send two."""
    now = now or utc_now()
    with db.write() as s:
        due = s.exec(
            select(Appointment.id)
            .where(
                col(Appointment.status).in_(HELD),
                col(Appointment.reminded_at).is_(None),
                col(Appointment.slot_start) > now,
                col(Appointment.slot_start) <= now + REMIND_BEFORE,
            )
            .order_by(col(Appointment.id))
        ).all()
        sent = 0
        for appointment_id in due:
            claimed = s.execute(
                update(Appointment)
                .where(col(Appointment.id) == appointment_id, col(Appointment.reminded_at).is_(None))
                .values(reminded_at=now)
                .returning(col(Appointment.id))
            ).first()
            if claimed is None:
                continue
            row = s.get(Appointment, appointment_id)
            if row is None:
                continue
            when = clock.format_local(_as_utc(row.slot_start))
            case = s.get(Case, row.case_id) if row.case_id else None
            dedupe = f"appointment:{appointment_id}:remind"
            if case is not None:
                notify_case_owner(
                    s,
                    case,
                    key="notify.appointment_reminder",
                    params={"case_no": case.case_no, "when": when},
                    dedupe=dedupe,
                )
            else:
                notify_org(
                    s,
                    org_id=row.org_id,
                    key="notify.appointment_reminder_org",
                    params={"when": when},
                    dedupe_key=dedupe,
                )
            sent += 1
    return sent


@dataclass(frozen=True)
class OrgAppointmentCounts:
    org_id: int
    org_name: str
    booked: int
    cancelled: int
    no_show: int


def appointment_counts(db: Database, *, actor: Actor) -> list[OrgAppointmentCounts]:
    """Bookings, cancellations and no-shows per organisation in the actor's area."""
    require(actor, P.CASE_VIEW)
    cancelled = func.count().filter(col(Appointment.status) == "cancelled")
    no_show = func.count().filter(col(Appointment.status) == "no_show")
    with db.read() as s:
        rows = s.execute(
            sa_select(col(Organisation.id), col(Organisation.name), func.count(), cancelled, no_show)
            .join(Organisation, col(Organisation.id) == col(Appointment.org_id))
            .where(col(Appointment.org_id).in_(area_org_ids(actor)))
            .group_by(col(Organisation.id), col(Organisation.name))
            .order_by(col(Organisation.name))
        ).all()
    return [OrgAppointmentCounts(int(i or 0), n, int(b), int(c), int(ns)) for i, n, b, c, ns in rows]
