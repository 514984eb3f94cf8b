"""Hand-overs (移交/委托): send a case to another organisation with a note; the receiver accepts or returns it.

The sender keeps the case until the receiver accepts; a returned case comes back with the reason. Police
and courts register a dispute and hand it over in one step, and keep seeing it and its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseStatus, JointParticipant, Organisation, Party, Referral
from models.base import utc_now
from models.org import MEDIATION_KINDS, OrgKind
from services.access.authz import OWNED, Actor, get_case_in_scope, require, require_any, scope_org_ids
from services.access.permissions import P
from services.cases import states, warnings, workflow
from services.cases.create import CaseInput, PartyInput, find_by_token
from services.cases.record import HANDOVER_KINDS, SENDER_KINDS, check_amounts, check_parties, code_of, create_once
from services.cases.similar import LookAlike, handover_twin
from services.core import audit
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed
from services.core.security import mask_name
from services.notify.inbox import notify_org
from services.roster.duty import liaison_rooms

S = CaseStatus
LIAISON_KINDS = (OrgKind.POLICE_STATION, OrgKind.POLICE_ROOM, OrgKind.COURT, OrgKind.COURT_ROOM)


@dataclass
class HandoverInput:
    """A dispute the police, a court or a petition office registers and hands to a mediation organisation."""

    to_org_id: int
    source: str
    category: str
    description: str
    parties: list[PartyInput]
    note: str = ""
    place: str = ""
    amount_fen: int = 0
    group_size: int = 0
    risk_flags: list[str] = field(default_factory=list)
    form_token: str | None = None
    send_anyway: bool = False  # the sender saw "this looks like case X" and sends it all the same


class LooksLikeEarlier(Conflict):
    """A case with the same party and a similar text was registered here in the last 7 days: ask before filing."""

    key = "error.handover_looks_like"

    def __init__(self, twin: LookAlike) -> None:
        super().__init__(no=twin.case_no)
        self.twin = twin


@dataclass(frozen=True)
class ReferralRow:
    id: int
    case_id: int
    case_no: str
    kind: str
    status: str
    from_org: str
    to_org: str
    note: str
    reason: str
    sent_at: datetime
    decided_at: datetime | None
    case_status: str
    category: str
    parties: str
    diversion: str | None


@dataclass(frozen=True)
class OrgChoice:
    id: int
    name: str
    kind: str
    own: bool = False  # the room stationed in (or beside) the actor's own station or court


def _town_path(session: Session, me: Organisation) -> str:
    """The path of the town the actor's organisation lies in (else its parent's): 'nearest' for hand-overs."""
    ids = [int(p) for p in me.path.split("/") if p.isdigit()]
    town = session.exec(
        select(Organisation.path).where(col(Organisation.id).in_(ids), Organisation.kind == OrgKind.TOWN)
    ).first()
    if town:
        return town
    return "/" + "".join(f"{p}/" for p in ids[:-1]) if len(ids) > 1 else me.path


def handover_targets(session: Session, *, actor: Actor) -> list[OrgChoice]:
    """Mediation organisations of the actor's county (the rooms, committees and professional bodies): the room
    stationed at the actor's own station or court first, then those of the same town, then the rest."""
    require_any(actor, P.CASE_HANDOVER, P.CASE_REFER)
    me = session.get(Organisation, actor.org_id)
    if me is None:
        return []
    stmt = select(Organisation).where(col(Organisation.kind).in_(MEDIATION_KINDS), Organisation.active == True)  # noqa: E712
    if me.county_id is not None:
        stmt = stmt.where(Organisation.county_id == me.county_id)
    rows = session.exec(stmt.order_by(col(Organisation.path)).limit(500)).all()
    own = {r.org_id for r in liaison_rooms(session, actor=actor)} if me.kind in LIAISON_KINDS else set()
    town = _town_path(session, me)

    def nearness(o: Organisation) -> int:
        return 0 if o.id in own else 1 if o.path.startswith(town) else 2

    return [OrgChoice(id=o.id or 0, name=o.name, kind=o.kind, own=o.id in own) for o in sorted(rows, key=nearness)]


def sender_choices(session: Session, *, actor: Actor, source: str) -> list[OrgChoice]:
    """Police stations, courts or petition bodies of the actor's county that hand over this kind of case."""
    require(actor, P.CASE_CREATE)
    me = session.get(Organisation, actor.org_id)
    kinds = SENDER_KINDS.get(source)
    if me is None or kinds is None:
        return []
    stmt = select(Organisation).where(col(Organisation.kind).in_(kinds), Organisation.active == True)  # noqa: E712
    if me.county_id is not None:
        stmt = stmt.where(Organisation.county_id == me.county_id)
    rows = session.exec(stmt.order_by(col(Organisation.path)).limit(200)).all()
    return [OrgChoice(id=o.id or 0, name=o.name, kind=o.kind) for o in rows]


def _target(session: Session, to_org_id: int, case: Case | None, actor: Actor) -> Organisation:
    org = session.get(Organisation, to_org_id)
    me = session.get(Organisation, actor.org_id)
    if org is None or not org.active or org.kind not in MEDIATION_KINDS:
        raise ValidationFailed("error.referral_target_invalid")
    if me is not None and me.county_id is not None and org.county_id != me.county_id:
        raise ValidationFailed("error.referral_target_invalid")
    if case is not None and org.id == case.org_id:
        raise ValidationFailed("error.referral_same_org")
    return org


def _send(session: Session, actor: Actor, case: Case, to: Organisation, kind: str, note: str) -> Referral:
    row = Referral(
        case_id=case.id or 0,
        from_org_id=case.org_id,
        to_org_id=to.id or 0,
        kind=kind,
        note=note.strip()[:2000],
        sent_by=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.referral_pending") from exc
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="referral.sent",
            note=row.note,
            data={"to": to.name, "kind": kind},
        )
    )
    notify_org(session, org_id=to.id or 0, key="notify.handover_in", case_id=case.id, params={"case_no": case.case_no})
    audit.record(
        session, action="case.referral_send", actor_id=actor.user_id, entity="case", entity_id=case.id, to_org_id=to.id
    )
    return row


def handover_case(session: Session, *, actor: Actor, data: HandoverInput) -> Case:
    """Register a dispute (110 dispatch, station referral, 诉前委托, 信访) and hand it over in one step.

    A second tap of the same form returns the case the first saved; a look-alike of a case registered here in the
    last 7 days is refused with LooksLikeEarlier unless `send_anyway`."""
    require(actor, P.CASE_HANDOVER)
    if (done := find_by_token(session, Case, data.form_token)) is not None:
        if done.created_by != actor.user_id:
            raise Conflict("error.conflict")
        return done
    source = code_of(session, "source", data.source, tuple(HANDOVER_KINDS))
    category = code_of(session, "category", data.category)
    check_parties(data.parties)
    check_amounts(data.amount_fen, data.group_size)
    to = _target(session, data.to_org_id, None, actor)
    if not data.send_anyway and (
        twin := handover_twin(session, org_id=actor.org_id, parties=data.parties, description=data.description.strip())
    ):
        raise LooksLikeEarlier(twin)
    case, new = create_once(
        session,
        CaseInput(
            org_id=actor.org_id,
            source=source,
            category=category,
            description=data.description.strip(),
            parties=data.parties,
            place=data.place.strip(),
            amount_fen=data.amount_fen,
            group_size=data.group_size,
            risk_flags=[f for f in data.risk_flags if f in warnings.MANUAL_FLAGS],
            pre_litigation=source == "court_entrust",
            form_token=data.form_token,
        ),
        actor,
    )
    if not new:
        return case
    _send(session, actor, case, to, HANDOVER_KINDS[source], data.note)
    if data.send_anyway:
        session.add(CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind="handover.sent_anyway"))
    warnings.check_case(session, case, actor_id=actor.user_id)
    return case


def send_referral(session: Session, *, actor: Actor, case_id: int, to_org_id: int, note: str = "") -> Referral:
    """Send a case this organisation holds to another mediation organisation, with a note."""
    require_any(actor, P.CASE_REFER, P.CASE_HANDOVER)
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=OWNED)
    if case.status not in states.OPEN:
        raise Conflict("error.transition_not_allowed", action="refer", status=case.status)
    if not note.strip():
        raise ValidationFailed("error.referral_note_required")
    to = _target(session, to_org_id, case, actor)
    return _send(session, actor, case, to, "referral", note)


def _incoming(session: Session, actor: Actor, referral_id: int) -> Referral:
    row = session.exec(select(Referral).where(Referral.id == referral_id).with_for_update()).first()
    if row is None:
        raise NotFound("error.not_found")
    if session.exec(scope_org_ids(actor).where(Organisation.id == row.to_org_id)).first() is None:
        raise OutOfScope("error.not_found")
    if row.status != "pending":
        raise Conflict("error.referral_decided")
    return row


def accept_referral(session: Session, *, actor: Actor, referral_id: int) -> Case:
    """The receiver takes the case over: it becomes theirs (and accepted, if it was new)."""
    require(actor, P.CASE_ACCEPT)
    row = _incoming(session, actor, referral_id)
    case = session.exec(select(Case).where(Case.id == row.case_id).with_for_update()).one()
    to = session.get(Organisation, row.to_org_id)
    previous = case.org_id
    row.status, row.decided_by, row.decided_at = "accepted", actor.user_id, utc_now()
    session.add(row)
    case.org_id, case.county_id, case.mediator_id = row.to_org_id, to.county_id if to else None, None
    case.version += 1
    session.add(case)
    _move_lead(session, case.id or 0, previous, row.to_org_id)
    session.add(
        CaseEvent(
            case_id=case.id or 0, actor_id=actor.user_id, kind="referral.accepted", data={"to": to.name if to else ""}
        )
    )
    notify_org(
        session,
        org_id=row.from_org_id,
        key="notify.handover_accepted",
        case_id=case.id,
        params={"case_no": case.case_no},
    )
    audit.record(session, action="case.referral_accept", actor_id=actor.user_id, entity="case", entity_id=case.id)
    session.flush()
    if case.status == S.SUBMITTED:
        workflow.transition(session, actor=actor, case_id=case.id or 0, action="accept")
    return case


def _move_lead(session: Session, case_id: int, old_org: int, new_org: int) -> None:
    """In joint mediation the organisation taking the case over becomes the lead."""
    rows = {p.org_id: p for p in session.exec(select(JointParticipant).where(JointParticipant.case_id == case_id))}
    if not rows:
        return
    for p in rows.values():
        if p.role == "lead":
            p.role = "coordinating"
            session.add(p)
    session.flush()
    lead = rows.get(new_org) or JointParticipant(case_id=case_id, org_id=new_org, role="lead")
    lead.role = "lead"
    session.add(lead)


def return_referral(session: Session, *, actor: Actor, referral_id: int, reason: str) -> Referral:
    """The receiver sends it back with a reason; the sender keeps the case and sees why."""
    require(actor, P.CASE_ACCEPT)
    if not reason.strip():
        raise ValidationFailed("error.return_reason_required")
    row = _incoming(session, actor, referral_id)
    row.status, row.reason = "returned", reason.strip()[:500]
    row.decided_by, row.decided_at = actor.user_id, utc_now()
    session.add(row)
    session.add(CaseEvent(case_id=row.case_id, actor_id=actor.user_id, kind="referral.returned", note=row.reason))
    case = session.get(Case, row.case_id)
    notify_org(
        session,
        org_id=row.from_org_id,
        key="notify.handover_returned",
        case_id=row.case_id,
        params={"case_no": case.case_no if case else ""},
    )
    audit.record(session, action="case.referral_return", actor_id=actor.user_id, entity="case", entity_id=row.case_id)
    return row


def _rows(session: Session, stmt, limit: int) -> list[ReferralRow]:  # type: ignore[no-untyped-def]
    refs = session.exec(stmt.order_by(col(Referral.id).desc()).limit(max(1, min(limit, 100)))).all()
    case_ids = {r.case_id for r in refs}
    org_ids = {o for r in refs for o in (r.from_org_id, r.to_org_id)}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))} if refs else {}
    orgs = (
        {o.id: o.name for o in session.exec(select(Organisation).where(col(Organisation.id).in_(org_ids)))}
        if refs
        else {}
    )
    names: dict[int, list[str]] = {}
    for cid, name in (
        session.exec(
            select(Party.case_id, Party.name).where(col(Party.case_id).in_(case_ids)).order_by(col(Party.id))
        ).all()
        if refs
        else []
    ):
        names.setdefault(cid, []).append(mask_name(name))
    return [
        ReferralRow(
            id=r.id or 0,
            case_id=r.case_id,
            case_no=cases[r.case_id].case_no,
            kind=r.kind,
            status=r.status,
            from_org=orgs.get(r.from_org_id, ""),
            to_org=orgs.get(r.to_org_id, ""),
            note=r.note,
            reason=r.reason,
            sent_at=r.sent_at,
            decided_at=r.decided_at,
            case_status=cases[r.case_id].status,
            category=cases[r.case_id].category,
            parties=" / ".join(names.get(r.case_id, [])),
            diversion=cases[r.case_id].diversion,
        )
        for r in refs
    ]


def list_incoming(session: Session, *, actor: Actor, limit: int = 50) -> list[ReferralRow]:
    """Hand-overs waiting for the actor's organisation to accept or return."""
    require(actor, P.CASE_VIEW)
    return _rows(
        session,
        select(Referral).where(Referral.status == "pending", col(Referral.to_org_id).in_(scope_org_ids(actor))),
        limit,
    )


def list_sent(session: Session, *, actor: Actor, limit: int = 50) -> list[ReferralRow]:
    """Hand-overs the actor's organisation sent, with what became of them."""
    require(actor, P.CASE_VIEW)
    return _rows(session, select(Referral).where(col(Referral.from_org_id).in_(scope_org_ids(actor))), limit)
