"""Everything a case's documents print, read in one short read transaction into plain frozen records.

Generation then runs on these records with no session open. Party details come in full (ID number
decrypted) only when the caller says the actor may have them; otherwise masked as in every list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from models import (
    Agreement,
    Attachment,
    Case,
    CaseEvent,
    FollowUp,
    JudicialConfirmation,
    MediationSession,
    Mediator,
    Organisation,
    Party,
    User,
)
from services.cases.outcomes import auto_performance_eligible
from services.core.config import get_settings
from services.core.security import decrypt_id, mask_name, mask_phone
from services.lowcode import dictionaries

SIDE_ORDER = {"applicant": 0, "respondent": 1, "third": 2}
ZH = "zh-CN"


@dataclass(frozen=True)
class PartyView:
    id: int
    side: str
    kind: str
    name: str
    gender: str
    id_number: str
    phone: str
    address: str


@dataclass(frozen=True)
class SessionView:
    id: int
    no: int
    held_at: datetime
    place: str
    online: bool
    participants: str
    notes: str
    duration_minutes: int | None
    attended: tuple[str, ...]
    recorder: str


@dataclass(frozen=True)
class AgreementView:
    version: int
    kind: str
    terms: str
    amount_fen: int
    obligations: str
    performance_due: date | None
    signed_at: datetime
    performance: str
    performance_at: datetime | None
    on_time: bool  # fulfilled by the deadline: an automatic-performance certificate may issue
    recorder: str


@dataclass(frozen=True)
class ConfirmationView:
    court_name: str
    applied_at: datetime
    result: str
    ruling_no: str
    decided_at: datetime | None


@dataclass(frozen=True)
class FollowUpView:
    id: int
    no: int
    done_at: datetime
    method: str
    satisfaction: int | None
    holds: bool | None
    note: str
    recorder: str


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    kind: str
    mime: str
    size: int
    sha256: str
    session_no: int | None
    created_at: datetime
    content: bytes | None


@dataclass(frozen=True)
class CaseFile:
    """One case as its documents see it."""

    case: Case
    full: bool
    org: Organisation
    labels: dict[str, dict[str, str]]
    parties: tuple[PartyView, ...]
    sessions: tuple[SessionView, ...]
    agreement: AgreementView | None
    confirmation: ConfirmationView | None
    followups: tuple[FollowUpView, ...]
    attachments: tuple[AttachmentView, ...]
    people: dict[str, str]  # mediator, registrar, archivist
    withdrawn: bool
    doc_numbers: dict[str, str] = field(default_factory=dict)  # kind → its printed number (an office pattern)

    def label(self, dictionary: str, code: str | None) -> str:
        return self.labels.get(dictionary, {}).get(code or "", code or "")


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(wanted))).all()
    return {int(uid or 0): name for uid, name in rows}


def gender_from_id(id_number: str) -> str:
    """男 or 女 from an 18-digit mainland ID number (17th digit odd = 男, even = 女); "" when it cannot tell."""
    n = id_number.strip().upper()
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        return ""
    return "男" if int(n[16]) % 2 else "女"


def _party(p: Party, full: bool, keys: list[str]) -> PartyView:
    id_number = p.id_number_masked or ""
    if full and p.id_number_enc:
        try:
            id_number = decrypt_id(p.id_number_enc, keys)
        except ValueError:
            id_number = p.id_number_masked or ""
    return PartyView(
        id=p.id or 0,
        side=p.side,
        kind=p.kind,
        name=p.name if full else mask_name(p.name),
        gender=(p.gender or "").strip() or gender_from_id(id_number),
        id_number=id_number,
        phone=p.phone if full else mask_phone(p.phone),
        address=p.address if full else "",
    )


def _agreement(session: Session, case_id: int, users: dict[int, str]) -> AgreementView | None:
    a = session.exec(
        select(Agreement).where(Agreement.case_id == case_id).order_by(col(Agreement.version).desc())
    ).first()
    if a is None:
        return None
    return AgreementView(
        version=a.version,
        kind=a.kind,
        terms=a.terms,
        amount_fen=a.amount_fen,
        obligations=a.obligations,
        performance_due=a.performance_due,
        signed_at=a.signed_at,
        performance=a.performance,
        performance_at=a.performance_at,
        on_time=auto_performance_eligible(a),
        recorder=users.get(a.recorded_by or 0, ""),
    )


def _confirmation(session: Session, case_id: int) -> ConfirmationView | None:
    row = session.exec(
        select(JudicialConfirmation, Organisation.name)
        .join(Organisation, col(Organisation.id) == col(JudicialConfirmation.court_org_id))
        .where(JudicialConfirmation.case_id == case_id)
        .order_by(col(JudicialConfirmation.applied_at).desc(), col(JudicialConfirmation.id).desc())
    ).first()
    if row is None:
        return None
    jc, court = row
    return ConfirmationView(
        court_name=court, applied_at=jc.applied_at, result=jc.result, ruling_no=jc.ruling_no, decided_at=jc.decided_at
    )


def _sessions(
    rows: list[MediationSession], parties: tuple[PartyView, ...], users: dict[int, str]
) -> tuple[SessionView, ...]:
    by_id = {p.id: p.name for p in parties}
    return tuple(
        SessionView(
            id=s.id or 0,
            no=i,
            held_at=s.held_at,
            place=s.place,
            online=s.online,
            participants=s.participants,
            notes=s.notes,
            duration_minutes=s.duration_minutes,
            attended=tuple(by_id[a] for a in s.attended if a in by_id),
            recorder=users.get(s.recorded_by or 0, ""),
        )
        for i, s in enumerate(rows, start=1)
    )


def _attachments(
    session: Session, case_id: int, session_no: dict[int, int], with_content: bool
) -> tuple[AttachmentView, ...]:
    stmt = select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
    if not with_content:
        stmt = stmt.options(defer(Attachment.content))  # type: ignore[arg-type]  # lists never read the files
    return tuple(
        AttachmentView(
            id=a.id or 0,
            filename=a.filename,
            kind=a.kind,
            mime=a.mime,
            size=a.size,
            sha256=a.sha256,
            session_no=session_no.get(a.session_id or 0),
            created_at=a.created_at,
            content=bytes(a.content) if with_content else None,
        )
        for a in session.exec(stmt).all()
    )


def _events(session: Session, case_id: int) -> tuple[int | None, bool]:
    """Who archived the case, and whether it was withdrawn."""
    rows = session.exec(
        select(CaseEvent.kind, CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id, col(CaseEvent.kind).in_(("transition.archive", "transition.withdraw")))
        .order_by(col(CaseEvent.at), col(CaseEvent.id))
    ).all()
    archivist = next((a for k, a in reversed(rows) if k == "transition.archive"), None)
    return archivist, any(k == "transition.withdraw" for k, _ in rows)


def load_case_file(session: Session, case: Case, *, full: bool, with_content: bool = False) -> CaseFile:
    """Read the case's documents' data; `full` decides whether parties come in full or masked."""
    cid = case.id or 0
    org = session.get(Organisation, case.org_id)
    assert org is not None  # a foreign key
    party_rows = session.exec(select(Party).where(Party.case_id == cid)).all()
    party_rows = sorted(party_rows, key=lambda p: (SIDE_ORDER.get(p.side, 9), p.id or 0))
    session_rows = list(
        session.exec(
            select(MediationSession)
            .where(MediationSession.case_id == cid)
            .order_by(col(MediationSession.held_at), col(MediationSession.id))
        ).all()
    )
    fu_rows = list(
        session.exec(
            select(FollowUp)
            .where(FollowUp.case_id == cid, col(FollowUp.done_at).is_not(None))
            .order_by(col(FollowUp.done_at), col(FollowUp.id))
        ).all()
    )
    archivist, withdrawn = _events(session, cid)
    mediator = session.exec(select(Mediator.name).where(Mediator.id == case.mediator_id)).first()
    users = _names(
        session,
        {
            case.created_by,
            archivist,
            *(s.recorded_by for s in session_rows),
            *(f.recorded_by for f in fu_rows),
            *session.exec(select(Agreement.recorded_by).where(Agreement.case_id == cid)).all(),
        },
    )
    keys = get_settings().data_keys
    parties = tuple(_party(p, full, keys) for p in party_rows)
    sessions = _sessions(session_rows, parties, users)
    agreement = _agreement(session, cid, users)
    labels = {
        d: dictionaries.labels(session, d, ZH)
        for d in ("category", "source", "reject_reason", "diversion", "risk_flag", "grade")
    }
    return CaseFile(
        case=case,
        full=full,
        org=org,
        labels=labels,
        parties=parties,
        sessions=sessions,
        agreement=agreement,
        confirmation=_confirmation(session, cid),
        followups=tuple(
            FollowUpView(
                id=f.id or 0,
                no=i,
                done_at=f.done_at or case.received_at,
                method=f.method,
                satisfaction=f.satisfaction,
                holds=f.agreement_holds,
                note=f.note,
                recorder=users.get(f.recorded_by or 0, ""),
            )
            for i, f in enumerate(fu_rows, start=1)
        ),
        attachments=_attachments(session, cid, {s.id: s.no for s in sessions}, with_content),
        people={
            "mediator": mediator
            or (agreement.recorder if agreement else "")
            or next((s.recorder for s in sessions if s.recorder), ""),
            "registrar": users.get(case.created_by or 0, ""),
            "archivist": users.get(archivist or 0, ""),
        },
        withdrawn=withdrawn,
    )
