"""Duty schedule (值班表) of stationed rooms: on the desk by day (坐班), on call at night (值守).

A DutyShift row is (room, day, kind, mediator). The day shift of day D runs from DUTY_DAY_START to
DUTY_DAY_END local China time on D; the night shift of D runs from DUTY_DAY_END on D to DUTY_DAY_START on D+1
(so at 03:00 the night shift of the day before is on call). Both boundaries are settings ("HH:MM").
Shifts with nobody on them in the coming week are flagged to the room's coordination office, one notification
per gap (a dedupe key), however often the check runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import DutyShift, Mediator, Notification, Organisation, OrgKind
from models.base import utc_now
from services.access.authz import Actor, area_org_ids, org_in_scope, require
from services.access.permissions import P
from services.core import audit, clock
from services.core.config import get_settings
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.notify.inbox import notify_org

KINDS = ("day", "night")
STATIONED = (OrgKind.POLICE_ROOM, OrgKind.COURT_ROOM, OrgKind.PETITION_ROOM)
LOOKAHEAD_DAYS = 7


def shift_at(at: datetime) -> tuple[date, str]:
    """(day, kind) of the shift covering the moment `at` (aware; naive is taken as UTC)."""
    local = (at if at.tzinfo else at.replace(tzinfo=clock.LOCAL_TZ)).astimezone(clock.LOCAL_TZ)
    now, settings = local.time(), get_settings()
    if settings.duty_day_start <= now < settings.duty_day_end:
        return local.date(), "day"
    if now >= settings.duty_day_end:
        return local.date(), "night"
    return local.date() - timedelta(days=1), "night"


@dataclass(frozen=True)
class OnCall:
    mediator_id: int
    name: str
    phone: str
    day: date
    kind: str


def on_call(session: Session, *, org_id: int, at: datetime | None = None) -> list[OnCall]:
    """Who is on duty in the room at `at` (default now): the day desk or the night on-call; may be empty."""
    day, kind = shift_at(at or utc_now())
    rows = session.exec(
        select(DutyShift, Mediator)
        .join(Mediator, col(Mediator.id) == col(DutyShift.mediator_id))
        .where(DutyShift.org_id == org_id, DutyShift.day == day, DutyShift.kind == kind)
        .order_by(col(DutyShift.id))
    ).all()
    return [OnCall(mediator_id=m.id or 0, name=m.name, phone=m.phone, day=day, kind=kind) for _, m in rows]


def room_phone(session: Session, org_id: int) -> str:
    org = session.get(Organisation, org_id)
    return org.phone if org else ""


@dataclass(frozen=True)
class Room:
    org_id: int
    name: str


def rooms(session: Session, *, actor: Actor) -> list[Room]:
    """Stationed rooms in the actor's area."""
    require(actor, P.ROSTER_VIEW)
    orgs = session.exec(
        select(Organisation)
        .where(
            col(Organisation.id).in_(area_org_ids(actor)),
            col(Organisation.kind).in_(STATIONED),
            Organisation.active == True,  # noqa: E712
        )
        .order_by(col(Organisation.path))
    ).all()
    return [Room(org_id=o.id or 0, name=o.name) for o in orgs]


def liaison_rooms(session: Session, *, actor: Actor, limit: int = 3) -> list[Room]:
    """Stationed rooms a liaison works with: inside the actor's organisation, or beside it (same parent)."""
    me = session.get(Organisation, actor.org_id)
    if me is None:
        return []
    parent = "/" + "".join(f"{p}/" for p in [p for p in me.path.split("/") if p][:-1])
    orgs = session.exec(
        select(Organisation)
        .where(
            col(Organisation.kind).in_(STATIONED),
            Organisation.active == True,  # noqa: E712
            col(Organisation.path).startswith(parent if parent != "/" else me.path),
        )
        .order_by(col(Organisation.path))
        .limit(50)
    ).all()
    mine = [o for o in orgs if o.path.startswith(me.path)] or [o for o in orgs if o.depth == me.depth]
    return [Room(org_id=o.id or 0, name=o.name) for o in mine[:limit]]


@dataclass(frozen=True)
class Slot:
    shift_id: int
    mediator_id: int
    name: str
    phone: str


@dataclass(frozen=True)
class DayDuty:
    day: date
    day_shift: list[Slot]
    night_shift: list[Slot]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(session: Session, *, actor: Actor, org_id: int, start: date) -> list[DayDuty]:
    """Seven days from `start`, each with its day desk and night on-call."""
    require(actor, P.ROSTER_VIEW)
    org_in_scope(session, actor, org_id)
    end = start + timedelta(days=7)
    rows = session.exec(
        select(DutyShift, Mediator)
        .join(Mediator, col(Mediator.id) == col(DutyShift.mediator_id))
        .where(DutyShift.org_id == org_id, col(DutyShift.day) >= start, col(DutyShift.day) < end)
        .order_by(col(DutyShift.id))
    ).all()
    slots: dict[tuple[date, str], list[Slot]] = {}
    for shift, m in rows:
        slots.setdefault((shift.day, shift.kind), []).append(
            Slot(shift_id=shift.id or 0, mediator_id=m.id or 0, name=m.name, phone=m.phone)
        )
    return [
        DayDuty(day=d, day_shift=slots.get((d, "day"), []), night_shift=slots.get((d, "night"), []))
        for d in (start + timedelta(days=i) for i in range(7))
    ]


@dataclass(frozen=True)
class MediatorChoice:
    mediator_id: int
    name: str


def mediators_for(session: Session, *, actor: Actor, org_id: int) -> list[MediatorChoice]:
    """Active mediators of the room or posted to it now."""
    require(actor, P.ROSTER_VIEW)
    org_in_scope(session, actor, org_id)
    rows = session.exec(
        select(Mediator).where(Mediator.org_id == org_id, Mediator.status == "active").order_by(col(Mediator.name))
    ).all()
    return [MediatorChoice(mediator_id=m.id or 0, name=m.name) for m in rows]


def assign(session: Session, *, actor: Actor, org_id: int, mediator_id: int, day: date, kind: str) -> DutyShift:
    require(actor, P.DUTY_EDIT)
    if kind not in KINDS:
        raise ValidationFailed("error.duty_kind")
    org = org_in_scope(session, actor, org_id)
    mediator = session.get(Mediator, mediator_id)
    if mediator is None or mediator.status != "active" or mediator.org_id != org.id:
        raise ValidationFailed("error.duty_mediator")
    row = DutyShift(org_id=org_id, mediator_id=mediator_id, day=day, kind=kind)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.duty_taken") from exc
    audit.record(
        session,
        action="duty.assign",
        actor_id=actor.user_id,
        entity="dutyshift",
        entity_id=row.id,
        org_id=org_id,
        day=day.isoformat(),
        kind=kind,
    )
    return row


def unassign(session: Session, *, actor: Actor, shift_id: int) -> bool:
    require(actor, P.DUTY_EDIT)
    row = session.get(DutyShift, shift_id)
    if row is None:
        raise NotFound("error.not_found")
    org_in_scope(session, actor, row.org_id)
    audit.record(
        session,
        action="duty.unassign",
        actor_id=actor.user_id,
        entity="dutyshift",
        entity_id=row.id,
        org_id=row.org_id,
        day=row.day.isoformat(),
        kind=row.kind,
    )
    session.delete(row)
    return True


@dataclass(frozen=True)
class Gap:
    org_id: int
    room: str
    day: date
    kind: str


def gaps(session: Session, *, today: date, days: int = LOOKAHEAD_DAYS, org_ids: list[int] | None = None) -> list[Gap]:
    """Shifts of stationed rooms from today to `days` ahead with nobody on them."""
    stmt = select(Organisation).where(col(Organisation.kind).in_(STATIONED), Organisation.active == True)  # noqa: E712
    if org_ids is not None:
        stmt = stmt.where(col(Organisation.id).in_(org_ids))
    orgs = session.exec(stmt.order_by(col(Organisation.id))).all()
    if not orgs:
        return []
    end = today + timedelta(days=days)
    covered = set(
        session.exec(
            select(col(DutyShift.org_id), col(DutyShift.day), col(DutyShift.kind)).where(
                col(DutyShift.org_id).in_([o.id for o in orgs]), col(DutyShift.day) >= today, col(DutyShift.day) <= end
            )
        ).all()
    )
    return [
        Gap(org_id=o.id or 0, room=o.name, day=d, kind=k)
        for o in orgs
        for d in (today + timedelta(days=i) for i in range(days + 1))
        for k in KINDS
        if (o.id, d, k) not in covered
    ]


def _coordination_office(session: Session, org: Organisation) -> int | None:
    if org.county_id is not None:
        found = session.exec(
            select(Organisation.id)
            .where(
                Organisation.kind == OrgKind.COORDINATION,
                Organisation.county_id == org.county_id,
                Organisation.active == True,  # noqa: E712
            )
            .order_by(col(Organisation.id))
        ).first()
        if found is not None:
            return found
    ancestors = [int(p) for p in org.path.split("/") if p]
    rows = session.exec(
        select(Organisation.id, Organisation.depth).where(
            col(Organisation.id).in_(ancestors), Organisation.kind == OrgKind.COORDINATION
        )
    ).all()
    return max(rows, key=lambda r: r[1])[0] if rows else None


def flag_gaps(session: Session, *, today: date | None = None, days: int = LOOKAHEAD_DAYS) -> int:
    """Tell each room's coordination office about each uncovered shift a week ahead, once (the notification's unique
    dedupe key); returns how many new. Only the background dispatcher (notify.reminders) runs it, never a page."""
    today = today or clock.today()
    new = 0
    offices: dict[int, int | None] = {}
    found = gaps(session, today=today, days=days)
    keys = {_gap_key(g) for g in found}
    # skip the gaps already told without an INSERT each (the check runs every quarter of an hour)
    sent = (
        set(session.exec(select(Notification.dedupe_key).where(col(Notification.dedupe_key).in_(keys))).all())
        if keys
        else set()
    )
    for gap in found:
        if _gap_key(gap) in sent:
            continue
        if gap.org_id not in offices:
            org = session.get(Organisation, gap.org_id)
            offices[gap.org_id] = _coordination_office(session, org) if org else None
        office = offices[gap.org_id]
        if office is None:
            continue
        new += notify_org(
            session,
            org_id=office,
            key=f"notice.duty_gap_{gap.kind}",  # 白班 / 夜班 in the text itself: a parameter is never translated
            params={"room": gap.room, "day": gap.day.isoformat(), "shift": gap.kind},
            dedupe_key=_gap_key(gap),
        )
    return new


def _gap_key(gap: Gap) -> str:
    return f"duty-gap:{gap.org_id}:{gap.day.isoformat()}:{gap.kind}"


@dataclass(frozen=True)
class MyDuty:
    shift_id: int
    org_id: int
    room: str
    day: date
    kind: str


def my_duties(session: Session, *, actor: Actor, days: int = 7, today: date | None = None) -> list[MyDuty]:
    """The actor's own shifts (as a mediator) from today for `days` days."""
    require(actor, P.WORKBENCH)
    today = today or clock.today()
    rows = session.exec(
        select(DutyShift, Organisation)
        .join(Mediator, col(Mediator.id) == col(DutyShift.mediator_id))
        .join(Organisation, col(Organisation.id) == col(DutyShift.org_id))
        .where(
            Mediator.user_id == actor.user_id,
            col(DutyShift.day) >= today,
            col(DutyShift.day) < today + timedelta(days=days),
        )
        .order_by(col(DutyShift.day), col(DutyShift.kind))
    ).all()
    return [MyDuty(shift_id=s.id or 0, org_id=o.id or 0, room=o.name, day=s.day, kind=s.kind) for s, o in rows]
