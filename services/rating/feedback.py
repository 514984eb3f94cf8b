"""Objections and complaints: a mediator objects to their rating and the office answers; the office records
complaints about a mediator with its finding (substantiated complaints count in the rating's complaints metric).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, Mediator, Organisation
from models.base import utc_now
from models.rating import MediatorComplaint, RatingObjection
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P
from services.core import audit
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.rating.card import own_rating
from services.rating.runs import LIVE, rating_in_scope

MAX_TEXT = 1000
COMPLAINT_SOURCES = ("phone", "letter", "visit", "board", "follow_up")


def lodge_objection(session: Session, *, actor: Actor, rating_id: int, body: str) -> RatingObjection:
    """The rated mediator objects to their rating (one open objection per rating)."""
    rating = own_rating(session, actor, rating_id)
    if rating.status not in LIVE:
        raise Conflict("error.rating_not_live")
    body = body.strip()
    if not body:
        raise ValidationFailed("error.rating_objection_empty")
    if (
        session.exec(
            select(RatingObjection.id).where(RatingObjection.rating_id == rating_id, RatingObjection.status == "open")
        ).first()
        is not None
    ):
        raise Conflict("error.rating_objection_open")
    objection = RatingObjection(
        rating_id=rating_id, mediator_id=rating.mediator_id or 0, body=body[:MAX_TEXT], lodged_by=actor.user_id
    )
    session.add(objection)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("error.rating_objection_open") from None
    audit.record(
        session,
        action="rating.objection",
        actor_id=actor.user_id,
        entity="rating",
        entity_id=rating_id,
        objection=objection.id,
    )
    return objection


def answer_objection(
    session: Session, *, actor: Actor, objection_id: int, answer: str, upheld: bool
) -> RatingObjection:
    """The office answers an open objection (upheld or not); an upheld one is followed by a new decision."""
    require(actor, P.RATING_APPROVE)
    objection = session.get(RatingObjection, objection_id)
    if objection is None:
        raise NotFound("error.rating_not_found")
    rating_in_scope(session, actor, objection.rating_id)
    if objection.status != "open":
        raise Conflict("error.rating_objection_answered")
    answer = answer.strip()
    if not answer:
        raise ValidationFailed("error.rating_answer_empty")
    objection.status, objection.answer, objection.upheld = "answered", answer[:MAX_TEXT], upheld
    objection.answered_by, objection.answered_at = actor.user_id, utc_now()
    session.add(objection)
    audit.record(
        session,
        action="rating.objection_answered",
        actor_id=actor.user_id,
        entity="rating",
        entity_id=objection.rating_id,
        objection=objection.id,
        upheld=upheld,
    )
    return objection


@dataclass(frozen=True)
class ComplaintRow:
    id: int
    mediator_id: int
    case_id: int | None
    received_on: date
    source: str
    summary: str
    substantiated: bool
    finding: str
    at: datetime


def _mediator_in_area(session: Session, actor: Actor, mediator_id: int) -> Mediator:
    mediator = session.get(Mediator, mediator_id)
    if mediator is None:
        raise NotFound("error.not_found")
    if (
        session.exec(
            select(Organisation.id).where(
                col(Organisation.id).in_(area_org_ids(actor)), Organisation.id == mediator.org_id
            )
        ).first()
        is None
    ):
        raise OutOfScope("error.out_of_scope")
    return mediator


def record_complaint(
    session: Session,
    *,
    actor: Actor,
    mediator_id: int,
    received_on: date,
    source: str,
    summary: str,
    substantiated: bool,
    finding: str = "",
    case_id: int | None = None,
    today: date,
) -> MediatorComplaint:
    """Record a complaint about a mediator in the actor's area and the office's finding; audited."""
    require(actor, P.RATING_PROPOSE)
    _mediator_in_area(session, actor, mediator_id)
    summary, finding = summary.strip(), finding.strip()
    if not summary:
        raise ValidationFailed("error.rating_complaint_empty")
    if source not in COMPLAINT_SOURCES:
        raise ValidationFailed("error.rating_complaint_source", source=source)
    if received_on > today:
        raise ValidationFailed("error.rating_complaint_date")
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None or case.mediator_id != mediator_id:
            raise ValidationFailed("error.rating_complaint_case")
    row = MediatorComplaint(
        mediator_id=mediator_id,
        case_id=case_id,
        received_on=received_on,
        source=source,
        summary=summary[:MAX_TEXT],
        substantiated=substantiated,
        finding=finding[:MAX_TEXT],
        recorded_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="rating.complaint",
        actor_id=actor.user_id,
        entity="mediator",
        entity_id=mediator_id,
        complaint=row.id,
        substantiated=substantiated,
    )
    return row


def list_complaints(session: Session, *, actor: Actor, mediator_id: int) -> list[ComplaintRow]:
    """A mediator's complaints, newest first (the office's view)."""
    require(actor, P.RATING_PROPOSE)
    _mediator_in_area(session, actor, mediator_id)
    rows = session.exec(
        select(MediatorComplaint)
        .where(MediatorComplaint.mediator_id == mediator_id)
        .order_by(col(MediatorComplaint.received_on).desc(), col(MediatorComplaint.id).desc())
    ).all()
    return [
        ComplaintRow(
            r.id or 0,
            r.mediator_id,
            r.case_id,
            r.received_on,
            r.source,
            r.summary,
            r.substantiated,
            r.finding,
            r.created_at,
        )
        for r in rows
    ]
