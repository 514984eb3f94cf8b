"""The full phone number or ID number of a party: only for users handling the case, on an explicit action, audited.

"Handling" means: the coordination office's reveal permission within its area, or a mediator of the
organisation that holds the case or takes part in its joint mediation, or the case's assigned mediator.
Every reveal writes an audit row and a timeline line, each time.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models import Case, CaseEvent, JointParticipant, Mediator, Party
from services.access.authz import Actor, case_relation, require
from services.access.permissions import P
from services.core import audit
from services.core.config import get_settings
from services.core.errors import NotFound, OutOfScope, PermissionDenied, ValidationFailed
from services.core.security import decrypt_id, mask_name, normalise_phone

FIELDS = ("phone", "id_number")


def may_reveal(session: Session, actor: Actor, case: Case) -> bool:
    """Whether the actor handles this case closely enough to see full numbers."""
    relation = case_relation(session, actor, case.id or 0)
    if actor.can(P.CASE_REVEAL) and relation == "owned":
        return True
    if not actor.can(P.CASE_MEDIATE) or relation not in ("owned", "work"):
        return False
    if case.org_id == actor.org_id:
        return True
    joint = session.exec(
        select(JointParticipant.id).where(JointParticipant.case_id == case.id, JointParticipant.org_id == actor.org_id)
    ).first()
    if joint is not None:
        return True
    mediator = (
        session.exec(select(Mediator.user_id).where(Mediator.id == case.mediator_id)).first()
        if case.mediator_id
        else None
    )
    return mediator == actor.user_id


def handled_party(session: Session, actor: Actor, party_id: int) -> tuple[Party, Case]:
    """The party and its case, when the actor handles the case (as for a reveal); refused otherwise."""
    party = session.get(Party, party_id)
    if party is None:
        raise NotFound("error.not_found")
    case = session.get(Case, party.case_id)
    if case is None or case_relation(session, actor, case.id or 0) is None:
        raise OutOfScope("error.not_found")
    if not may_reveal(session, actor, case):
        raise PermissionDenied("error.reveal_not_handling")
    return party, case


def reveal_party(session: Session, *, actor: Actor, party_id: int, field: str, client: str = "") -> str:
    """Return a party's full phone or ID number, recording who saw it, when, and from where."""
    require(actor, P.CASE_VIEW)
    if field not in FIELDS:
        raise ValidationFailed("error.reveal_field")
    party, case = handled_party(session, actor, party_id)
    if field == "phone":
        value = normalise_phone(party.phone) if party.phone else ""
    else:
        value = decrypt_id(party.id_number_enc, get_settings().data_keys) if party.id_number_enc else ""
    audit.record(
        session,
        action="pii.reveal",
        actor_id=actor.user_id,
        entity="party",
        entity_id=party.id,
        client=client,
        field=field,
        case_id=case.id,
    )
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="pii.reveal",
            data={"field": field, "party": mask_name(party.name)},
        )
    )
    return value
