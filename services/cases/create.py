"""Creating a case: its number, deadlines, parties (ID numbers encrypted) and the first timeline line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from models import Case, CaseCounter, CaseEvent, CaseStatus, ConfigVersion, Organisation, Party
from models.base import utc_now
from services.assessment import numbering
from services.core import audit, clock
from services.core.config import get_settings
from services.core.db import upsert_into
from services.core.errors import Conflict, ValidationFailed
from services.core.reference import DEADLINES
from services.core.security import (
    blind_index,
    encrypt_id,
    mask_id,
    normalise_id,
    normalise_phone,
    valid_id_number,
    valid_phone,
)

T = TypeVar("T", bound=SQLModel)


def find_by_token(session: Session, model: type[T], token: str | None) -> T | None:
    """The row a staff form with this one-time token already saved, if any."""
    if not token:
        return None
    return session.exec(select(model).where(col(model.form_token) == token)).first()  # type: ignore[attr-defined]


def insert_once(session: Session, model: type[T], token: str | None, insert: Callable[[], T]) -> tuple[T, bool]:
    """Run `insert` in a savepoint; when the unique form token is taken (a second tap, a concurrent twin),
    return the row saved with it instead. The unique index decides, not the look-up before it."""
    if (done := find_by_token(session, model, token)) is not None:
        return done, False
    try:
        with session.begin_nested():
            row = insert()
            session.flush()
    except IntegrityError as exc:
        if (done := find_by_token(session, model, token)) is not None:
            return done, False
        raise Conflict("error.already_saved") from exc
    return row, True


@dataclass
class PartyInput:
    """A party as entered on a form; validated before anything is written."""

    side: str
    name: str
    phone: str = ""
    id_number: str = ""
    kind: str = "person"
    gender: str | None = None
    address: str = ""


@dataclass
class CaseInput:
    org_id: int
    source: str
    category: str
    description: str
    parties: list[PartyInput]
    title: str = ""
    place: str = ""
    request: str = ""
    amount_fen: int = 0
    group_size: int = 0
    risk_flags: list[str] = field(default_factory=list)
    on_the_spot: bool = False
    pre_litigation: bool = False
    custom: dict[str, Any] = field(default_factory=dict)
    tracking_code: str | None = None
    form_token: str | None = None
    received_at: datetime | None = None


def validate_party(p: PartyInput) -> None:
    """Raise ValidationFailed naming the first bad field of a party."""
    if not p.name.strip():
        raise ValidationFailed("error.party_name_required")
    if p.phone and not valid_phone(p.phone):
        raise ValidationFailed("error.phone_invalid")
    if p.id_number and not valid_id_number(p.id_number):
        raise ValidationFailed("error.id_invalid")


def build_party(case_id: int, p: PartyInput, data_key: str) -> Party:
    phone = normalise_phone(p.phone) if p.phone else ""
    party = Party(
        case_id=case_id,
        side=p.side,
        kind=p.kind,
        name=p.name.strip()[:80],
        gender=p.gender,
        phone=phone,
        address=p.address.strip()[:200],
        phone_index=blind_index(phone, data_key, "phone") if phone else None,
    )
    if p.id_number:
        idn = normalise_id(p.id_number)
        party.id_number_enc = encrypt_id(idn, data_key)
        party.id_number_index = blind_index(idn, data_key)
        party.id_number_masked = mask_id(idn)
    return party


def deadlines(session: Session) -> dict[str, int]:
    """The deadline rule in force (newest version), falling back to the defaults."""
    row = session.exec(
        select(ConfigVersion).where(ConfigVersion.key == "deadlines").order_by(col(ConfigVersion.version).desc())
    ).first()
    return {**DEADLINES, **(row.value if row else {})}


def next_case_no(session: Session, org: Organisation, year: int) -> str:
    """Allocate the next number for (org, year) inside the current write transaction."""
    # one upsert: two first cases of an (org, year) at once must not both insert the counter (PostgreSQL has no
    # writer queue; the loser got a raw UniqueViolation)
    stmt = (
        upsert_into(session, CaseCounter)
        .values(org_id=org.id, year=year, last=1)
        .on_conflict_do_update(index_elements=["org_id", "year"], set_={"last": CaseCounter.last + 1})
        .returning(col(CaseCounter.last))
    )
    last = session.exec(stmt).scalar()
    return f"{year}-{org.code}-{last:05d}"


def create_case(session: Session, *, data: CaseInput, actor_id: int | None, status: str = CaseStatus.SUBMITTED) -> Case:
    """Register a case with its parties; call inside one short write transaction."""
    for p in data.parties:
        validate_party(p)
    if not data.description.strip():
        raise ValidationFailed("error.description_required")
    org = session.get(Organisation, data.org_id)
    if org is None:
        raise ValidationFailed("error.org_unknown", code=data.org_id)
    now = data.received_at or utc_now()
    local = clock.local_time(now)  # a 110 hand-over at 01:00 on 1 January is the new year's case
    rules = deadlines(session)
    printed = numbering.allocate(session, org, local.year)  # the office's pattern (issue 19), when it has one
    case = Case(
        case_no=printed.text if printed else next_case_no(session, org, local.year),
        tracking_code=data.tracking_code,
        form_token=data.form_token,
        org_id=data.org_id,
        county_id=org.county_id,
        source=data.source,
        category=data.category,
        status=status,
        title=data.title[:120],
        description=data.description,
        place=data.place[:200],
        request=data.request,
        amount_fen=max(0, data.amount_fen),
        group_size=max(0, data.group_size),
        risk_flags=list(data.risk_flags),
        risk_level="high" if data.risk_flags else "none",
        on_the_spot=data.on_the_spot,
        pre_litigation=data.pre_litigation,
        custom=dict(data.custom),
        received_at=now,
        received_month=clock.local_month(now),
        accept_due=(local + timedelta(days=rules["accept_days"])).date(),
        conclude_due=(local + timedelta(days=rules["accept_days"] + rules["conclude_days"])).date(),
        created_by=actor_id,
    )
    if status != CaseStatus.SUBMITTED:
        case.accepted_at = now
    session.add(case)
    session.flush()
    numbering.attach(session, printed, case)
    key = get_settings().data_key
    for p in data.parties:
        session.add(build_party(case.id or 0, p, key))
    session.add(
        CaseEvent(
            case_id=case.id or 0, actor_id=actor_id, kind="created", to_status=status, data={"source": data.source}
        )
    )
    audit.record(session, action="case.create", actor_id=actor_id, entity="case", entity_id=case.id)
    return case
