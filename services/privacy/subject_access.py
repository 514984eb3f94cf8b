"""Subject access (PIPL 45): everything stored about one person, found by the blind index of their ID or phone.

The person's own party rows come in full (ID number decrypted). Rows of their cases come as well, but
any other party's data inside them (names, numbers, addresses in narratives) is de-identified, so the
export holds nothing about anyone else. Every export writes an audit row (without the looked-up value).
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, SQLModel, col, or_, select

from models import (
    Agreement,
    Attachment,
    AuditLog,
    Case,
    CaseEvent,
    FollowUp,
    FormSubmission,
    JudicialConfirmation,
    MediationSession,
    Party,
    PartyConfirmation,
    PartyLink,
    PublicRating,
    Referral,
)
from services.core import audit
from services.core.config import get_settings
from services.core.errors import ValidationFailed
from services.core.security import blind_index, decrypt_id, normalise_id, normalise_phone, valid_id_number, valid_phone
from services.privacy.redact import Person
from services.privacy.scrub import scrub

Export = dict[str, list[dict[str, Any]]]
CASE_ROWS: tuple[tuple[str, type[SQLModel]], ...] = (
    ("events", CaseEvent),
    ("sessions", MediationSession),
    ("agreements", Agreement),
    ("confirmations", JudicialConfirmation),
    ("follow_ups", FollowUp),
    ("referrals", Referral),
    ("ratings", PublicRating),
)
HIDDEN = {"id_number_enc", "id_number_index", "phone_index", "token", "token_hash", "content", "form_token"}


def _row(obj: SQLModel) -> dict[str, Any]:
    out = {}
    for k, v in obj.model_dump().items():
        if k in HIDDEN:
            continue
        out[k] = v.isoformat() if isinstance(v, datetime | date) else v
    return out


def find_parties(session: Session, *, id_number: str = "", phone: str = "") -> list[Party]:
    """The party rows of one person, by the blind index under the current and any previous data key."""
    keys = get_settings().data_keys
    if id_number:
        if not valid_id_number(id_number):
            raise ValidationFailed("error.id_invalid")
        idxs = [blind_index(normalise_id(id_number), k) for k in keys]
        where: Any = col(Party.id_number_index).in_(idxs)
    elif phone:
        if not valid_phone(phone):
            raise ValidationFailed("error.phone_invalid")
        idxs = [blind_index(normalise_phone(phone), k, "phone") for k in keys]
        where = or_(col(Party.phone_index).in_(idxs), col(Party.phone) == normalise_phone(phone))
    else:
        raise ValidationFailed("error.subject_lookup_required")
    return list(session.exec(select(Party).where(where).order_by(col(Party.id))).all())


def _own_party(p: Party, keys: list[str]) -> dict[str, Any]:
    row = _row(p)
    if p.id_number_enc:
        row["id_number"] = decrypt_id(p.id_number_enc, keys)
    return row


def _case_rows(session: Session, case_ids: list[int], others: dict[int, list[Person]]) -> Export:
    out: Export = {"cases": [], "attachments": [], "intake_submissions": []}
    for case in session.exec(select(Case).where(col(Case.id).in_(case_ids)).order_by(col(Case.id))).all():
        out["cases"].append(scrub(_row(case), others[case.id or 0]))
    for name, model in CASE_ROWS:
        rows = session.exec(
            select(model)
            .where(col(model.case_id).in_(case_ids))  # type: ignore[attr-defined]
            .order_by(col(model.id))  # type: ignore[attr-defined]
        ).all()
        out[name] = [scrub(_row(r), others[r.case_id]) for r in rows]  # type: ignore[attr-defined]
    for a in session.exec(select(Attachment).where(col(Attachment.case_id).in_(case_ids))).all():
        out["attachments"].append(_row(a))
    tokens = [t for t in session.exec(select(Case.form_token).where(col(Case.id).in_(case_ids))).all() if t]
    subs = (
        session.exec(
            select(FormSubmission).where(
                or_(
                    col(FormSubmission.token).in_(tokens),
                    *[FormSubmission.data["linked_case_id"].as_integer() == i for i in case_ids],
                )
            )
        ).all()
        if case_ids
        else []
    )
    out["intake_submissions"] = [_row(s) for s in subs]
    return out


def collect(session: Session, parties: list[Party]) -> Export:
    """Everything about the person whose party rows are given."""
    keys = get_settings().data_keys
    own = {p.id for p in parties}
    case_ids = sorted({p.case_id for p in parties})
    others: dict[int, list[Person]] = {i: [] for i in case_ids}
    for p in session.exec(select(Party).where(col(Party.case_id).in_(case_ids))).all():
        if p.id not in own:
            others[p.case_id].append(Person(p.name, p.address, p.kind))
    out: Export = {"parties": [_own_party(p, keys) for p in parties], **_case_rows(session, case_ids, others)}
    pids = sorted(i for i in own if i is not None)
    out["party_links"] = [_row(r) for r in session.exec(select(PartyLink).where(col(PartyLink.party_id).in_(pids)))]
    out["party_confirmations"] = [
        _row(r) for r in session.exec(select(PartyConfirmation).where(col(PartyConfirmation.party_id).in_(pids)))
    ]
    out["access_log"] = [
        _row(r)
        for r in session.exec(
            select(AuditLog)
            .where(AuditLog.entity == "party", col(AuditLog.entity_id).in_(pids))
            .order_by(col(AuditLog.id))
        )
    ]
    return out


def subject_export(
    session: Session, *, id_number: str = "", phone: str = "", actor_id: int | None = None, client: str = "manage.py"
) -> Export:
    """Look the person up and return their export; audited (inside the caller's write transaction)."""
    parties = find_parties(session, id_number=id_number, phone=phone)
    out = collect(session, parties) if parties else {"parties": []}
    audit.record(
        session,
        action="privacy.subject_export",
        actor_id=actor_id,
        entity="party",
        client=client,
        lookup="id_number" if id_number else "phone",
        parties=len(parties),
        cases=sorted({p.case_id for p in parties}),
    )
    return out


def to_json(data: Export) -> bytes:
    """The export as UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(data, ensure_ascii=False, indent=1, default=str).encode()


def to_xlsx(data: Export) -> bytes:
    """The export as a workbook, one sheet per section; cells are written as values, never formulas."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in data.items():
        ws = wb.create_sheet(name[:31])
        cols = sorted({k for r in rows for k in r})
        ws.append(cols)
        for r in rows:
            ws.append([_cell(r.get(c)) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
