"""A case as the workbench and registers list it (masked names, no phone, ID number or address), and the step
the actor must take on it next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Case, CaseStatus, JudicialConfirmation, Party, Referral
from services.access.authz import OWNED, WORK, Actor, scope_org_ids
from services.access.permissions import P
from services.cases import states, warnings, workflow
from services.cases.outcomes import grade_auditor_ok
from services.core import clock
from services.core.security import mask_name


@dataclass(frozen=True)
class CaseRow:
    """A case as a list shows it: no full names, phones, ID numbers or addresses."""

    id: int
    case_no: str
    status: str
    category: str
    source: str
    org_name: str
    received_on: date
    parties: str
    high_risk: bool
    overdue: bool
    flags: tuple[str, ...] = ()
    due: date | None = None
    next_action: str = "view"


def to_cards(session: Session, actor: Actor, rows, today: date) -> list[CaseRow]:  # type: ignore[no-untyped-def]
    ids = [c.id for c, _, _, _ in rows]
    names: dict[int, list[str]] = {}
    incoming: set[int] = set()
    ruling: set[int] = set()
    if ids:
        for case_id, name in session.exec(
            select(Party.case_id, Party.name).where(col(Party.case_id).in_(ids)).order_by(col(Party.id))
        ).all():
            names.setdefault(case_id, []).append(mask_name(name))
        mine = scope_org_ids(actor)
        incoming = set(
            session.exec(
                select(Referral.case_id).where(
                    col(Referral.case_id).in_(ids), col(Referral.status) == "pending", col(Referral.to_org_id).in_(mine)
                )
            ).all()
        )
        ruling = set(
            session.exec(
                select(JudicialConfirmation.case_id).where(
                    col(JudicialConfirmation.case_id).in_(ids),
                    col(JudicialConfirmation.result) == "pending",
                    col(JudicialConfirmation.court_org_id).in_(mine),
                )
            ).all()
        )
    out = []
    for c, org_name, due, relation in rows:
        grade = bool(c.grade_proposed and not c.grade_audited and c.status in states.SUCCEEDED)
        out.append(
            CaseRow(
                id=c.id or 0,
                case_no=c.case_no,
                status=c.status,
                category=c.category,
                source=c.source,
                org_name=org_name,
                received_on=clock.local_date(c.received_at),
                parties=" / ".join(names.get(c.id or 0, [])),
                high_risk=warnings.high_risk_now(c),
                overdue=due is not None and today > due,
                flags=tuple(c.risk_flags or ()),
                due=due,
                next_action=next_action(
                    actor,
                    c,
                    relation=relation,
                    incoming=c.id in incoming,
                    ruling=c.id in ruling,
                    grade=grade and grade_auditor_ok(session, actor, c),
                ),
            )
        )
    return out


def next_action(
    actor: Actor,
    c: Case,
    *,
    relation: str | None = OWNED,
    incoming: bool = False,
    ruling: bool = False,
    grade: bool = False,
) -> str:
    """The step this actor must take next on this case (one of `STEPS`), or 'view' when none is theirs.

    Built on the case page's own rules: the state machine's allowed actions for the actor's relation to the
    case (workflow.allowed_actions), a pending hand-over, ruling or grade audit; `grade` is whether the actor
    audits this case's grade (outcomes.grade_auditor_ok) and it is still waiting."""
    if incoming and actor.can(P.CASE_ACCEPT):
        return "handover"
    if ruling and actor.can(P.JUDICIAL_RULE):
        return "rule"
    if grade:
        return "grade"
    if c.status not in states.ACTIVE:
        return "view"
    allowed = workflow.allowed_actions(c, actor, relation=relation)
    if "accept" in allowed:
        return "accept"
    if c.status in states.MEDIATING and actor.can(P.CASE_MEDIATE) and relation in (OWNED, WORK):
        return "agreement" if c.status == CaseStatus.IN_MEDIATION and "succeed" in allowed else "session"
    return next((a for a in ("follow_up", "archive") if a in allowed), "view")
