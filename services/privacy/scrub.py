"""Anonymise one case in place: parties become 张某, contact data and numbers go, narratives are de-identified.

What stays is what the statistics read (status, outcome, dates, category, source, amounts, grades,
organisation, mediator): the case rows are edited, never deleted. Attachments (photos, signed scans)
are deleted. Free text goes through services/privacy/redact.py, which removes every phone, ID number, address,
plate and e-mail and replaces the parties' names (also a two-character given name alone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, SQLModel, col, select

from models import (
    Agreement,
    Attachment,
    Case,
    CaseEvent,
    FollowUp,
    GradeAudit,
    JudicialConfirmation,
    MediationSession,
    Party,
    PartyConfirmation,
    PublicRating,
    Referral,
)
from models.base import utc_now
from services.privacy.redact import Person, pseudonyms, redact_text

ANONYMOUS = "已匿名"
# every free-text column of a case's own rows, by table (statistics never read these)
TEXT_COLUMNS: tuple[tuple[type[SQLModel], tuple[str, ...]], ...] = (
    (CaseEvent, ("note", "data")),
    (MediationSession, ("place", "participants", "notes")),
    (Agreement, ("terms", "obligations")),
    (JudicialConfirmation, ("note",)),
    (FollowUp, ("note",)),
    (GradeAudit, ("note",)),
    (PublicRating, ("comment",)),
    (Referral, ("note", "reason")),
)
CASE_TEXT = ("title", "description", "place", "request", "outcome_note", "custom")


def scrub(value: Any, people: list[Person]) -> Any:
    """A string de-identified; lists and dicts scrubbed value by value; anything else unchanged."""
    if isinstance(value, str):
        return redact_text(value, people) if value else value
    if isinstance(value, list):
        return [scrub(v, people) for v in value]
    if isinstance(value, dict):
        if "enc" in value and "masked" in value:  # an encrypted ID number of a custom field: gone, key and all
            return {"masked": ""}
        return {k: scrub(v, people) for k, v in value.items()}
    return value


def _scrub_row(session: Session, row: SQLModel, columns: tuple[str, ...], people: list[Person]) -> None:
    changed = False
    for name in columns:
        old = getattr(row, name)
        new = scrub(old, people)
        if new != old:
            setattr(row, name, new)
            changed = True
    if changed:
        session.add(row)


def _anonymise_parties(session: Session, parties: list[Party]) -> None:
    aliases = pseudonyms([Person(p.name) for p in parties])
    for p in parties:
        p.name = aliases.get(p.name.strip(), ANONYMOUS) if p.name.strip() else ANONYMOUS
        p.phone, p.phone_index, p.address = "", None, ""
        p.id_number_enc, p.id_number_index, p.id_number_masked = None, None, None
        session.add(p)


def anonymise_case(session: Session, case: Case) -> int:
    """Remove the personal data of one case inside the caller's write transaction; returns the rows changed."""
    parties = list(session.exec(select(Party).where(Party.case_id == case.id)).all())
    people = [Person(p.name, p.address, p.kind) for p in parties]
    count = len(parties)
    _scrub_row(session, case, CASE_TEXT, people)
    for model, columns in TEXT_COLUMNS:
        rows = session.exec(select(model).where(model.case_id == case.id)).all()  # type: ignore[attr-defined]
        for row in rows:
            _scrub_row(session, row, columns, people)
        count += len(rows)
    party_ids = [p.id for p in parties]
    if party_ids:
        for row in session.exec(select(PartyConfirmation).where(col(PartyConfirmation.party_id).in_(party_ids))):
            _scrub_row(session, row, ("reason",), people)
    _anonymise_parties(session, parties)
    session.exec(delete(Attachment).where(col(Attachment.case_id) == case.id))
    case.anonymised_at = utc_now()
    session.add(case)
    return count + 1
