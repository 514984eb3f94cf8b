"""The case state machine as data, applied by one function that also writes the timeline and the audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from models import Case, CaseEvent, CaseStatus
from models.base import utc_now
from services import audit
from services.authz import Actor, get_case_in_scope, require
from services.cases import deadlines
from services.errors import Conflict, ValidationFailed
from services.permissions import P

S = CaseStatus


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: str
    needs: tuple[str, ...] = ()  # names of data keys that must be given


TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", frozenset({S.SUBMITTED}), S.ACCEPTED, P.CASE_ACCEPT),
    Transition("reject", frozenset({S.SUBMITTED}), S.REJECTED, P.CASE_ACCEPT, ("reason",)),
    Transition("start", frozenset({S.ACCEPTED}), S.IN_MEDIATION, P.CASE_MEDIATE),
    Transition("succeed", frozenset({S.ACCEPTED, S.IN_MEDIATION}), S.SUCCEEDED, P.CASE_MEDIATE),
    Transition("fail", frozenset({S.ACCEPTED, S.IN_MEDIATION}), S.FAILED, P.CASE_MEDIATE, ("diversion",)),
    Transition("withdraw", frozenset({S.ACCEPTED, S.IN_MEDIATION}), S.WITHDRAWN, P.CASE_MEDIATE),
    Transition("follow_up", frozenset({S.SUCCEEDED}), S.FOLLOWED_UP, P.CASE_MEDIATE),
    Transition("reopen", frozenset({S.SUCCEEDED, S.FOLLOWED_UP}), S.IN_MEDIATION, P.CASE_MEDIATE),
    Transition("archive", frozenset({S.FOLLOWED_UP, S.FAILED, S.WITHDRAWN, S.REJECTED}), S.ARCHIVED,
               P.CASE_MEDIATE),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
CONCLUDED = frozenset({S.SUCCEEDED, S.FAILED, S.WITHDRAWN})


def allowed_actions(case: Case, actor: Actor) -> list[str]:
    """The actions this actor may take on this case right now (for the case page's buttons)."""
    return [t.action for t in TRANSITIONS if case.status in t.sources and actor.can(t.permission)]


def _apply(case: Case, t: Transition, data: dict[str, Any], session: Session) -> None:
    now = utc_now()
    if t.target == S.ACCEPTED:
        case.accepted_at = now
        rules = deadlines(session)
        case.conclude_due = (now + timedelta(days=rules["conclude_days"])).date()
    elif t.target == S.REJECTED:
        case.reject_reason = str(data["reason"])[:40]
    elif t.target in CONCLUDED:
        case.concluded_at = now
        if t.target == S.FAILED:
            case.diversion = str(data["diversion"])[:32]
    elif t.target == S.ARCHIVED:
        case.archived_at = now
    elif t.action == "reopen":
        case.concluded_at = None
    if "org_id" in data and t.target == S.ACCEPTED:
        case.org_id = int(data["org_id"])
    if "mediator_id" in data:
        case.mediator_id = int(data["mediator_id"]) if data["mediator_id"] else None


def transition(session: Session, *, actor: Actor, case_id: int, action: str, note: str = "",
               data: dict[str, Any] | None = None, expected_version: int | None = None) -> Case:
    """Move a case by `action` if the table allows it for this actor; write the timeline and audit rows."""
    data = dict(data or {})
    t = BY_ACTION.get(action)
    if t is None:
        raise ValidationFailed("error.action_unknown", action=action)
    require(actor, t.permission)
    case = get_case_in_scope(session, actor, case_id, for_update=True)
    if expected_version is not None and case.version != expected_version:
        raise Conflict("error.conflict")
    if case.status not in t.sources:
        raise Conflict("error.transition_not_allowed", action=action, status=case.status)
    missing = [k for k in t.needs if not data.get(k)]
    if missing:
        raise ValidationFailed(f"error.transition_needs_{missing[0]}")
    before = case.status
    _apply(case, t, data, session)
    case.status = t.target
    case.version += 1
    session.add(case)
    session.add(CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind=f"transition.{action}",
                          from_status=before, to_status=t.target, note=note[:2000],
                          data={k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}))
    audit.record(session, action="case.transition", actor_id=actor.user_id, entity="case", entity_id=case.id,
                 transition=action, from_status=before, to_status=t.target)
    return case
