"""The case page's read model: one call returns what the page shows and the actions allowed right now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models import (
    Agreement,
    Case,
    CaseEvent,
    CaseStatus,
    FollowUp,
    JudicialConfirmation,
    Organisation,
    Party,
    Referral,
    User,
)
from services.access.authz import OWNED, WORK, Actor, case_relation, get_case_in_scope, scope_org_ids
from services.access.permissions import P
from services.cases import joint, party_links, sessions, states, workflow
from services.cases.outcomes import auto_performance_eligible, grade_auditor_ok
from services.cases.sessions import AttachmentMeta
from services.core import clock
from services.core.security import mask_id, mask_name, mask_phone
from services.lowcode.custom_fields import CustomValue, case_values
from services.privacy.reveal import may_reveal

S = CaseStatus


@dataclass(frozen=True)
class PartyView:
    id: int
    side: str
    kind: str
    name: str
    phone_masked: str
    id_masked: str
    has_phone: bool
    has_id: bool


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    actor: str
    note: str
    data: dict[str, Any]


@dataclass
class CaseDetail:
    case: Case
    org_name: str
    relation: str
    parties: list[PartyView]
    events: list[EventView]
    sessions: list[Any]
    attachments: list[AttachmentMeta]
    agreement: Agreement | None
    certificate_eligible: bool
    confirmations: list[tuple[JudicialConfirmation, str]]
    followups: list[FollowUp]
    referrals: list[tuple[Referral, str, str]]
    participants: list[joint.Participant]
    meeting: joint.Meeting | None
    due: date | None
    overdue: bool
    can_reveal: bool
    actions: list[str] = field(default_factory=list)
    incoming_referral_id: int | None = None
    pending_confirmation_id: int | None = None
    custom: list[CustomValue] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # case pages the actor may open now (see case_links)


def _due(case: Case, followups: list[FollowUp]) -> date | None:
    if case.status == S.SUBMITTED:
        return case.accept_due
    if case.status in states.MEDIATING:
        return case.conclude_due
    if case.status == S.SUCCEEDED:
        open_dues = [f.due for f in followups if f.done_at is None and f.due is not None]
        return min(open_dues) if open_dues else None
    return None


def _events(session: Session, case_id: int) -> list[EventView]:
    rows = session.exec(
        select(CaseEvent, User.display_name)
        .outerjoin(User, col(User.id) == col(CaseEvent.actor_id))
        .where(CaseEvent.case_id == case_id)
        .order_by(col(CaseEvent.at), col(CaseEvent.id))
    ).all()
    return [EventView(at=e.at, kind=e.kind, actor=name or "", note=e.note, data=dict(e.data)) for e, name in rows]


def _parties(session: Session, case_id: int, full_names: bool) -> list[PartyView]:
    rows = session.exec(select(Party).where(Party.case_id == case_id).order_by(col(Party.id))).all()
    return [
        PartyView(
            id=p.id or 0,
            side=p.side,
            kind=p.kind,
            name=p.name if full_names else mask_name(p.name),
            phone_masked=mask_phone(p.phone),
            id_masked=p.id_number_masked or mask_id(None),
            has_phone=bool(p.phone),
            has_id=bool(p.id_number_enc),
        )
        for p in rows
    ]


def _actions(session: Session, actor: Actor, case: Case, relation: str, detail: CaseDetail) -> list[str]:
    acts = [
        a
        for a in workflow.allowed_actions(case, actor, relation=relation)
        if a not in ("succeed", "follow_up", "start", "reopen")
    ]
    can_mediate = actor.can(P.CASE_MEDIATE)
    if can_mediate and relation in (OWNED, WORK) and case.status in states.MEDIATING:
        acts.insert(0, "session")
    if can_mediate and relation == OWNED and case.status in states.MEDIATING:
        acts.insert(1, "agreement")
    if can_mediate and relation == OWNED and case.status in states.AGREED and detail.agreement:
        acts.append("performance")
        with_court = any(c.result in ("pending", "confirmed") for c, _ in detail.confirmations)
        if detail.agreement.kind == "written" and not with_court:
            acts.append("confirmation")
        if case.status == S.SUCCEEDED and not with_court:
            acts.append("revise")
    if can_mediate and relation == OWNED and case.status == S.SUCCEEDED:
        acts.append("follow_up")
    if (
        (actor.can(P.CASE_REFER) or actor.can(P.CASE_HANDOVER))
        and relation == OWNED
        and case.status in states.OPEN
        and not any(r.status == "pending" for r, _, _ in detail.referrals)
    ):
        acts.append("refer")
    if actor.can(P.CASE_JOINT) and relation == OWNED and case.status in states.OPEN:
        acts.append("joint")
    if detail.incoming_referral_id and actor.can(P.CASE_ACCEPT):
        acts.insert(0, "handover")
    if detail.pending_confirmation_id and actor.can(P.JUDICIAL_RULE):
        acts.insert(0, "rule")
    if (
        case.grade_proposed
        and not case.grade_audited
        and case.status in states.SUCCEEDED
        and grade_auditor_ok(session, actor, case)
    ):
        acts.insert(0, "grade")
    if relation in (OWNED, WORK) and case.status in states.ACTIVE and (can_mediate or actor.can(P.CASE_ACCEPT)):
        acts.append("flag")
    return list(dict.fromkeys(acts))


def case_links(actor: Actor, case: Case, relation: str) -> list[str]:
    """The case's own pages the actor may use now: its documents, its party links, its online sessions."""
    links = ["documents"]
    works_on_it = actor.can(P.CASE_MEDIATE) and relation in (OWNED, WORK)
    if works_on_it and case.status in party_links.LINK_STATES:
        links.append("party_links")
    if works_on_it and case.status in states.ONLINE_BOOKABLE:
        links.append("online")
    return links


def get_case_detail(session: Session, *, actor: Actor, case_id: int) -> CaseDetail:
    """Everything the case page shows, for a case the actor may see (else the usual refusal)."""
    case = get_case_in_scope(session, actor, case_id)
    relation = case_relation(session, actor, case.id or 0) or "visible"
    org = session.get(Organisation, case.org_id)
    mine = scope_org_ids(actor)
    followups = list(session.exec(select(FollowUp).where(FollowUp.case_id == case_id).order_by(col(FollowUp.id))))
    agreement = session.exec(
        select(Agreement).where(Agreement.case_id == case_id).order_by(col(Agreement.version).desc())
    ).first()
    confirmations = list(
        session.exec(
            select(JudicialConfirmation, Organisation.name)
            .join(Organisation, col(Organisation.id) == col(JudicialConfirmation.court_org_id))
            .where(JudicialConfirmation.case_id == case_id)
            .order_by(col(JudicialConfirmation.id))
        ).all()
    )
    frm, to = Organisation.__table__.alias("frm"), Organisation.__table__.alias("to_org")  # type: ignore[attr-defined]
    referrals = [
        (r, a, b)
        for r, a, b in session.exec(
            select(Referral, frm.c.name, to.c.name)
            .join(frm, frm.c.id == Referral.from_org_id)
            .join(to, to.c.id == Referral.to_org_id)
            .where(Referral.case_id == case_id)
            .order_by(col(Referral.id))
        ).all()
    ]
    incoming = session.exec(
        select(Referral.id).where(
            Referral.case_id == case_id, Referral.status == "pending", col(Referral.to_org_id).in_(mine)
        )
    ).first()
    pending_conf = session.exec(
        select(JudicialConfirmation.id).where(
            JudicialConfirmation.case_id == case_id,
            JudicialConfirmation.result == "pending",
            col(JudicialConfirmation.court_org_id).in_(mine),
        )
    ).first()
    can_reveal = may_reveal(session, actor, case)
    due = _due(case, followups)
    detail = CaseDetail(
        case=case,
        org_name=org.name if org else "",
        relation=relation,
        parties=_parties(session, case_id, full_names=can_reveal),
        events=_events(session, case_id),
        sessions=sessions.list_sessions(session, actor=actor, case_id=case_id),
        attachments=sessions.list_attachments(session, actor=actor, case_id=case_id),
        agreement=agreement,
        certificate_eligible=auto_performance_eligible(agreement),
        confirmations=confirmations,
        followups=followups,
        referrals=referrals,
        participants=joint.list_participants(session, actor=actor, case_id=case_id),
        meeting=joint.next_meeting(session, actor=actor, case_id=case_id),
        due=due,
        overdue=due is not None and clock.today() > due,
        can_reveal=can_reveal,
        incoming_referral_id=incoming,
        pending_confirmation_id=pending_conf,
        custom=case_values(session, case),
    )
    detail.actions = _actions(session, actor, case, relation, detail)
    detail.links = case_links(actor, case, relation)
    return detail
