"""Online sessions: a mediator schedules a video session (any service the office uses) with a meeting link and a
time; parties see it on their party page with a join button; afterwards the mediator records who attended and
how long it took. The row is a MediationSession with online=True (services/cases/sessions.py records sittings that
already happened; this one may lie in the future)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import CaseEvent, MediationSession, Party
from models.base import utc_now
from services.access.authz import WORK, Actor, get_case_in_scope, require
from services.access.permissions import P
from services.cases import states
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, ValidationFailed

MAX_AHEAD = timedelta(days=90)


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith("https://") or len(url) > 400 or any(c.isspace() for c in url):
        raise ValidationFailed("error.meeting_url")
    return url


def schedule_online(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    held_at: datetime,
    meeting_url: str,
    note: str = "",
    now: datetime | None = None,
) -> MediationSession:
    require(actor, P.CASE_MEDIATE)
    now = now or utc_now()
    url = _check_url(meeting_url)
    held = held_at if held_at.tzinfo else held_at.replace(tzinfo=clock.LOCAL_TZ)
    if held < now - timedelta(hours=1) or held > now + MAX_AHEAD:
        raise ValidationFailed("error.online_time")
    case = get_case_in_scope(session, actor, case_id, scope=WORK)
    if case.status not in states.ONLINE_BOOKABLE:
        raise Conflict("error.transition_not_allowed", action="online_session", status=case.status)
    row = MediationSession(
        case_id=case_id,
        held_at=held,
        place="",
        participants="",
        notes=note.strip()[:2000],
        online=True,
        meeting_url=url,
        recorded_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case_id,
            actor_id=actor.user_id,
            kind="session.online_scheduled",
            data={"session_id": row.id or 0, "at": held.isoformat()},  # JSON; the timeline shows it in China time
        )
    )
    audit.record(session, action="case.online_session", actor_id=actor.user_id, entity="case", entity_id=case_id)
    return row


def record_attendance(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    attended: list[int],
    duration_minutes: int,
    now: datetime | None = None,
) -> MediationSession:
    """After the session: which parties took part and how long it lasted."""
    require(actor, P.CASE_MEDIATE)
    row = session.get(MediationSession, session_id)
    if row is None or not row.online:
        raise NotFound("error.not_found")
    get_case_in_scope(session, actor, row.case_id, scope=WORK)
    held = row.held_at if row.held_at.tzinfo else row.held_at.replace(tzinfo=clock.LOCAL_TZ)
    if held > (now or utc_now()):
        raise Conflict("error.online_not_yet")
    if not isinstance(duration_minutes, int) or not 0 < duration_minutes <= 24 * 60:
        raise ValidationFailed("error.duration_invalid")
    parties = set(session.exec(select(Party.id).where(Party.case_id == row.case_id)).all())
    if not set(attended) <= parties:
        raise ValidationFailed("error.not_found")
    row.attended = sorted(set(attended))
    row.duration_minutes = duration_minutes
    session.add(row)
    session.add(
        CaseEvent(
            case_id=row.case_id,
            actor_id=actor.user_id,
            kind="session.online_attended",
            data={"session_id": row.id or 0, "minutes": duration_minutes, "parties": len(row.attended)},
        )
    )
    audit.record(session, action="case.online_attendance", actor_id=actor.user_id, entity="case", entity_id=row.case_id)
    return row


@dataclass(frozen=True)
class OnlineRow:
    session_id: int
    held_at: datetime
    meeting_url: str
    duration_minutes: int | None
    attended: int


def list_online(session: Session, *, actor: Actor, case_id: int) -> list[OnlineRow]:
    require(actor, P.CASE_MEDIATE)
    get_case_in_scope(session, actor, case_id, scope=WORK)
    rows = session.exec(
        select(MediationSession)
        .where(MediationSession.case_id == case_id, MediationSession.online == True)  # noqa: E712
        .order_by(col(MediationSession.held_at).desc())
    ).all()
    return [
        OnlineRow(
            session_id=r.id or 0,
            held_at=r.held_at,
            meeting_url=r.meeting_url,
            duration_minutes=r.duration_minutes,
            attended=len(r.attended or []),
        )
        for r in rows
    ]
