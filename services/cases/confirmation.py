"""司法确认: the mediator applies to a court for a written agreement; a court user confirms or rejects it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, CaseEvent, JudicialConfirmation, Organisation, OrgKind
from models.base import utc_now
from services.access.authz import OWNED, Actor, get_case_in_scope, require, scope_org_ids
from services.access.permissions import P
from services.cases import states
from services.cases.outcomes import latest_agreement
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.notify.inbox import notify_org

COURT_KINDS = (OrgKind.COURT, OrgKind.COURT_ROOM)


@dataclass(frozen=True)
class CourtChoice:
    id: int
    name: str


def court_choices(session: Session, *, actor: Actor, case_id: int) -> list[CourtChoice]:
    """Courts of the case's county that the mediator may apply to."""
    case = get_case_in_scope(session, actor, case_id, scope=OWNED)
    rows = session.exec(
        select(Organisation)
        .where(
            col(Organisation.kind).in_(COURT_KINDS),
            Organisation.county_id == case.county_id,
            Organisation.active == True,  # noqa: E712
        )
        .order_by(col(Organisation.path))
    ).all()
    return [CourtChoice(id=o.id or 0, name=o.name) for o in rows]


def apply_confirmation(
    session: Session, *, actor: Actor, case_id: int, court_org_id: int, note: str = ""
) -> JudicialConfirmation:
    """Apply to a court to confirm the written agreement (one application awaits a ruling at a time)."""
    require(actor, P.CASE_MEDIATE)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    if case.status not in states.AGREED:
        raise Conflict("error.agreement_required")
    agreement = latest_agreement(session, actor=actor, case_id=case.id or 0)
    if agreement is None or agreement.kind != "written":
        raise ValidationFailed("error.confirmation_needs_written")
    court = session.get(Organisation, court_org_id)
    if court is None or court.kind not in COURT_KINDS or court.county_id != case.county_id or not court.active:
        raise ValidationFailed("error.court_invalid")
    row = JudicialConfirmation(
        case_id=case.id or 0, court_org_id=court.id or 0, applied_by=actor.user_id, note=note.strip()[:500]
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.confirmation_pending") from exc
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="confirmation.applied",
            note=row.note,
            data={"court": court.name, "agreement_version": agreement.version},
        )
    )
    notify_org(
        session,
        org_id=court.id or 0,
        key="notify.confirmation_applied",
        case_id=case.id,
        params={"case_no": case.case_no},
    )
    audit.record(
        session,
        action="case.confirmation_apply",
        actor_id=actor.user_id,
        entity="case",
        entity_id=case.id,
        court_org_id=court.id,
    )
    return row


def rule_confirmation(
    session: Session,
    *,
    actor: Actor,
    confirmation_id: int,
    confirmed: bool,
    ruling_no: str,
    ruled_on: date,
    note: str = "",
) -> JudicialConfirmation:
    """The court confirms or rejects, with the ruling number and date."""
    require(actor, P.JUDICIAL_RULE)
    row = session.exec(
        select(JudicialConfirmation).where(JudicialConfirmation.id == confirmation_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("error.not_found")
    if session.exec(scope_org_ids(actor).where(Organisation.id == row.court_org_id)).first() is None:
        raise OutOfScope("error.not_found")
    if row.result != "pending":
        raise Conflict("error.confirmation_decided")
    ruling_no = ruling_no.strip()
    if not ruling_no or len(ruling_no) > 60:
        raise ValidationFailed("error.ruling_no_required")
    if ruled_on > clock.today() or ruled_on < clock.local_date(row.applied_at):
        raise ValidationFailed("error.ruling_date_invalid")
    row.result = "confirmed" if confirmed else "rejected"
    row.ruling_no, row.note = ruling_no, note.strip()[:500]
    row.decided_at = datetime.combine(ruled_on, time(12), clock.LOCAL_TZ)
    row.decided_by = actor.user_id
    session.add(row)
    case = session.get(Case, row.case_id)
    session.add(
        CaseEvent(
            case_id=row.case_id,
            actor_id=actor.user_id,
            kind=f"confirmation.{row.result}",
            note=row.note,
            data={"ruling_no": ruling_no, "ruled_on": ruled_on.isoformat()},
            at=utc_now(),
        )
    )
    if case is not None:
        notify_org(
            session,
            org_id=case.org_id,
            key=f"notify.confirmation_{row.result}",
            case_id=case.id,
            params={"case_no": case.case_no, "ruling_no": ruling_no},
        )
    audit.record(
        session,
        action="case.confirmation_rule",
        actor_id=actor.user_id,
        entity="case",
        entity_id=row.case_id,
        result=row.result,
    )
    return row
