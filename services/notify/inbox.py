"""In-app notifications to an organisation or a user; escalations and warnings are sent once (a unique key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from models import Case, Mediator, Notification, Organisation, OrgKind, User
from models.base import utc_now
from services.access.authz import Actor
from services.core.errors import NotFound
from services.notify import outbox
from services.notify.once import insert_once


@dataclass(frozen=True)
class NoticeRow:
    id: int
    key: str
    params: dict[str, Any]
    case_id: int | None
    created_at: datetime
    read: bool


def notify_org(
    session: Session,
    *,
    org_id: int,
    key: str,
    case_id: int | None = None,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a notification for everyone in `org_id`; with `dedupe_key`, only the first one is kept."""
    values: dict[str, Any] = {
        "org_id": org_id,
        "case_id": case_id,
        "key": key,
        "params": dict(params or {}),
        "created_at": utc_now(),
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        session.add(Notification(**values))
        outbox.enqueue(session, org_id=org_id, key=key, case_id=case_id)
        return True
    new = insert_once(session, values)
    if new:
        outbox.enqueue(session, org_id=org_id, key=key, case_id=case_id, event_key=dedupe_key)
    return new


def notify_user(
    session: Session,
    *,
    user_id: int,
    key: str,
    case_id: int | None = None,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """A notification for one person (their inbox only, no group robot); with `dedupe_key`, only the first."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "case_id": case_id,
        "key": key,
        "params": dict(params or {}),
        "created_at": utc_now(),
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        session.add(Notification(**values))
        return True
    return insert_once(session, values)


def notify_case_owner(
    session: Session,
    case: Case,
    *,
    key: str,
    params: dict[str, Any] | None = None,
    dedupe: str | None = None,
    actor_id: int | None = None,
) -> bool:
    """Tell whoever works the case (its mediator's user, or else its organisation), unless they did it themselves."""
    user_id = (
        session.exec(select(Mediator.user_id).where(Mediator.id == case.mediator_id)).first()
        if case.mediator_id
        else None
    )
    actor_org = session.exec(select(User.org_id).where(User.id == actor_id)).first() if actor_id else None
    if (user_id and user_id == actor_id) or (not user_id and actor_org == case.org_id):
        return False
    dedupe_key = f"{dedupe}:owner" if dedupe else None
    if user_id:
        return notify_user(session, user_id=user_id, key=key, case_id=case.id, params=params, dedupe_key=dedupe_key)
    return notify_org(session, org_id=case.org_id, key=key, case_id=case.id, params=params, dedupe_key=dedupe_key)


def notify_assigned(session: Session, case: Case, *, before_mediator_id: int | None, actor_user_id: int) -> bool:
    """Tell a mediator that a case was put in their hands (not when they took it themselves)."""
    if case.mediator_id is None or case.mediator_id == before_mediator_id:
        return False
    user_id = session.exec(select(Mediator.user_id).where(Mediator.id == case.mediator_id)).first()
    if not user_id or user_id == actor_user_id:
        return False
    return notify_user(
        session, user_id=user_id, key="notify.assigned", case_id=case.id, params={"case_no": case.case_no}
    )


def coordinator_org_ids(session: Session, case: Case) -> list[int]:
    """The coordination offices of the case's county; failing that, the nearest coordination office above."""
    if case.county_id is not None:
        ids = session.exec(
            select(Organisation.id)
            .where(
                Organisation.kind == OrgKind.COORDINATION,
                Organisation.county_id == case.county_id,
                Organisation.active == True,  # noqa: E712
            )
            .order_by(col(Organisation.id))
        ).all()
        if ids:
            return [i for i in ids if i is not None]
    org = session.get(Organisation, case.org_id)
    ancestors = [int(p) for p in (org.path if org else "/").split("/") if p]
    rows = session.exec(
        select(Organisation.id, Organisation.depth).where(
            col(Organisation.id).in_(ancestors), Organisation.kind == OrgKind.COORDINATION
        )
    ).all()
    best = max(rows, key=lambda r: r[1])[0] if rows else None
    return [best] if best is not None else []


def notify_coordinators(
    session: Session, case: Case, *, key: str, params: dict[str, Any] | None = None, dedupe: str | None = None
) -> int:
    """Tell the case's coordination office(s); returns how many notifications were new."""
    sent = 0
    for org_id in coordinator_org_ids(session, case):
        sent += notify_org(
            session,
            org_id=org_id,
            key=key,
            case_id=case.id,
            params=params,
            dedupe_key=f"{dedupe}:{org_id}" if dedupe else None,
        )
    return sent


def _mine(actor: Actor):  # type: ignore[no-untyped-def]
    return or_(col(Notification.user_id) == actor.user_id, col(Notification.org_id) == actor.org_id)


def list_notifications(session: Session, *, actor: Actor, unread_only: bool = True, limit: int = 20) -> list[NoticeRow]:
    """The newest notifications addressed to the actor or the actor's organisation."""
    stmt = select(Notification).where(_mine(actor))
    if unread_only:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    rows = session.exec(stmt.order_by(col(Notification.id).desc()).limit(max(1, min(limit, 100)))).all()
    return [
        NoticeRow(
            id=n.id or 0,
            key=_current_key(n.key, n.params),
            params=dict(n.params),
            case_id=n.case_id,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in rows
    ]


def _current_key(key: str, params: dict[str, Any]) -> str:
    """Duty-gap notices written before issue 23 carry the shift as an English parameter: show them in words."""
    if key == "notice.duty_gap" and params.get("shift") in ("day", "night"):
        return f"notice.duty_gap_{params['shift']}"
    return key


def count_unread(session: Session, *, actor: Actor) -> int:
    """How many unread notifications the actor has (an indexed COUNT, cheap enough for every rerun); the one number
    every unread badge and heading shows (pages/ui/inbox_nav.unread_count)."""
    return int(
        session.exec(
            select(func.count()).select_from(Notification).where(_mine(actor), col(Notification.read_at).is_(None))
        ).one()
    )


def mark_read(session: Session, *, actor: Actor, notification_id: int) -> None:
    """Mark one of the actor's notifications read (someone else's is 'not found')."""
    n = session.exec(select(Notification).where(Notification.id == notification_id, _mine(actor))).first()
    if n is None:
        raise NotFound("error.not_found")
    if n.read_at is None:
        n.read_at = utc_now()
        session.add(n)


def mark_all_read(session: Session, *, actor: Actor) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    result = session.execute(
        update(Notification).where(_mine(actor), col(Notification.read_at).is_(None)).values(read_at=utc_now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
