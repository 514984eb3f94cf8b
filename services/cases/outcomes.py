"""Outcomes: agreement (written or oral), failure with diversion, withdrawal; performance; follow-up; grade audit.

Judicial confirmation lives in services/cases/confirmation.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Agreement,
    Case,
    CaseEvent,
    CaseStatus,
    FollowUp,
    GradeAudit,
    JudicialConfirmation,
    Organisation,
    OrgKind,
)
from models.base import utc_now
from services.access.authz import OWNED, Actor, area_org_ids, get_case_in_scope, require
from services.access.permissions import P
from services.cases import states, workflow
from services.cases.create import find_by_token, insert_once
from services.cases.deadlines import due_after, rules_for
from services.core import audit, clock
from services.core.errors import Conflict, OutOfScope, ValidationFailed
from services.lowcode.dictionaries import resolve_code
from services.notify.inbox import notify_org

S = CaseStatus
KINDS = ("written", "oral")
PERFORMANCE = ("pending", "fulfilled", "partly", "breached")
METHODS = ("phone", "visit")
MAX_AMOUNT_FEN = 10**12
R = TypeVar("R", Agreement, FollowUp)


@dataclass
class AgreementInput:
    """调解协议: terms, amount in fen, obligations and the day by which they are to be performed."""

    kind: str
    terms: str
    grade: str
    amount_fen: int = 0
    obligations: str = ""
    performance_due: date | None = None
    note: str = ""
    form_token: str | None = None  # a second tap of the same form returns the agreement the first saved


def _check_agreement(session: Session, data: AgreementInput) -> None:
    if data.kind not in KINDS:
        raise ValidationFailed("error.agreement_kind_invalid")
    if not data.terms.strip() or len(data.terms) > 5000:
        raise ValidationFailed("error.terms_required")
    if not 0 <= data.amount_fen <= MAX_AMOUNT_FEN:
        raise ValidationFailed("error.amount_invalid")
    if len(data.obligations) > 2000:
        raise ValidationFailed("error.text_too_long")
    if data.performance_due is not None and data.performance_due < clock.today():
        raise ValidationFailed("error.performance_due_past")
    if resolve_code(session, "grade", data.grade) is None:
        raise ValidationFailed("error.transition_needs_grade")


def conclude_with_agreement(session: Session, *, actor: Actor, case: Case, data: AgreementInput) -> Agreement:
    """Write the next agreement version, mark the case succeeded and open the follow-up visit."""
    _check_agreement(session, data)
    version = (
        int(
            session.exec(
                select(func.coalesce(func.max(Agreement.version), 0)).where(Agreement.case_id == case.id)
            ).one()
        )
        + 1
    )
    agreement = Agreement(
        case_id=case.id or 0,
        version=version,
        kind=data.kind,
        terms=data.terms.strip(),
        amount_fen=data.amount_fen,
        obligations=data.obligations.strip(),
        performance_due=data.performance_due,
        recorded_by=actor.user_id,
        form_token=data.form_token,
    )
    agreement, new = insert_once(session, Agreement, data.form_token, lambda: _added(session, agreement))
    if not new:
        return agreement
    grade = resolve_code(session, "grade", data.grade) or data.grade
    workflow.transition(
        session,
        actor=actor,
        case_id=case.id or 0,
        action="succeed",
        note=data.note,
        data={"agreement_id": agreement.id, "grade": grade, "kind": data.kind},
    )
    due = due_after(utc_now(), rules_for(session, case.category)["followup_days"])
    fu = session.exec(select(FollowUp).where(FollowUp.case_id == case.id, col(FollowUp.done_at).is_(None))).first()
    session.add(FollowUp(case_id=case.id or 0, due=due) if fu is None else _due_again(fu, due))
    return agreement


def _added(session: Session, row: Agreement) -> Agreement:
    session.add(row)
    return row


def _already(session: Session, model: type[R], case_id: int, actor: Actor, token: str | None) -> R | None:
    """The row this actor's form with this token already saved on this case (a second tap), else None."""
    row = find_by_token(session, model, token)
    if row is not None and (row.case_id != case_id or row.recorded_by != actor.user_id):
        raise Conflict("error.conflict")
    return row


def _due_again(fu: FollowUp, due: date) -> FollowUp:
    """A follow-up still open from an earlier agreement now counts from the new one."""
    fu.due = due
    return fu


def record_agreement(
    session: Session, *, actor: Actor, case_id: int, data: AgreementInput, expected_version: int | None = None
) -> Agreement:
    """Mediation succeeded: record the agreement and close the case as succeeded (the lead organisation only)."""
    require(actor, P.CASE_MEDIATE)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    if (done := _already(session, Agreement, case_id, actor, data.form_token)) is not None:
        return done
    workflow.check_version(case, expected_version)
    return conclude_with_agreement(session, actor=actor, case=case, data=data)


def revise_agreement(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    data: AgreementInput,
    reason: str,
    expected_version: int | None = None,
) -> Agreement:
    """Change a succeeded case's agreement: a new version, so every party must confirm it again.

    Not once a court has it (a pending or confirmed judicial confirmation binds that version)."""
    require(actor, P.CASE_MEDIATE)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    workflow.check_version(case, expected_version)
    if case.status != S.SUCCEEDED:
        raise Conflict("error.transition_not_allowed", action="revise", status=case.status)
    if not reason.strip():
        raise ValidationFailed("error.revise_reason_required")
    court = session.exec(
        select(JudicialConfirmation.id).where(
            JudicialConfirmation.case_id == case_id, col(JudicialConfirmation.result).in_(("pending", "confirmed"))
        )
    ).first()
    if court is not None:
        raise Conflict("error.agreement_with_court")
    _check_agreement(session, data)
    version = (
        int(
            session.exec(
                select(func.coalesce(func.max(Agreement.version), 0)).where(Agreement.case_id == case_id)
            ).one()
        )
        + 1
    )
    agreement = Agreement(
        case_id=case_id,
        version=version,
        kind=data.kind,
        terms=data.terms.strip(),
        amount_fen=data.amount_fen,
        obligations=data.obligations.strip(),
        performance_due=data.performance_due,
        recorded_by=actor.user_id,
    )
    session.add(agreement)
    session.flush()
    case.version += 1
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case_id,
            actor_id=actor.user_id,
            kind="agreement.revised",
            note=reason.strip()[:2000],
            data={"version": version},
        )
    )
    audit.record(
        session, action="agreement.revise", actor_id=actor.user_id, entity="case", entity_id=case_id, version=version
    )
    return agreement


def record_failure(session: Session, *, actor: Actor, case_id: int, diversion: str, note: str = "") -> Case:
    """Mediation failed: say where the parties were sent (litigation, arbitration, administrative, petition)."""
    code = resolve_code(session, "diversion", diversion or "")
    return workflow.transition(
        session, actor=actor, case_id=case_id, action="fail", note=note, data={"diversion": code or ""}
    )


def record_withdrawal(session: Session, *, actor: Actor, case_id: int, note: str = "") -> Case:
    """The applicant withdrew."""
    return workflow.transition(session, actor=actor, case_id=case_id, action="withdraw", note=note)


def latest_agreement(session: Session, *, actor: Actor, case_id: int) -> Agreement | None:
    """The newest agreement version of a case the actor may see."""
    get_case_in_scope(session, actor, case_id)
    return session.exec(
        select(Agreement).where(Agreement.case_id == case_id).order_by(col(Agreement.version).desc())
    ).first()


def record_performance(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    status: str,
    on: date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Agreement:
    """履行: pending / fulfilled / partly / breached, with the day it happened."""
    require(actor, P.CASE_MEDIATE)
    if status not in PERFORMANCE:
        raise ValidationFailed("error.performance_invalid")
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    workflow.check_version(case, expected_version)
    agreement = latest_agreement(session, actor=actor, case_id=case.id or 0)
    if agreement is None or case.status not in states.AGREED:
        raise Conflict("error.agreement_required")
    if status != "pending" and (on is None or on > clock.today() or on < clock.local_date(agreement.signed_at)):
        raise ValidationFailed("error.performance_date_invalid")
    agreement.performance = status
    agreement.performance_at = None if status == "pending" else _noon(on)
    session.add(agreement)
    case.version += 1
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="performance.recorded",
            note=note.strip()[:2000],
            data={"performance": status, "on": on.isoformat() if on else ""},
        )
    )
    audit.record(
        session, action="case.performance", actor_id=actor.user_id, entity="case", entity_id=case.id, performance=status
    )
    return agreement


def _noon(day: date | None) -> datetime:
    return datetime.combine(day or clock.today(), time(12), clock.LOCAL_TZ)


def auto_performance_eligible(agreement: Agreement | None) -> bool:
    """Fulfilled on time (by the deadline, or with none set): an automatic-performance certificate may issue."""
    if agreement is None or agreement.performance != "fulfilled" or agreement.performance_at is None:
        return False
    return agreement.performance_due is None or clock.local_date(agreement.performance_at) <= agreement.performance_due


def record_follow_up(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    method: str,
    satisfaction: int,
    holds: bool,
    note: str = "",
    expected_version: int | None = None,
    form_token: str | None = None,
) -> FollowUp:
    """回访: by phone or visit, satisfaction 1–5; if the agreement is not holding, reopen and tell the lead."""
    require(actor, P.CASE_MEDIATE)
    if method not in METHODS:
        raise ValidationFailed("error.followup_method_invalid")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise ValidationFailed("error.satisfaction_invalid")
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    if (done := _already(session, FollowUp, case_id, actor, form_token)) is not None:
        return done
    workflow.check_version(case, expected_version)
    if case.status != S.SUCCEEDED:
        raise Conflict("error.transition_not_allowed", action="follow_up", status=case.status)
    fu = session.exec(select(FollowUp).where(FollowUp.case_id == case.id, col(FollowUp.done_at).is_(None))).first()
    if fu is None:
        fu = FollowUp(case_id=case.id or 0, due=clock.today())
    fu.done_at, fu.method, fu.satisfaction = utc_now(), method, satisfaction
    fu.agreement_holds, fu.note, fu.recorded_by = holds, note.strip()[:2000], actor.user_id
    fu.form_token = form_token
    session.add(fu)
    session.flush()  # the unique form token (under the case's row lock) backs the look-up above
    if holds:
        workflow.transition(
            session,
            actor=actor,
            case_id=case.id or 0,
            action="follow_up",
            data={"followup_id": fu.id, "satisfaction": satisfaction},
        )
    else:
        workflow.transition(
            session,
            actor=actor,
            case_id=case.id or 0,
            action="reopen",
            note=note,
            data={"reason": "followup_not_holding", "followup_id": fu.id or 0},
        )
        notify_org(
            session, org_id=case.org_id, key="notify.reopened", case_id=case.id, params={"case_no": case.case_no}
        )
    return fu


def grade_auditor_ok(session: Session, actor: Actor, case: Case) -> bool:
    """Police-room cases are audited by the police liaison above the room; others by the justice office."""
    if not actor.can(P.GRADE_AUDIT):
        return False
    org = session.get(Organisation, case.org_id)
    me = session.get(Organisation, actor.org_id)
    if org is None or me is None:
        return False
    if org.kind == OrgKind.POLICE_ROOM:
        return me.kind in (OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM) and org.path.startswith(me.path)
    if me.kind != OrgKind.JUSTICE_OFFICE:
        return False
    return session.exec(area_org_ids(actor).where(Organisation.id == org.id)).first() is not None


def audit_grade(session: Session, *, actor: Actor, case_id: int, grade: str, note: str = "") -> GradeAudit:
    """等级审核: fix the difficulty grade the mediator proposed (once per case)."""
    require(actor, P.GRADE_AUDIT)
    case = get_case_in_scope(session, actor, case_id, for_update=True)
    if not grade_auditor_ok(session, actor, case):
        raise OutOfScope("error.grade_not_yours")
    code = resolve_code(session, "grade", grade or "")
    if code is None:
        raise ValidationFailed("error.transition_needs_grade")
    if case.grade_proposed is None or case.status not in states.SUCCEEDED:
        raise Conflict("error.grade_not_proposed")
    row = GradeAudit(
        case_id=case.id or 0,
        proposed=case.grade_proposed,
        audited=code,
        auditor_id=actor.user_id,
        auditor_org_id=actor.org_id,
        note=note.strip()[:500],
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.grade_already_audited") from exc
    case.grade_audited = code
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="grade.audited",
            note=row.note,
            data={"proposed": row.proposed, "audited": code},
        )
    )
    audit.record(
        session,
        action="case.grade_audit",
        actor_id=actor.user_id,
        entity="case",
        entity_id=case.id,
        proposed=row.proposed,
        audited=code,
    )
    return row
