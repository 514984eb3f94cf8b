"""Correction (PIPL 46): staff who handle a case fix a party's name, phone, address or ID number.

The ID number is encrypted again and both blind indexes recomputed; the audit row and the timeline line
carry the change masked (张某, 138****1234, 5115**********1234), never the full values.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models import CaseEvent, Party
from services.access.authz import Actor, require
from services.access.permissions import P
from services.cases.create import PartyInput, validate_party
from services.core import audit
from services.core.config import get_settings
from services.core.errors import ValidationFailed
from services.core.security import (
    blind_index,
    encrypt_id,
    mask_id,
    mask_name,
    mask_phone,
    normalise_id,
    normalise_phone,
)
from services.privacy.reveal import handled_party


@dataclass
class PartyCorrection:
    """New values; None leaves a field as it is, "" clears phone, address or ID number."""

    name: str | None = None
    phone: str | None = None
    address: str | None = None
    id_number: str | None = None


def _masked(p: Party) -> dict[str, str]:
    return {
        "name": mask_name(p.name),
        "phone": mask_phone(p.phone),
        "address": "***" if p.address else "",
        "id_number": p.id_number_masked or "",
    }


def _apply(p: Party, c: PartyCorrection, key: str) -> None:
    if c.name is not None:
        p.name = c.name.strip()[:80]
    if c.phone is not None:
        phone = normalise_phone(c.phone) if c.phone.strip() else ""
        p.phone, p.phone_index = phone, blind_index(phone, key, "phone") if phone else None
    if c.address is not None:
        p.address = c.address.strip()[:200]
    if c.id_number is not None:
        idn = normalise_id(c.id_number) if c.id_number.strip() else ""
        p.id_number_enc = encrypt_id(idn, key) if idn else None
        p.id_number_index = blind_index(idn, key) if idn else None
        p.id_number_masked = mask_id(idn) if idn else None


def correct_party(
    session: Session, *, actor: Actor, party_id: int, correction: PartyCorrection, client: str = ""
) -> Party:
    """Correct a party of a case the actor handles; audited with the masked values before and after."""
    require(actor, P.CASE_VIEW)
    party, case = handled_party(session, actor, party_id)
    if case.anonymised_at is not None:
        raise ValidationFailed("error.party_anonymised")
    validate_party(
        PartyInput(
            side=party.side,
            name=party.name if correction.name is None else correction.name,
            phone=correction.phone or "",
            id_number=correction.id_number or "",
        )
    )
    before = _masked(party)
    _apply(party, correction, get_settings().data_key)
    after = _masked(party)
    changed = sorted(k for k in before if before[k] != after[k] or getattr(correction, k) is not None)
    session.add(party)
    audit.record(
        session,
        action="party.correct",
        actor_id=actor.user_id,
        entity="party",
        entity_id=party.id,
        client=client,
        case_id=case.id,
        fields=changed,
        before=before,
        after=after,
    )
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="party.corrected",
            data={"party": mask_name(party.name), "fields": changed},
        )
    )
    return party
