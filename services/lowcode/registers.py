"""Registers (台账): a register is a FormSpec with is_register; its entries are FormSubmission rows.

Staff file entries for an organisation of their area and see the entries of that area: their own subtree, or for a
coordination or justice office the region it serves (as for cases, services/authz.area_org_ids). The public
files entries through the register's own QR address (/register?f=<code>) when the office allows it: a signed
one-time form token makes a double tap return the first receipt (the unique formsubmission.token decides),
and a client over its limit is refused before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import FormSpec, FormSubmission, Organisation
from models.base import utc_now
from models.lowcode import FormPhoto
from services.access.authz import Actor, area_org_ids, require
from services.access.permissions import P
from services.core import audit
from services.core.config import get_settings
from services.core.db import Database
from services.core.errors import Conflict, NotFound, OutOfScope, StorageProblem
from services.core.ratelimit import RateLimited, client_key, hit
from services.intake.form import form_shown_at
from services.lowcode.fields import FieldSpec, validate_values
from services.lowcode.forms import current_form, list_forms, spec_fields
from services.lowcode.photos import Photo


@dataclass(frozen=True)
class Register:
    """A register in force: its newest version and its fields (dictionary choices filled in)."""

    spec: FormSpec
    fields: list[FieldSpec]

    @property
    def code(self) -> str:
        return self.spec.code

    def title(self, lang: str) -> str:
        return self.spec.title_en if lang == "en" and self.spec.title_en else self.spec.title_zh


@dataclass(frozen=True)
class Receipt:
    """What a person is told after filing: the entry's reference."""

    entry_id: int
    reference: str


def reference(number: int) -> str:
    """The reference of entry number `number`, shown after filing and in lists, e.g. DJ000123."""
    return f"DJ{number:06d}"


def register_url(code: str, org_code: str = "", base_url: str | None = None) -> str:
    """The public address of a register's entry form, on the configured host."""
    base = (base_url or get_settings().public_base_url).rstrip("/")
    return f"{base}/register?f={quote(code, safe='')}" + (f"&org={quote(org_code, safe='')}" if org_code else "")


def get_register(session: Session, code: str, *, active: bool = True) -> Register:
    """The register `code` in force (active unless `active=False`), or NotFound."""
    spec = current_form(session, (code or "").strip().lower()[:40])
    if spec is None or not spec.is_register or (active and spec.status != "active"):
        raise NotFound("error.register_not_found")
    return Register(spec, spec_fields(session, spec))


def find_public_register(session: Session, code: str) -> Register | None:
    """The register behind a public QR address, or None when unknown, retired or not open to the public."""
    try:
        reg = get_register(session, code)
    except NotFound:
        return None
    return reg if reg.spec.public else None


def list_registers(session: Session) -> list[Register]:
    """Every register in force, by code."""
    return [
        Register(s, spec_fields(session, s)) for s in list_forms(session, registers_only=True, include_retired=False)
    ]


def _in_area(session: Session, actor: Actor, org_id: int | None) -> bool:
    return org_id is not None and session.exec(area_org_ids(actor).where(Organisation.id == org_id)).first() is not None


def own_org(session: Session, actor: Actor, org_id: int | None) -> Organisation:
    """An organisation of the actor's area (their own when `org_id` is None)."""
    org = session.get(Organisation, org_id if org_id is not None else actor.org_id)
    if org is None:
        raise NotFound("error.not_found")
    if not _in_area(session, actor, org.id):
        raise OutOfScope("error.out_of_scope")
    return org


def own_orgs(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the active organisations of the actor's area, in tree order."""
    rows = session.exec(
        select(Organisation.id, Organisation.name)
        .where(col(Organisation.id).in_(area_org_ids(actor)), Organisation.active == True)  # noqa: E712
        .order_by(col(Organisation.path))
        .limit(300)
    ).all()
    return [(i or 0, n) for i, n in rows]


def org_codes(session: Session, *, actor: Actor) -> dict[int, str]:
    """id → code of the organisations of the actor's area (for their QR addresses)."""
    rows = session.exec(
        select(Organisation.id, Organisation.code).where(col(Organisation.id).in_(area_org_ids(actor))).limit(300)
    ).all()
    return {i or 0: c for i, c in rows}


def _store(
    session: Session,
    reg: Register,
    *,
    org_id: int | None,
    data: dict[str, Any],
    photos: dict[str, list[Photo]],
    token: str | None,
    user_id: int | None,
) -> FormSubmission:
    entry = FormSubmission(
        form_id=reg.spec.id or 0,
        form_code=reg.code,
        form_version=reg.spec.version,
        org_id=org_id,
        data=data,
        token=token,
        submitted_by=user_id,
    )
    session.add(entry)
    session.flush()
    for key, items in photos.items():
        for p in items:
            session.add(
                FormPhoto(
                    submission_id=entry.id or 0,
                    field_key=key,
                    mime=p.mime,
                    size=p.size,
                    sha256=p.sha256,
                    content=p.content,
                )
            )
    return entry


def staff_entry(session: Session, *, actor: Actor, token: str | None) -> FormSubmission | None:
    """The entry this actor's register form with this one-time token saved (a second tap finds it), or None."""
    entry = session.exec(select(FormSubmission).where(FormSubmission.token == token)).first() if token else None
    if entry is not None and entry.submitted_by != actor.user_id:
        raise Conflict("error.conflict")
    return entry


def add_entry(
    session: Session,
    *,
    actor: Actor,
    code: str,
    values: dict[str, Any],
    org_id: int | None = None,
    token: str | None = None,
) -> FormSubmission:
    """File a staff entry for an organisation of the actor's area, after every field passes its check.

    `token`: the form's one-time token; a second submit with it returns the entry the first saved (the unique
    formsubmission.token decides under concurrency)."""
    require(actor, P.REGISTER_USE)
    if (done := staff_entry(session, actor=actor, token=token)) is not None:
        return done
    org = own_org(session, actor, org_id)
    reg = get_register(session, code)
    data, photos = validate_values(reg.fields, values)
    try:
        with session.begin_nested():
            entry = _store(session, reg, org_id=org.id, data=data, photos=photos, token=token, user_id=actor.user_id)
    except IntegrityError:
        if (done := staff_entry(session, actor=actor, token=token)) is None:
            raise
        return done
    audit.record(
        session,
        action="register.entry",
        actor_id=actor.user_id,
        entity="formsubmission",
        entity_id=entry.id,
        code=reg.code,
        version=reg.spec.version,
    )
    return entry


def get_entry(session: Session, *, actor: Actor, entry_id: int) -> FormSubmission:
    """One register entry of the actor's area; missing and foreign ids are refused alike."""
    require(actor, P.REGISTER_USE)
    entry = session.get(FormSubmission, entry_id) if isinstance(entry_id, int) else None
    if entry is None:
        raise NotFound("error.not_found")
    if not _in_area(session, actor, entry.org_id):
        raise OutOfScope("error.not_found")
    return entry


def entry_photos(session: Session, *, actor: Actor, entry_id: int) -> list[FormPhoto]:
    """The photos of an entry of the actor's area."""
    entry = get_entry(session, actor=actor, entry_id=entry_id)
    return list(
        session.exec(select(FormPhoto).where(FormPhoto.submission_id == entry.id).order_by(col(FormPhoto.id))).all()
    )


def _public_org(session: Session, reg: Register, org_code: str) -> int | None:
    clean = (org_code or "").strip().upper()[:32]
    if clean:
        org = session.exec(select(Organisation).where(Organisation.code == clean, Organisation.active == True)).first()  # noqa: E712
        if org is not None:
            return org.id
    return reg.spec.org_id


def _find_receipt(session: Session, token: str) -> Receipt | None:
    entry = session.exec(select(FormSubmission).where(FormSubmission.token == token)).first() if token else None
    return Receipt(entry.id or 0, reference(entry.id or 0)) if entry else None


def find_public_receipt(db: Database, token: str) -> Receipt | None:
    """The receipt a public entry made with this form token, if one was filed."""
    if not token:
        return None
    with db.read() as s:
        return _find_receipt(s, token)


def submit_public_entry(
    db: Database,
    *,
    code: str,
    token: str,
    values: dict[str, Any],
    client: str,
    org_code: str = "",
    now: datetime | None = None,
) -> Receipt:
    """File a public entry through the register's QR address; a replayed token returns the first receipt."""
    now = now or utc_now()
    with db.read() as s:
        done = _find_receipt(s, token)
        if done is not None:
            return done
        reg = find_public_register(s, code)
        if reg is None:
            raise NotFound("error.register_not_found")
        org_id = _public_org(s, reg, org_code)
    form_shown_at(token, now)
    data, photos = validate_values(reg.fields, values)
    limit = get_settings().register_client_limit
    try:
        with db.write() as s:
            done = _find_receipt(s, token)
            if done is not None:
                return done
            if hit(s, key=client_key("register:c", client), limit=limit, now=now) > limit.max_hits:
                raise RateLimited(minutes=math.ceil(limit.window_s / 60))
            entry = _store(s, reg, org_id=org_id, data=data, photos=photos, token=token, user_id=None)
            return Receipt(entry.id or 0, reference(entry.id or 0))
    except IntegrityError:  # a concurrent twin with the same token won
        with db.read() as s:
            done = _find_receipt(s, token)
        if done is None:
            raise StorageProblem() from None
        return done
