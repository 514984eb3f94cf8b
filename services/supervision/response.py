"""Answering a graded case: the two response clocks (first contact, handling plan) and their escalation once when
they run out, marking them done, and the joint consultation (会商) a red case needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseRisk, Consultation, User
from models.base import utc_now
from services.access.authz import WORK, Actor, get_case_in_scope, require_any
from services.access.permissions import P
from services.core import audit, clock
from services.core.errors import ValidationFailed
from services.notify.inbox import coordinator_org_ids, notify_org
from services.supervision import risk_rules as rr
from services.supervision.risk import level_orgs

ESCALATE_LIMIT = 500


def clock_status(due: datetime | None, done: datetime | None, now: datetime) -> str:
    """'none' (no clock), 'done' (met, on time or late), 'running' (due not yet passed), 'late' (past due)."""
    if due is None:
        return "none"
    if done is not None:
        return "done"
    return "late" if now > due else "running"


def escalate_clocks(session: Session, *, now: datetime | None = None) -> int:
    """Escalate every open graded case whose first contact or plan is past due, once per clock; returns how many."""
    now = now or utc_now()
    rules = rr.risk_rules(session)
    sent = 0
    for step, due_col, done_col in (
        ("contact", CaseRisk.contact_due, CaseRisk.contact_at),
        ("plan", CaseRisk.plan_due, CaseRisk.plan_at),
    ):
        rows = session.exec(
            select(CaseRisk, Case)
            .join(Case, col(Case.id) == col(CaseRisk.case_id))
            .where(CaseRisk.is_open == True, col(due_col) < now, col(done_col).is_(None))  # noqa: E712
            .order_by(col(CaseRisk.id))
            .limit(ESCALATE_LIMIT)
        ).all()
        for row, case in rows:
            lv = rules["levels"].get(row.level)
            due = getattr(row, f"{step}_due")
            dedupe = f"risk_late:{case.id}:{step}:{due.isoformat()}"
            params, key = {"case_no": case.case_no}, f"notify.risk_late_{step}"
            targets = level_orgs(session, case, lv["escalate_to"]) if lv else coordinator_org_ids(session, case)
            new = sum(
                notify_org(
                    session,
                    org_id=o,
                    key=key,
                    case_id=case.id,
                    params=params,
                    dedupe_key=f"{dedupe}:{o}",
                )
                for o in targets
            )
            if new:
                sent += 1
                late = CaseEvent(case_id=case.id or 0, kind=f"risk.late_{step}", data={"due": clock.format_local(due)})
                session.add(late)
                audit.record(session, action="risk.escalate", entity="case", entity_id=case.id, clock=step)
    return sent


def record_response(session: Session, *, actor: Actor, case_id: int, step: str, note: str = "") -> CaseRisk:
    """Mark the first contact ('contact') or the handling plan ('plan') of a graded case as done now."""
    require_any(actor, P.CASE_MEDIATE, P.CASE_ACCEPT, P.SUPERVISE)
    if step not in ("contact", "plan"):
        raise ValidationFailed("error.risk_step")
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    row = session.exec(select(CaseRisk).where(CaseRisk.case_id == case.id)).first()
    if row is None or row.level == "none":
        raise ValidationFailed("error.risk_not_graded")
    if getattr(row, f"{step}_at") is None:
        setattr(row, f"{step}_at", utc_now())
        session.add(row)
        session.add(
            CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind=f"risk.{step}", note=note.strip()[:1000])
        )
        audit.record(session, action=f"risk.{step}", actor_id=actor.user_id, entity="case", entity_id=case.id)
    return row


# ------------------------------------------------------------------------------------------------ 会商


def record_consultation(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    held_at: datetime,
    participants: str,
    decision: str,
    form_token: str | None = None,
) -> Consultation:
    """Record a joint consultation (who met, when, what was decided); for a red case it is the handling plan."""
    require_any(actor, P.SUPERVISE, P.CASE_ASSIGN)
    if form_token:
        done = session.exec(select(Consultation).where(Consultation.form_token == form_token)).first()
        if done is not None:
            return done
    who, what = participants.strip(), decision.strip()
    if not who or not what:
        raise ValidationFailed("error.consultation_missing")
    if held_at > utc_now() + timedelta(minutes=5):
        raise ValidationFailed("error.consultation_future")
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    row = Consultation(
        case_id=case.id or 0,
        held_at=held_at,
        participants=who[:500],
        decision=what[:2000],
        recorded_by=actor.user_id,
        form_token=form_token,
    )
    session.add(row)
    risk = session.exec(select(CaseRisk).where(CaseRisk.case_id == case.id)).first()
    if risk is not None and risk.plan_at is None:
        risk.plan_at = utc_now()
        session.add(risk)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="risk.consultation",
            note=what[:2000],
            data={"held_at": clock.format_local(held_at), "participants": who[:500]},
        )
    )
    session.flush()
    audit.record(session, action="risk.consultation", actor_id=actor.user_id, entity="case", entity_id=case.id)
    return row


@dataclass(frozen=True)
class RiskView:
    """What the case page shows of a case's risk: colour, reasons, owner, the two clocks and the 会商 records."""

    level: str
    reasons: list[str]
    owner_level: str
    level_since: datetime | None
    contact_due: datetime | None
    contact_at: datetime | None
    plan_due: datetime | None
    plan_at: datetime | None
    is_open: bool
    consultations: list[tuple[Consultation, str]]

    @property
    def needs_consultation(self) -> bool:
        return self.level == "red" and self.is_open and not self.consultations


def risk_view(session: Session, *, actor: Actor, case_id: int) -> RiskView:
    """The stored grade of a case the actor may see ('none' when not graded)."""
    get_case_in_scope(session, actor, case_id)
    row = session.exec(select(CaseRisk).where(CaseRisk.case_id == case_id)).first()
    meetings = list(
        session.exec(
            select(Consultation, User.display_name)
            .join(User, col(User.id) == col(Consultation.recorded_by), isouter=True)
            .where(Consultation.case_id == case_id)
            .order_by(col(Consultation.held_at).desc())
        ).all()
    )
    consultations = [(c, name or "") for c, name in meetings]
    if row is None:
        return RiskView("none", [], "", None, None, None, None, None, False, consultations)
    return RiskView(
        row.level,
        list(row.reasons),
        row.owner_level,
        row.level_since,
        row.contact_due,
        row.contact_at,
        row.plan_due,
        row.plan_at,
        row.is_open,
        consultations,
    )
