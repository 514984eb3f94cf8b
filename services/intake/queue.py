"""The staff queue of submitted cases: masked, keyset-paged lists; accept, reject, mark as spam, merge.

Every decision goes through the one state machine (`services.cases.workflow.transition`); this module only
checks what the queue adds: the organisation and mediator assigned on acceptance lie in the actor's
area (a county coordination office's area is the whole county, its villages included), a reject reason
comes from the dictionary, and a merge target is another case the actor may see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, update
from sqlmodel import Session, col, func, select

from models import Attachment, Case, CaseEvent, CaseStatus, Mediator, Notification, Organisation, Party
from models.base import utc_now
from services.access.authz import Actor, area_org_ids, case_in_scope_clause, get_case_in_scope, org_in_scope, require
from services.access.permissions import P
from services.cases.workflow import transition
from services.core import audit
from services.core.errors import NotFound, ValidationFailed
from services.core.security import mask_name, mask_phone
from services.intake.form import check_text
from services.intake.pipeline import INTAKE_KINDS
from services.lowcode.dictionaries import entries

VIEWS = ("new", "quarantine")
PAGE_SIZE = 20
MAX_ADVICE = 500
EXCERPT = 80


@dataclass(frozen=True)
class QueueRow:
    """A submitted case as the queue lists it: masked names and phones, a short excerpt."""

    id: int
    version: int
    case_no: str
    org_name: str
    source: str
    category: str
    received_at: datetime
    applicant: str
    phone: str
    excerpt: str
    photos: int
    additions: int
    high_risk: bool
    signals: tuple[str, ...]


@dataclass(frozen=True)
class QueueDetail:
    row: QueueRow
    description: str
    place: str
    request: str
    custom: dict[str, Any]
    respondent: str
    respondent_phone: str
    photos: list[bytes]
    additions: list[tuple[datetime, str]]
    same_phone: list[tuple[str, str]] = field(default_factory=list)  # (case_no, status) merge candidates


@dataclass(frozen=True)
class OrgOption:
    """An organisation a case may be accepted into: its name, its host (town, county) and its mediators."""

    org_id: int
    name: str
    mediators: list[tuple[int, str]]  # (id, name), those whose specialties match the case's category first
    place: str = ""  # the parent organisation's name, so two 东村 in different towns can be told apart
    specialists: frozenset[int] = frozenset()  # the mediators whose specialties include the case's category


def _quarantined() -> Any:
    return exists().where(col(CaseEvent.case_id) == col(Case.id), col(CaseEvent.kind) == "intake.quarantined")


def _base(actor: Actor) -> Any:
    require(actor, P.INTAKE_QUEUE)
    return (
        select(Case, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(Case.org_id))
        .where(case_in_scope_clause(actor), Case.status == CaseStatus.SUBMITTED)
    )


def count_queue(session: Session, *, actor: Actor) -> dict[str, int]:
    """How many submissions wait in each view."""
    require(actor, P.INTAKE_QUEUE)
    q = _quarantined()
    row = session.exec(
        select(func.count().filter(~q), func.count().filter(q)).where(
            case_in_scope_clause(actor), Case.status == CaseStatus.SUBMITTED
        )
    ).one()
    return {"new": int(row[0] or 0), "quarantine": int(row[1] or 0)}


def list_queue(
    session: Session, *, actor: Actor, view: str = "new", before_id: int | None = None, limit: int = PAGE_SIZE
) -> list[QueueRow]:
    """Newest first, keyset-paged by id (`before_id` = the last id of the previous page)."""
    stmt = _base(actor).where(_quarantined() if view == "quarantine" else ~_quarantined())
    if before_id is not None:
        stmt = stmt.where(col(Case.id) < before_id)
    rows = session.exec(stmt.order_by(col(Case.id).desc()).limit(max(1, min(limit, 100)))).all()
    return _rows(session, [(c, name) for c, name in rows])


def _rows(session: Session, rows: list[tuple[Case, str]]) -> list[QueueRow]:
    ids = [c.id for c, _ in rows]
    if not ids:
        return []
    applicants: dict[int, Party] = {}
    for p in session.exec(
        select(Party).where(col(Party.case_id).in_(ids), Party.side == "applicant").order_by(col(Party.id).desc())
    ).all():
        applicants[p.case_id] = p
    photos = Counter(session.exec(select(Attachment.case_id).where(col(Attachment.case_id).in_(ids))).all())
    events = session.exec(
        select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.data).where(
            col(CaseEvent.case_id).in_(ids), col(CaseEvent.kind).in_(("intake.quarantined", "intake.linked"))
        )
    ).all()
    additions = Counter(cid for cid, kind, _ in events if kind == "intake.linked")
    signals = {cid: tuple(data.get("signals", [])) for cid, kind, data in events if kind == "intake.quarantined"}
    out = []
    for c, org_name in rows:
        cid = c.id or 0
        a = applicants.get(cid)
        text = c.description.replace("\r", " ").replace("\n", " ")
        out.append(
            QueueRow(
                id=cid,
                version=c.version,
                case_no=c.case_no,
                org_name=org_name,
                source=c.source,
                category=c.category,
                received_at=c.received_at,
                applicant=mask_name(a.name) if a else "",
                phone=mask_phone(a.phone) if a else "",
                excerpt=text[:EXCERPT] + ("…" if len(text) > EXCERPT else ""),
                photos=photos.get(cid, 0),
                additions=additions.get(cid, 0),
                high_risk=c.risk_level == "high",
                signals=signals.get(cid, ()),
            )
        )
    return out


def _owned_case(session: Session, actor: Actor, case_id: int) -> Case:
    """A case handled in the actor's area (the queue's scope), or the usual 'no such case' refusal."""
    require(actor, P.INTAKE_QUEUE)
    get_case_in_scope(session, actor, case_id)
    case = session.exec(select(Case).where(Case.id == case_id, case_in_scope_clause(actor))).first()
    if case is None:
        raise NotFound("error.case_not_found")
    return case


def queue_detail(session: Session, *, actor: Actor, case_id: int) -> QueueDetail:
    """Everything staff need to decide, still masked: full text, custom fields, photos, later additions."""
    case = _owned_case(session, actor, case_id)
    org = session.get(Organisation, case.org_id)
    row = _rows(session, [(case, org.name if org else "")])[0]
    parties = session.exec(select(Party).where(Party.case_id == case_id).order_by(col(Party.id))).all()
    resp = next((p for p in parties if p.side == "respondent"), None)
    applicant = next((p for p in parties if p.side == "applicant"), None)
    photos = list(
        session.exec(select(Attachment.content).where(Attachment.case_id == case_id).order_by(col(Attachment.id))).all()
    )
    additions = [
        (e.at, e.note)
        for e in session.exec(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == "intake.linked")
            .order_by(col(CaseEvent.id))
        ).all()
    ]
    same: list[tuple[str, str]] = []
    if applicant is not None and applicant.phone_index:
        same = [
            (no, st)
            for no, st in session.exec(
                select(Case.case_no, Case.status)
                .join(Party, col(Party.case_id) == col(Case.id))
                .where(
                    Party.phone_index == applicant.phone_index,
                    col(Case.id) != case_id,
                    case_in_scope_clause(actor),
                    Case.status != CaseStatus.REJECTED,
                )
                .order_by(col(Case.id).desc())
                .limit(10)
            ).all()
        ]
    return QueueDetail(
        row=row,
        description=case.description,
        place=case.place,
        request=case.request,
        custom=dict(case.custom or {}),
        respondent=mask_name(resp.name) if resp else "",
        respondent_phone=mask_phone(resp.phone) if resp else "",
        photos=photos,
        additions=additions,
        same_phone=same,
    )


def assign_options(session: Session, *, actor: Actor, case_id: int) -> list[OrgOption]:
    """Organisations the case may be accepted into and their mediators: the case's own first, then (with the
    assign permission) every active mediation organisation of the actor's area, a county office's villages too.

    Mediators whose specialties include the case's category come first."""
    case = _owned_case(session, actor, case_id)
    own = session.get(Organisation, case.org_id)
    orgs = [own] if own is not None else []
    if actor.can(P.CASE_ASSIGN):
        orgs += session.exec(
            select(Organisation)
            .where(
                col(Organisation.id).in_(area_org_ids(actor)),
                col(Organisation.id) != case.org_id,
                col(Organisation.kind).in_(INTAKE_KINDS),
                Organisation.active == True,  # noqa: E712
            )
            .order_by(col(Organisation.path))
        ).all()
    parents = _names(session, {o.parent_id for o in orgs if o.parent_id is not None})
    ids = [o.id for o in orgs]
    people: dict[int, list[Mediator]] = {}
    for m in session.exec(
        select(Mediator).where(col(Mediator.org_id).in_(ids), Mediator.status == "active").order_by(col(Mediator.name))
    ).all():
        people.setdefault(m.org_id, []).append(m)
    out = []
    for o in orgs:
        ranked = sorted(people.get(o.id or 0, []), key=lambda m: case.category not in (m.specialties or []))
        out.append(
            OrgOption(
                org_id=o.id or 0,
                name=o.name,
                mediators=[(m.id or 0, m.name) for m in ranked],
                place=parents.get(o.parent_id or 0, ""),
                specialists=frozenset(m.id or 0 for m in ranked if case.category in (m.specialties or [])),
            )
        )
    return out


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        i or 0: n
        for i, n in session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(ids)))
    }


def accept(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    org_id: int | None = None,
    mediator_id: int | None = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    """Accept a submission, optionally into another organisation of the area and with a mediator."""
    case = _owned_case(session, actor, case_id)
    data: dict[str, Any] = {}
    target = session.get(Organisation, case.org_id)
    if org_id and org_id != case.org_id:
        require(actor, P.CASE_ASSIGN)
        target = org_in_scope(session, actor, org_id)
        if target.kind not in INTAKE_KINDS or not target.active:
            raise ValidationFailed("error.queue_org_invalid")
        data["org_id"] = org_id
    if mediator_id:
        mediator = session.get(Mediator, mediator_id)
        if mediator is None or target is None or mediator.org_id != target.id or mediator.status != "active":
            raise ValidationFailed("error.queue_mediator_invalid")
        data["mediator_id"] = mediator_id
    case = transition(
        session, actor=actor, case_id=case_id, action="accept", note=note, data=data, expected_version=version
    )
    if target is not None and (case.org_id, case.county_id) != (target.id, target.county_id):
        # the assignment that comes with acceptance (the transition's event records org_id);
        # county_id is denormalised for statistics and follows the organisation
        case.org_id, case.county_id = target.id or case.org_id, target.county_id
        session.add(case)
        session.flush()
    return case


def reject(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    reason: str,
    advice: str = "",
    note: str = "",
    version: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Case:
    """Reject with a dictionary reason and (shown to the applicant on /track) advice on where to go instead."""
    require(actor, P.INTAKE_QUEUE)
    if reason not in {e.code for e in entries(session, "reject_reason")}:
        raise ValidationFailed("error.transition_needs_reason")
    problems: list[Any] = []
    advice = check_text(advice, "advice", MAX_ADVICE, problems, multiline=True)
    if problems:
        raise ValidationFailed(problems[0].key, max=MAX_ADVICE)
    return transition(
        session,
        actor=actor,
        case_id=case_id,
        action="reject",
        note=note,
        data={"reason": reason, "advice": advice, **(extra or {})},
        expected_version=version,
    )


def mark_spam(session: Session, *, actor: Actor, case_id: int, version: int | None = None) -> Case:
    """Spam is rejected with the reason 'spam' (kept, never deleted)."""
    return reject(session, actor=actor, case_id=case_id, reason="spam", version=version)


def merge(session: Session, *, actor: Actor, case_id: int, into_case_no: str, version: int | None = None) -> Case:
    """Merge a duplicate into another case: it is rejected as 'duplicate' and both timelines link the two."""
    _owned_case(session, actor, case_id)
    target_id = session.exec(select(Case.id).where(Case.case_no == into_case_no.strip())).first()
    if target_id is None or target_id == case_id:
        raise NotFound("error.queue_merge_target")
    target = _owned_case(session, actor, target_id)
    if target.status == CaseStatus.REJECTED:
        raise ValidationFailed("error.queue_merge_target")
    source = reject(
        session,
        actor=actor,
        case_id=case_id,
        reason="duplicate",
        version=version,
        extra={"merged_into": target.id, "merged_into_no": target.case_no},
    )
    session.add(
        CaseEvent(
            case_id=target_id,
            actor_id=actor.user_id,
            kind="intake.merged",
            data={"from_case_id": source.id, "from_case_no": source.case_no},
        )
    )
    audit.record(
        session, action="case.merge", actor_id=actor.user_id, entity="case", entity_id=source.id, into=target_id
    )
    return source


def unread_notifications(session: Session, *, actor: Actor) -> int:
    """Unread intake notifications for this user."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == actor.user_id,
                col(Notification.read_at).is_(None),
                col(Notification.key).startswith("notify.intake"),
            )
        ).one()
    )


def mark_notifications_read(session: Session, *, actor: Actor) -> None:
    session.exec(
        update(Notification)
        .where(
            col(Notification.user_id) == actor.user_id,
            col(Notification.read_at).is_(None),
            col(Notification.key).startswith("notify.intake"),
        )
        .values(read_at=utc_now())
    )
