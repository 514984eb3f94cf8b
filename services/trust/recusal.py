"""回避 (recusal): a party, through their own link, or the mediator, declaring a conflict of interest, asks for
another mediator with a reason; the organisation's head (RECUSAL_DECIDE) decides — never the mediator concerned.

Granting reassigns the case at once, with the reason in the timeline; the party sees the outcome on their link
page. One pending request per case is a partial unique index; a decision is a conditional update, so two heads
deciding at once cannot both succeed. The justice office sees the count of recusals per mediator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, CaseEvent, Mediator, Organisation, RecusalRequest
from models.base import utc_now
from services.access.authz import Actor, area_org_ids, get_case_in_scope, require
from services.access.permissions import P
from services.cases import party_links, states
from services.core import audit
from services.core.db import Database
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.notify.inbox import notify_assigned, notify_coordinators, notify_org

MAX_REASON = 500
PENDING, GRANTED, REFUSED = "pending", "granted", "refused"


def _clean_reason(text: str) -> str:
    reason = (text or "").strip()  # as typed: NFKC would turn Chinese full-width punctuation into ASCII
    if len(reason) < 4:
        raise ValidationFailed("error.recusal_reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("error.recusal_reason_long", max=MAX_REASON)
    if any(ord(c) < 32 and c not in "\n\t" for c in reason):
        raise ValidationFailed("error.intake_bad_chars", field="reason")
    return reason


def _add_request(session: Session, case: Case, request: RecusalRequest, actor_id: int | None) -> RecusalRequest:
    if case.status not in states.OPEN or case.mediator_id is None:
        raise Conflict("error.recusal_not_open")
    session.add(request)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor_id,
            kind="recusal.requested",
            note=request.reason[:2000],
            data={"source": request.source},
        )
    )
    audit.record(
        session,
        action="recusal.request",
        actor_id=actor_id,
        entity="case",
        entity_id=case.id,
        request=request.id,
        source=request.source,
    )
    params = {"case_no": case.case_no}
    notify_org(session, org_id=case.org_id, key="notify.recusal_requested", case_id=case.id, params=params)
    notify_coordinators(session, case, key="notify.recusal_requested", params=params)
    return request


def request_by_party(
    db: Database, *, token: str, last4: str, reason: str, client: str, now: datetime | None = None
) -> int:
    """A party asks, through their own link, for another mediator; returns the request's id."""
    text = _clean_reason(reason)
    opened = party_links.verify(db, token=token, last4=last4, client=client, now=now)
    try:
        with db.write() as s:
            case = s.get(Case, opened.case_id)
            if case is None:
                raise NotFound("error.case_not_found")
            request = RecusalRequest(
                case_id=opened.case_id,
                mediator_id=case.mediator_id or 0,
                source="party",
                party_id=opened.party_id,
                reason=text,
                created_at=now or utc_now(),
            )
            return _add_request(s, case, request, None).id or 0
    except IntegrityError as exc:
        raise Conflict("error.recusal_pending") from exc


def request_by_mediator(db: Database, *, actor: Actor, case_id: int, reason: str, now: datetime | None = None) -> int:
    """The case's mediator declares a conflict of interest and asks to step aside; returns the request's id."""
    require(actor, P.CASE_MEDIATE)
    text = _clean_reason(reason)
    try:
        with db.write() as s:
            case = get_case_in_scope(s, actor, case_id)
            own = s.exec(select(Mediator.id).where(Mediator.user_id == actor.user_id)).first()
            if own is None or own != case.mediator_id:
                raise PermissionDenied("error.recusal_not_your_case")
            request = RecusalRequest(
                case_id=case_id,
                mediator_id=own,
                source="mediator",
                requested_by=actor.user_id,
                reason=text,
                created_at=now or utc_now(),
            )
            return _add_request(s, case, request, actor.user_id).id or 0
    except IntegrityError as exc:
        raise Conflict("error.recusal_pending") from exc


def _check_new_mediator(session: Session, case: Case, old_id: int, new_id: int | None) -> Mediator:
    new = session.get(Mediator, new_id) if new_id else None
    if new is None or new.status != "active" or new.org_id != case.org_id:
        raise ValidationFailed("error.recusal_pick_mediator")
    if new.id == old_id:
        raise ValidationFailed("error.recusal_same_mediator")
    return new


def decide(
    db: Database,
    *,
    actor: Actor,
    request_id: int,
    grant: bool,
    new_mediator_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """The head's decision: grant (the case goes to `new_mediator_id`, reason in the timeline) or refuse."""
    require(actor, P.RECUSAL_DECIDE)
    now = now or utc_now()
    with db.write() as s:
        request = s.get(RecusalRequest, request_id)
        if request is None:
            raise NotFound("error.recusal_not_found")
        case = get_case_in_scope(s, actor, request.case_id, for_update=True)
        concerned = s.exec(select(Mediator.user_id).where(Mediator.id == request.mediator_id)).first()
        if concerned is not None and concerned == actor.user_id:
            raise PermissionDenied("error.recusal_own")
        new = _check_new_mediator(s, case, request.mediator_id, new_mediator_id) if grant else None
        status = GRANTED if grant else REFUSED
        done = s.execute(
            update(RecusalRequest)
            .where(col(RecusalRequest.id) == request_id, col(RecusalRequest.status) == PENDING)
            .values(
                status=status,
                decided_at=now,
                decided_by=actor.user_id,
                decision_note=note.strip()[:MAX_REASON],
                new_mediator_id=new.id if new else None,
            )
            .returning(col(RecusalRequest.id))
        ).first()
        if done is None:
            raise Conflict("error.recusal_decided")
        before = case.mediator_id
        old_name = s.exec(select(Mediator.name).where(Mediator.id == request.mediator_id)).first() or ""
        if new is not None:
            case.mediator_id = new.id
            case.version += 1
            s.add(case)
        s.add(
            CaseEvent(
                case_id=case.id or 0,
                actor_id=actor.user_id,
                kind=f"recusal.{status}",
                note=request.reason[:2000],
                data={"from": old_name, "to": new.name if new else "", "decision": note.strip()[:200]},
            )
        )
        audit.record(
            s,
            action=f"recusal.{status}",
            actor_id=actor.user_id,
            entity="case",
            entity_id=case.id,
            request=request_id,
            mediator=request.mediator_id,
            new_mediator=new.id if new else None,
        )
        s.flush()
        if new is not None:
            notify_assigned(s, case, before_mediator_id=before, actor_user_id=actor.user_id)


@dataclass(frozen=True)
class RecusalRow:
    id: int
    case_id: int
    case_no: str
    mediator_id: int
    mediator_name: str
    source: str
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decision_note: str


def _rows(session: Session, where: list) -> list[RecusalRow]:  # type: ignore[type-arg]
    rows = session.exec(
        select(RecusalRequest, Case.case_no, Mediator.name)
        .join(Case, col(Case.id) == col(RecusalRequest.case_id))
        .join(Mediator, col(Mediator.id) == col(RecusalRequest.mediator_id))
        .where(*where)
        .order_by(col(RecusalRequest.id).desc())
    ).all()
    return [
        RecusalRow(
            id=r.id or 0,
            case_id=r.case_id,
            case_no=case_no,
            mediator_id=r.mediator_id,
            mediator_name=name,
            source=r.source,
            reason=r.reason,
            status=r.status,
            created_at=r.created_at,
            decided_at=r.decided_at,
            decision_note=r.decision_note,
        )
        for r, case_no, name in rows
    ]


def case_requests(db: Database, *, actor: Actor, case_id: int) -> list[RecusalRow]:
    """The case's recusal requests, newest first."""
    with db.read() as s:
        get_case_in_scope(s, actor, case_id)
        return _rows(s, [RecusalRequest.case_id == case_id])


def pending_requests(db: Database, *, actor: Actor) -> list[RecusalRow]:
    """Requests waiting for the actor's decision: pending, in their area, not about themselves."""
    require(actor, P.RECUSAL_DECIDE)
    with db.read() as s:
        own = s.exec(select(Mediator.id).where(Mediator.user_id == actor.user_id)).first()
        where = [RecusalRequest.status == PENDING, col(Case.org_id).in_(area_org_ids(actor))]
        if own is not None:
            where.append(RecusalRequest.mediator_id != own)
        return _rows(s, where)


def candidates(db: Database, *, actor: Actor, request_id: int) -> list[tuple[int, str]]:
    """Active mediators of the case's organisation who may take it over (not the one stepping aside)."""
    require(actor, P.RECUSAL_DECIDE)
    with db.read() as s:
        request = s.get(RecusalRequest, request_id)
        if request is None:
            raise NotFound("error.recusal_not_found")
        case = get_case_in_scope(s, actor, request.case_id)
        rows = s.exec(
            select(Mediator.id, Mediator.name)
            .where(Mediator.org_id == case.org_id, Mediator.status == "active", Mediator.id != request.mediator_id)
            .order_by(col(Mediator.name))
        ).all()
    return [(int(i or 0), name) for i, name in rows]


@dataclass(frozen=True)
class MediatorRecusals:
    mediator_id: int
    name: str
    org_name: str
    requested: int
    granted: int


def recusal_counts(db: Database, *, actor: Actor) -> list[MediatorRecusals]:
    """Recusal requests and grants per mediator in the actor's area (for the justice office; not a rating input)."""
    require(actor, P.RECUSAL_DECIDE)
    granted = func.count().filter(col(RecusalRequest.status) == GRANTED)
    with db.read() as s:
        rows = s.execute(
            sa_select(col(Mediator.id), col(Mediator.name), col(Organisation.name), func.count(), granted)
            .join(Mediator, col(Mediator.id) == col(RecusalRequest.mediator_id))
            .join(Organisation, col(Organisation.id) == col(Mediator.org_id))
            .where(col(Mediator.org_id).in_(area_org_ids(actor)))
            .group_by(col(Mediator.id), col(Mediator.name), col(Organisation.name))
            .order_by(granted.desc(), func.count().desc(), col(Mediator.name))
        ).all()
    return [MediatorRecusals(int(i or 0), n, o, int(req), int(g)) for i, n, o, req, g in rows]


@dataclass(frozen=True)
class PartyRecusal:
    status: str
    created_at: datetime
    decided_at: datetime | None


def party_requests(db: Database, *, token: str, last4: str, client: str) -> list[PartyRecusal]:
    """A party's own recusal requests on this case, newest first (for their link page)."""
    opened = party_links.verify(db, token=token, last4=last4, client=client)
    with db.read() as s:
        rows = s.exec(
            select(RecusalRequest)
            .where(RecusalRequest.case_id == opened.case_id, RecusalRequest.party_id == opened.party_id)
            .order_by(col(RecusalRequest.id).desc())
        ).all()
    return [PartyRecusal(r.status, r.created_at, r.decided_at) for r in rows]
