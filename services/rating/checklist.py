"""The standardisation checklist of mediation organisations (统一名称、标牌、印章…; 公开组织、制度…):
items the office edits, and per organisation and period whether each is met, with a note or a photo as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import ChecklistItem, ChecklistState, Organisation
from models.base import utc_now
from models.org import MEDIATION_KINDS
from services.access.authz import Actor, org_in_scope, require, require_any
from services.access.permissions import P
from services.core import audit
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.rating.schemes import parse_period

MAX_PHOTO = 2 * 1024 * 1024
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")  # JPEG, PNG, WebP (RIFF…WEBP)


@dataclass(frozen=True)
class ItemRow:
    id: int
    code: str
    label_zh: str
    label_en: str
    points: float
    position: int
    active: bool


@dataclass(frozen=True)
class StateRow:
    item: ItemRow
    met: bool | None  # None: not checked yet for the period
    note: str
    has_photo: bool
    state_id: int | None


def _item(i: ChecklistItem) -> ItemRow:
    return ItemRow(i.id or 0, i.code, i.label_zh, i.label_en, i.points, i.position, i.active)


def list_items(session: Session, *, actor: Actor, include_inactive: bool = False) -> list[ItemRow]:
    """The checklist items in their order."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    stmt = select(ChecklistItem).order_by(col(ChecklistItem.position), col(ChecklistItem.id))
    if not include_inactive:
        stmt = stmt.where(col(ChecklistItem.active).is_(True))
    return [_item(i) for i in session.exec(stmt).all()]


def save_item(
    session: Session,
    *,
    actor: Actor,
    code: str,
    label_zh: str,
    label_en: str,
    points: float,
    active: bool = True,
    item_id: int | None = None,
) -> ItemRow:
    """Add an item or change one (labels, points, whether it counts); audited with the old values."""
    require(actor, P.RATING_APPROVE)
    code, label_zh, label_en = code.strip(), label_zh.strip(), label_en.strip()
    if not code or not label_zh or not label_en or len(code) > 40 or len(label_zh) > 80 or len(label_en) > 80:
        raise ValidationFailed("error.rating_item_fields")
    if not 0 < points <= 100:
        raise ValidationFailed("error.rating_item_points")
    if item_id is None:
        position = len(session.exec(select(ChecklistItem.id)).all())
        item = ChecklistItem(
            code=code, label_zh=label_zh, label_en=label_en, points=points, position=position, active=active
        )
        before: dict[str, object] = {}
    else:
        found = session.get(ChecklistItem, item_id)
        if found is None:
            raise NotFound("error.not_found")
        item = found
        before = {
            "code": item.code,
            "label_zh": item.label_zh,
            "label_en": item.label_en,
            "points": item.points,
            "active": item.active,
        }
        item.code, item.label_zh, item.label_en, item.points, item.active = code, label_zh, label_en, points, active
    session.add(item)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("error.rating_item_code", code=code) from None
    audit.record(
        session,
        action="rating.checklist_item",
        actor_id=actor.user_id,
        entity="checklistitem",
        entity_id=item.id,
        before=before,
        after={"code": code, "label_zh": label_zh, "label_en": label_en, "points": points, "active": active},
    )
    return _item(item)


def _mediation_org(session: Session, actor: Actor, org_id: int) -> Organisation:
    org = org_in_scope(session, actor, org_id)
    if org.kind not in MEDIATION_KINDS:
        raise ValidationFailed("error.rating_not_mediation_org")
    return org


def org_checklist(session: Session, *, actor: Actor, org_id: int, period: str) -> list[StateRow]:
    """Every active item with the organisation's state for the period."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    _mediation_org(session, actor, org_id)
    code = parse_period(period).code
    states = {
        s.item_id: s
        for s in session.exec(
            select(ChecklistState).where(ChecklistState.org_id == org_id, ChecklistState.period == code)
        ).all()
    }
    out = []
    for item in list_items(session, actor=actor):
        st = states.get(item.id)
        out.append(
            StateRow(
                item,
                st.met if st else None,
                st.evidence_note if st else "",
                bool(st and st.evidence_photo),
                st.id if st else None,
            )
        )
    return out


def set_state(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    item_id: int,
    period: str,
    met: bool,
    note: str,
    photo: bytes | None = None,
) -> StateRow:
    """Record whether an item is met for the period, with a note or a photo as evidence (one is required)."""
    require(actor, P.RATING_PROPOSE)
    _mediation_org(session, actor, org_id)
    code = parse_period(period).code
    item = session.get(ChecklistItem, item_id)
    if item is None or not item.active:
        raise NotFound("error.not_found")
    note = note.strip()[:500]
    if photo is not None and (len(photo) > MAX_PHOTO or not photo.startswith(IMAGE_MAGIC)):
        raise ValidationFailed("error.rating_photo")
    state = session.exec(
        select(ChecklistState).where(
            ChecklistState.org_id == org_id, ChecklistState.item_id == item_id, ChecklistState.period == code
        )
    ).first()
    if met and not note and photo is None and not (state and state.evidence_photo):
        raise ValidationFailed("error.rating_evidence_required")
    if state is None:
        state = ChecklistState(org_id=org_id, item_id=item_id, period=code)
    state.met, state.evidence_note, state.checked_by, state.at = met, note, actor.user_id, utc_now()
    if photo is not None:
        state.evidence_photo = photo
    session.add(state)
    session.flush()
    audit.record(
        session,
        action="rating.checklist_state",
        actor_id=actor.user_id,
        entity="organisation",
        entity_id=org_id,
        item=item.code,
        period=code,
        met=met,
        photo=photo is not None,
    )
    return StateRow(_item(item), met, note, bool(state.evidence_photo), state.id)


def evidence_photo(session: Session, *, actor: Actor, state_id: int) -> bytes | None:
    """The photo kept as evidence for a checklist item, for an organisation in the actor's area."""
    require_any(actor, P.RATING_PROPOSE, P.RATING_APPROVE)
    state = session.get(ChecklistState, state_id)
    if state is None:
        raise NotFound("error.not_found")
    _mediation_org(session, actor, state.org_id)
    return state.evidence_photo
