"""What a party sees on their own phone, and their confirmation of the agreement.

Every public function takes the token and the last 4 digits (checked again on each call by
`party_links.verify`), never a case id from the client. The party sees the current agreement version with
their own details in full and the other parties' names and phones masked (also inside the agreement text),
the online sessions with a join link, and can confirm or decline (with a reason) once per agreement version.
A changed agreement is a new Agreement row (services/cases/outcomes.py), so confirmations of the old version no
longer count: "confirmed by all parties" is always about the newest version.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Agreement, Case, CaseEvent, MediationSession, Organisation, Party, PartyConfirmation
from models.base import utc_now
from services.access.authz import Actor, get_case_in_scope
from services.cases.party_links import OpenLink, _aware, verify
from services.core import audit
from services.core.db import Database
from services.core.errors import Conflict, ValidationFailed
from services.core.security import mask_name, mask_phone, normalise_phone
from services.notify.inbox import notify_org

DECISIONS = ("confirmed", "declined")
MAX_REASON = 1000
SESSION_WINDOW = timedelta(days=1)  # online sessions shown from a day ago onwards


@dataclass(frozen=True)
class PartyLine:
    side: str
    name: str
    phone: str
    address: str
    own: bool


@dataclass(frozen=True)
class OnlineSession:
    held_at: datetime
    meeting_url: str
    duration_minutes: int | None
    upcoming: bool


@dataclass(frozen=True)
class PartyView:
    case_no: str
    org_name: str
    org_phone: str
    parties: list[PartyLine]
    agreement_version: int | None = None
    agreement_kind: str = ""
    terms: str = ""
    amount_fen: int = 0
    obligations: str = ""
    performance_due: date | None = None
    my_decision: str | None = None
    my_decision_at: datetime | None = None
    all_confirmed: bool = False
    sessions: list[OnlineSession] = field(default_factory=list)


def _mask_text(text: str, others: list[Party]) -> str:
    for p in others:
        if p.name and len(p.name) >= 2:
            text = text.replace(p.name, mask_name(p.name))
        phone = normalise_phone(p.phone or "")
        if len(phone) >= 7:
            text = text.replace(phone, mask_phone(phone))
    return text


def current_agreement(session: Session, case_id: int) -> Agreement | None:
    return session.exec(
        select(Agreement).where(Agreement.case_id == case_id).order_by(col(Agreement.version).desc())
    ).first()


def all_confirmed(session: Session, case_id: int, agreement: Agreement | None = None) -> bool:
    """True when every party of the case confirmed the newest agreement version."""
    agreement = agreement or current_agreement(session, case_id)
    if agreement is None:
        return False
    party_ids = set(session.exec(select(Party.id).where(Party.case_id == case_id)).all())
    confirmed = set(
        session.exec(
            select(PartyConfirmation.party_id).where(
                PartyConfirmation.agreement_id == agreement.id, PartyConfirmation.decision == "confirmed"
            )
        ).all()
    )
    return bool(party_ids) and party_ids <= confirmed


def _view(session: Session, opened: OpenLink, now: datetime) -> PartyView:
    case = session.get(Case, opened.case_id)
    assert case is not None
    org = session.get(Organisation, case.org_id)
    parties = list(session.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).all())
    others = [p for p in parties if p.id != opened.party_id]
    lines = [
        PartyLine(side=p.side, name=p.name, phone=normalise_phone(p.phone or ""), address=p.address, own=True)
        if p.id == opened.party_id
        else PartyLine(side=p.side, name=mask_name(p.name), phone=mask_phone(p.phone), address="", own=False)
        for p in parties
    ]
    online = session.exec(
        select(MediationSession)
        .where(
            MediationSession.case_id == case.id,
            MediationSession.online == True,  # noqa: E712
            col(MediationSession.held_at) >= now - SESSION_WINDOW,
        )
        .order_by(col(MediationSession.held_at))
    ).all()
    sessions = [
        OnlineSession(
            held_at=m.held_at,
            meeting_url=m.meeting_url if m.meeting_url.startswith("https://") else "",
            duration_minutes=m.duration_minutes,
            upcoming=(_aware(m.held_at) or now) >= now,
        )
        for m in online
    ]
    base = PartyView(
        case_no=case.case_no,
        org_name=org.name if org else "",
        org_phone=org.phone if org else "",
        parties=lines,
        sessions=sessions,
    )
    agreement = current_agreement(session, case.id or 0)
    if agreement is None:
        return base
    mine = session.exec(
        select(PartyConfirmation).where(
            PartyConfirmation.agreement_id == agreement.id, PartyConfirmation.party_id == opened.party_id
        )
    ).first()
    return replace(
        base,
        agreement_version=agreement.version,
        agreement_kind=agreement.kind,
        terms=_mask_text(agreement.terms, others),
        amount_fen=agreement.amount_fen,
        obligations=_mask_text(agreement.obligations, others),
        performance_due=agreement.performance_due,
        my_decision=mine.decision if mine else None,
        my_decision_at=mine.at if mine else None,
        all_confirmed=all_confirmed(session, case.id or 0, agreement),
    )


def open_page(db: Database, *, token: str, last4: str, client: str, now: datetime | None = None) -> PartyView:
    """The party's page, if the link is usable and the digits are right."""
    now = now or utc_now()
    opened = verify(db, token=token, last4=last4, client=client, now=now)
    with db.read() as s:
        return _view(s, opened, now)


def decide(
    db: Database,
    *,
    token: str,
    last4: str,
    version: int,
    decision: str,
    reason: str = "",
    client: str = "",
    now: datetime | None = None,
) -> PartyView:
    """Confirm or decline the agreement version the party read (`version`); once per version."""
    now = now or utc_now()
    if decision not in DECISIONS:
        raise ValidationFailed("error.party_decision_invalid")
    reason = (reason or "").strip()
    if decision == "declined" and not reason:
        raise ValidationFailed("error.party_reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("error.text_too_long")
    opened = verify(db, token=token, last4=last4, client=client, now=now)
    try:
        with db.write() as s:
            agreement = current_agreement(s, opened.case_id)
            if agreement is None:
                raise Conflict("error.party_no_agreement")
            if agreement.version != version:
                raise Conflict("error.party_agreement_changed")
            s.add(
                PartyConfirmation(
                    agreement_id=agreement.id or 0,
                    party_id=opened.party_id,
                    link_id=opened.link_id,
                    decision=decision,
                    reason=reason,
                    at=now,
                )
            )
            s.flush()
            s.add(
                CaseEvent(
                    case_id=opened.case_id,
                    at=now,
                    kind=f"party.{decision}",
                    note=reason,
                    data={
                        "agreement_id": agreement.id or 0,
                        "version": agreement.version,
                        "party_id": opened.party_id,
                        "link_id": opened.link_id,
                    },
                )
            )
            audit.record(
                s,
                action=f"party.{decision}",
                entity="agreement",
                entity_id=agreement.id,
                case_id=opened.case_id,
                party_id=opened.party_id,
                link_id=opened.link_id,
            )
            if decision == "confirmed" and all_confirmed(s, opened.case_id, agreement):
                s.add(
                    CaseEvent(
                        case_id=opened.case_id,
                        at=now,
                        kind="party.all_confirmed",
                        data={"agreement_id": agreement.id or 0, "version": agreement.version},
                    )
                )
                case = s.get(Case, opened.case_id)
                if case is not None:
                    notify_org(
                        s,
                        org_id=case.org_id,
                        key="notice.party_all_confirmed",
                        case_id=case.id,
                        params={"case_no": case.case_no, "version": agreement.version},
                        dedupe_key=f"party-all-confirmed:{agreement.id}",
                    )
    except IntegrityError as exc:
        raise Conflict("error.party_already_decided") from exc
    with db.read() as s:
        return _view(s, opened, now)


@dataclass(frozen=True)
class ConfirmationRow:
    party_id: int
    side: str
    masked_name: str
    decision: str | None
    reason: str
    at: datetime | None


@dataclass(frozen=True)
class ConfirmationStatus:
    version: int | None
    rows: list[ConfirmationRow]
    all_confirmed: bool


def confirmation_status(session: Session, *, actor: Actor, case_id: int) -> ConfirmationStatus:
    """For staff: each party's decision on the newest agreement version (earlier versions do not count)."""
    get_case_in_scope(session, actor, case_id)
    agreement = current_agreement(session, case_id)
    parties = session.exec(select(Party).where(Party.case_id == case_id).order_by(col(Party.id))).all()
    decided = (
        {}
        if agreement is None
        else {
            c.party_id: c
            for c in session.exec(select(PartyConfirmation).where(PartyConfirmation.agreement_id == agreement.id)).all()
        }
    )
    rows = [
        ConfirmationRow(
            party_id=p.id or 0,
            side=p.side,
            masked_name=mask_name(p.name),
            decision=decided[p.id].decision if p.id in decided else None,
            reason=decided[p.id].reason if p.id in decided else "",
            at=decided[p.id].at if p.id in decided else None,
        )
        for p in parties
    ]
    return ConfirmationStatus(
        version=agreement.version if agreement else None,
        rows=rows,
        all_confirmed=all_confirmed(session, case_id, agreement),
    )
