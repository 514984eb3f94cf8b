"""Joint mediation (联合调处): one lead organisation (主调方) and coordinating ones (协调方) on one case.

The lead is the organisation handling the case (Case.org_id), by default the one that received it; the
coordination office may name another (e.g. the sector body). Every participant sees and works on the
case; only the lead closes it (the closing transitions need the `owned` scope). The coordinator
schedules the joint sitting's time and place, and every participant is told. An organisation without user
accounts can be invited, but is marked (`has_users`) so the page warns that nobody there will see the case; when
the lead closes the case the coordinating organisations are told, once per closing (`notify_closed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import Case, CaseEvent, JointParticipant, Organisation, OrgKind, User
from models.base import utc_now
from models.org import MEDIATION_KINDS
from services.access.authz import OWNED, Actor, area_org_ids, get_case_in_scope, org_in_scope, require
from services.access.permissions import P
from services.cases import states
from services.core import audit, clock
from services.core.errors import Conflict, ValidationFailed
from services.notify.inbox import notify_org

ROLES = ("lead", "coordinating")
JOINABLE = (
    *MEDIATION_KINDS,
    OrgKind.POLICE_STATION,
    OrgKind.COURT,
    OrgKind.JUSTICE_OFFICE,
    OrgKind.COORDINATION,
    OrgKind.TOWN,
)


CLOSINGS = ("transition.succeed", "transition.fail", "transition.withdraw", "transition.reject")


@dataclass(frozen=True)
class Participant:
    org_id: int
    name: str
    role: str
    has_users: bool = True  # False: the organisation has no active user account, so nobody there sees the case


def _with_users(session: Session, org_ids: list[int]) -> set[int]:
    if not org_ids:
        return set()
    return set(
        session.exec(
            select(User.org_id).where(col(User.org_id).in_(org_ids), User.active == True).distinct()  # noqa: E712
        ).all()
    )


@dataclass(frozen=True)
class Meeting:
    at: datetime
    place: str


def _rows(session: Session, case_id: int) -> list[JointParticipant]:
    return list(
        session.exec(
            select(JointParticipant).where(JointParticipant.case_id == case_id).order_by(col(JointParticipant.id))
        ).all()
    )


def _open_case(session: Session, actor: Actor, case_id: int) -> Case:
    require(actor, P.CASE_JOINT)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    if case.status not in states.OPEN:
        raise Conflict("error.transition_not_allowed", action="joint", status=case.status)
    return case


def _ensure_lead(session: Session, case: Case, actor: Actor) -> None:
    if not _rows(session, case.id or 0):
        session.add(JointParticipant(case_id=case.id or 0, org_id=case.org_id, role="lead", added_by=actor.user_id))
        session.flush()


def add_participant(session: Session, *, actor: Actor, case_id: int, org_id: int) -> JointParticipant:
    """Bring an organisation in as coordinating (协调方); the handling organisation becomes the lead."""
    case = _open_case(session, actor, case_id)
    org = org_in_scope(session, actor, org_id)
    _ensure_lead(session, case, actor)
    if any(p.org_id == org.id for p in _rows(session, case.id or 0)):
        raise Conflict("error.joint_already")
    row = JointParticipant(case_id=case.id or 0, org_id=org.id or 0, role="coordinating", added_by=actor.user_id)
    session.add(row)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="joint.added",
            data={"org": org.name, "role": "coordinating"},
        )
    )
    notify_org(session, org_id=org.id or 0, key="notify.joint_added", case_id=case.id, params={"case_no": case.case_no})
    audit.record(
        session, action="case.joint_add", actor_id=actor.user_id, entity="case", entity_id=case.id, org_id=org.id
    )
    return row


def set_lead(session: Session, *, actor: Actor, case_id: int, org_id: int) -> Case:
    """Make another organisation the lead; it then handles (and alone may close) the case."""
    case = _open_case(session, actor, case_id)
    org = org_in_scope(session, actor, org_id)
    _ensure_lead(session, case, actor)
    rows = _rows(session, case.id or 0)
    for p in rows:
        if p.role == "lead":
            p.role = "coordinating"
            session.add(p)
    session.flush()  # the one-lead index must see the old lead demoted first
    new = next((p for p in rows if p.org_id == org.id), None) or JointParticipant(
        case_id=case.id or 0, org_id=org.id or 0, added_by=actor.user_id, role="lead"
    )
    new.role = "lead"
    session.add(new)
    case.org_id, case.county_id, case.mediator_id = org.id or 0, org.county_id, None
    case.version += 1
    session.add(case)
    session.add(CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind="joint.lead", data={"org": org.name}))
    notify_org(session, org_id=org.id or 0, key="notify.joint_lead", case_id=case.id, params={"case_no": case.case_no})
    audit.record(
        session, action="case.joint_lead", actor_id=actor.user_id, entity="case", entity_id=case.id, org_id=org.id
    )
    return case


def schedule_meeting(session: Session, *, actor: Actor, case_id: int, at: datetime, place: str) -> Meeting:
    """The coordinator fixes the joint sitting's time and place; every participant is notified."""
    case = _open_case(session, actor, case_id)
    rows = _rows(session, case.id or 0)
    if not rows:
        raise Conflict("error.joint_none")
    if not place.strip() or len(place) > 200:
        raise ValidationFailed("error.place_required")
    when = at if at.tzinfo else at.replace(tzinfo=clock.LOCAL_TZ)
    if when < utc_now():
        raise ValidationFailed("error.meeting_in_past")
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="joint.scheduled",
            data={"at": when.isoformat(), "place": place.strip()},
        )
    )
    for p in rows:
        notify_org(
            session,
            org_id=p.org_id,
            key="notify.joint_meeting",
            case_id=case.id,
            params={
                "case_no": case.case_no,
                "at": clock.format_local(when),
                "place": place.strip(),
            },
        )
    audit.record(session, action="case.joint_schedule", actor_id=actor.user_id, entity="case", entity_id=case.id)
    return Meeting(at=when, place=place.strip())


def list_participants(session: Session, *, actor: Actor, case_id: int) -> list[Participant]:
    """The organisations on a joint case, lead first."""
    get_case_in_scope(session, actor, case_id)
    rows = session.exec(
        select(JointParticipant, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(JointParticipant.org_id))
        .where(JointParticipant.case_id == case_id)
    ).all()
    staffed = _with_users(session, [p.org_id for p, _ in rows])
    out = [Participant(org_id=p.org_id, name=name, role=p.role, has_users=p.org_id in staffed) for p, name in rows]
    return sorted(out, key=lambda p: (p.role != "lead", p.name))


def next_meeting(session: Session, *, actor: Actor, case_id: int) -> Meeting | None:
    """The latest scheduled joint sitting, if it is still ahead."""
    get_case_in_scope(session, actor, case_id)
    ev = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == "joint.scheduled")
        .order_by(col(CaseEvent.id).desc())
    ).first()
    if ev is None:
        return None
    when = datetime.fromisoformat(str(ev.data.get("at")))
    return Meeting(at=when, place=str(ev.data.get("place", ""))) if when >= utc_now() else None


def org_choices(session: Session, *, actor: Actor, case_id: int) -> list[Participant]:
    """Organisations in the coordinator's area that could join this case (not yet on it)."""
    require(actor, P.CASE_JOINT)
    case = get_case_in_scope(session, actor, case_id, scope=OWNED)
    taken = {p.org_id for p in _rows(session, case.id or 0)} | {case.org_id}
    rows = session.exec(
        select(Organisation)
        .where(
            col(Organisation.id).in_(area_org_ids(actor)),
            col(Organisation.kind).in_(JOINABLE),
            Organisation.active == True,  # noqa: E712
        )
        .order_by(col(Organisation.path))
        .limit(300)
    ).all()
    free = [o for o in rows if o.id not in taken]
    staffed = _with_users(session, [o.id or 0 for o in free])
    return [Participant(org_id=o.id or 0, name=o.name, role="", has_users=o.id in staffed) for o in free]


def notify_closed(session: Session, *, case_id: int | None = None, since: datetime | None = None) -> int:
    """Tell each coordinating organisation that the lead closed the joint case, once per closing; returns how many
    new. The closing transition calls it for its case; the background dispatcher sweeps recent closings."""
    stmt = (
        select(CaseEvent.id, CaseEvent.case_id, JointParticipant.org_id, Case.case_no)
        .join(JointParticipant, col(JointParticipant.case_id) == col(CaseEvent.case_id))
        .join(Case, col(Case.id) == col(CaseEvent.case_id))
        .where(JointParticipant.role == "coordinating", col(CaseEvent.kind).in_(CLOSINGS))
    )
    if case_id is not None:
        stmt = stmt.where(CaseEvent.case_id == case_id)
    if since is not None:
        stmt = stmt.where(col(CaseEvent.at) >= since)
    sent = 0
    for event_id, closed_case, org_id, case_no in session.exec(stmt.order_by(col(CaseEvent.id)).limit(1000)).all():
        sent += notify_org(
            session,
            org_id=org_id,
            key="notify.joint_closed",
            case_id=closed_case,
            params={"case_no": case_no},
            dedupe_key=f"joint-closed:{event_id}:{org_id}",
        )
    return sent
