"""The case state machine as data, applied by one function that also writes the timeline and the audit.

Each transition names who may take it (a permission) and from where (a scope): `owned` actions belong to
the organisation handling the case — in joint mediation that is the lead (主调方), so only the lead
closes — while `work` actions are open to every participating organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from models import Agreement, Case, CaseEvent, CaseStatus, FollowUp, JudicialConfirmation, Mediator
from models.base import utc_now
from services.access.authz import OWNED, WORK, Actor, get_case_in_scope, require
from services.access.permissions import P
from services.cases import joint, states, warnings
from services.cases.deadlines import due_after, rules_for
from services.core import audit
from services.core.errors import Conflict, ValidationFailed
from services.lowcode.dictionaries import resolve_code
from services.notify import inbox as notifications
from services.stats import summary

S = CaseStatus


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: str
    needs: tuple[str, ...] = ()  # names of data keys that must be given
    scope: str = OWNED  # OWNED: the handling (lead) organisation; WORK: any participant


TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", frozenset({S.SUBMITTED}), S.ACCEPTED, P.CASE_ACCEPT),
    Transition("reject", frozenset({S.SUBMITTED}), S.REJECTED, P.CASE_ACCEPT, ("reason",)),
    Transition("start", frozenset({S.ACCEPTED}), S.IN_MEDIATION, P.CASE_MEDIATE, scope=WORK),
    Transition("succeed", frozenset(states.MEDIATING), S.SUCCEEDED, P.CASE_MEDIATE, ("agreement_id", "grade")),
    Transition("fail", frozenset(states.MEDIATING), S.FAILED, P.CASE_MEDIATE, ("diversion",)),
    Transition("withdraw", frozenset(states.MEDIATING), S.WITHDRAWN, P.CASE_MEDIATE),
    Transition("follow_up", frozenset({S.SUCCEEDED}), S.FOLLOWED_UP, P.CASE_MEDIATE, ("followup_id",)),
    Transition("reopen", frozenset(states.AGREED), S.IN_MEDIATION, P.CASE_MEDIATE, ("reason",)),
    Transition("archive", frozenset({S.FOLLOWED_UP, S.FAILED, S.WITHDRAWN, S.REJECTED}), S.ARCHIVED, P.CASE_MEDIATE),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def allowed_actions(case: Case, actor: Actor, *, relation: str | None = OWNED) -> list[str]:
    """The actions this actor may take on this case right now (for the case page's buttons).

    `relation` is how the actor holds the case (authz.case_relation): 'owned' allows every action the
    permissions allow, 'work' only those open to participants, anything else none."""
    if relation not in (OWNED, WORK):
        return []
    return [
        t.action
        for t in TRANSITIONS
        if case.status in t.sources and actor.can(t.permission) and (relation == OWNED or t.scope == WORK)
    ]


def check_version(case: Case, expected: int | None) -> None:
    """Refuse a form sent against an older version of the case (a double tap, or someone else was quicker)."""
    if expected is not None and case.version != expected:
        raise Conflict("error.conflict")


def _check_data(session: Session, case: Case, t: Transition, data: dict[str, Any]) -> None:
    """Refuse data that does not belong to this case (the agreement, the follow-up, the diversion and grade codes)."""
    if t.action == "fail" and resolve_code(session, "diversion", str(data["diversion"])) is None:
        raise ValidationFailed("error.transition_needs_diversion")
    if t.action == "succeed":
        agreement = session.get(Agreement, int(data["agreement_id"]))
        if agreement is None or agreement.case_id != case.id:
            raise ValidationFailed("error.agreement_required")
        if resolve_code(session, "grade", str(data["grade"])) is None:
            raise ValidationFailed("error.transition_needs_grade")
    if t.action == "follow_up":
        fu = session.get(FollowUp, int(data["followup_id"]))
        if fu is None or fu.case_id != case.id or fu.done_at is None:
            raise ValidationFailed("error.followup_required")
    if t.action == "archive":
        pending = session.exec(
            select(JudicialConfirmation.id).where(
                JudicialConfirmation.case_id == case.id, JudicialConfirmation.result == "pending"
            )
        ).first()
        if pending is not None:
            raise Conflict("error.archive_confirmation_pending")


def _apply(session: Session, case: Case, t: Transition, data: dict[str, Any], actor: Actor) -> None:
    now = utc_now()
    if t.target == S.ACCEPTED:
        if "org_id" in data:  # acceptance into another organisation of the area (checked by the caller)
            case.org_id = int(data["org_id"])
            case.county_id = summary.county_of(session, case.org_id)  # issue 21: statistics by county follow
        case.accepted_at = now
        case.conclude_due = due_after(now, rules_for(session, case.category)["conclude_days"])
        if case.mediator_id is None:
            case.mediator_id = session.exec(
                select(Mediator.id).where(Mediator.user_id == actor.user_id, Mediator.org_id == case.org_id)
            ).first()
    elif t.target == S.REJECTED:
        case.reject_reason = str(data["reason"])[:40]
    elif t.target in states.CONCLUDED:
        case.concluded_at = now
        if t.target == S.FAILED:
            case.diversion = str(data["diversion"])[:32]
        if t.target == S.SUCCEEDED:
            case.grade_proposed = str(data["grade"])[:12]
    elif t.target == S.ARCHIVED:
        case.archived_at = now
    if t.action == "reopen":
        case.concluded_at = None
        case.conclude_due = due_after(now, rules_for(session, case.category)["conclude_days"])
    if "mediator_id" in data:
        case.mediator_id = int(data["mediator_id"]) if data["mediator_id"] else None


def transition(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    action: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Move a case by `action` if the table allows it for this actor; write the timeline and audit rows."""
    data = dict(data or {})
    t = BY_ACTION.get(action)
    if t is None:
        raise ValidationFailed("error.action_unknown", action=action)
    require(actor, t.permission)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=t.scope)
    check_version(case, expected_version)
    if case.status not in t.sources:
        raise Conflict("error.transition_not_allowed", action=action, status=case.status)
    missing = [k for k in t.needs if data.get(k) in (None, "")]
    if missing:
        raise ValidationFailed(f"error.transition_needs_{missing[0]}")
    _check_data(session, case, t, data)
    before, before_mediator = case.status, case.mediator_id
    _apply(session, case, t, data, actor)
    case.status = t.target
    case.version += 1
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind=f"transition.{action}",
            from_status=before,
            to_status=t.target,
            note=note[:2000],
            data={k: v for k, v in data.items() if isinstance(v, str | int | float | bool)},
        )
    )
    audit.record(
        session,
        action="case.transition",
        actor_id=actor.user_id,
        entity="case",
        entity_id=case.id,
        transition=action,
        from_status=before,
        to_status=t.target,
    )
    session.flush()
    notifications.notify_assigned(session, case, before_mediator_id=before_mediator, actor_user_id=actor.user_id)
    if t.target == S.ACCEPTED:  # whatever the way in (QR, queue, hand-over), the early-warning rules run now
        warnings.check_case(session, case, actor_id=actor.user_id)
    if t.target in states.CONCLUDED_OR_REJECTED:  # joint mediation: the coordinating organisations are told at once
        joint.notify_closed(session, case_id=case.id or 0)
    return case
