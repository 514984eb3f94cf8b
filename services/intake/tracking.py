"""Tracking codes and the public /track look-up: status in plain words, next step, one rating after closing.

A look-up needs the code *and* the last four digits of the applicant's phone, is rate-limited per client
and per code, and answers "not found" the same way for a wrong code and a wrong phone. The view it returns
holds nothing about the other party and no staff personal data.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseStatus, Organisation, Party, PublicRating
from models.base import utc_now
from services.cases import states
from services.core import audit
from services.core.clock import local_date
from services.core.config import Limit
from services.core.db import Database
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.core.ratelimit import RateLimited, allow, client_key, count, hit
from services.core.security import normalise_phone

# No 0/O, 1/I/L: nothing a person can misread on a screen or mishear when it is read aloud.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12  # 31**12 ≈ 7.9e17 (59 bits), and a look-up also needs the phone's last 4 digits
GROUP = 4
TRACK_CLIENT_LIMIT = Limit(10, 600)
TRACK_CODE_FAILURES = Limit(5, 3600)
MAX_COMMENT = 500
KNOWN_REASONS = frozenset({"not_suitable", "duplicate", "spam", "in_litigation"})  # each has its own advice text
_NOT_CODE = re.compile(r"[^0-9A-Z]")


def new_tracking_code() -> str:
    """A fresh code from the CSPRNG, stored without separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN: groups of four, easy to read aloud and to copy."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(text: str) -> str:
    """What a person typed → the stored form (full-width letters, spaces, dashes and case forgiven)."""
    return _NOT_CODE.sub("", unicodedata.normalize("NFKC", text or "").upper())[:32]


@dataclass(frozen=True)
class TrackView:
    """What /track may show: no other party, no staff names or phones."""

    code: str
    status: str
    category: str
    received_on: date
    org_name: str
    org_address: str
    org_phone: str
    org_hours: str
    next_step: str  # translation key suffix: track.next_<next_step>
    due: date | None
    overdue: bool
    reject_reason: str | None
    advice: str
    diversion: str | None
    can_rate: bool
    rated: bool


def _applicant_phone(session: Session, case_id: int) -> str:
    phone = session.exec(
        select(Party.phone).where(Party.case_id == case_id, Party.side == "applicant").order_by(col(Party.id))
    ).first()
    return normalise_phone(phone or "")


def _matching_case(session: Session, code: str, last4: str) -> Case | None:
    case = session.exec(select(Case).where(Case.tracking_code == code)).first() if code else None
    phone = _applicant_phone(session, case.id or 0) if case else "0000"
    same = hmac.compare_digest(phone[-4:].encode(), last4.encode())
    return case if case is not None and same and len(phone) >= 4 else None


def _next_step(case: Case) -> tuple[str, date | None]:
    if case.status == CaseStatus.SUBMITTED:
        return "submitted", case.accept_due
    if case.status in states.MEDIATING:
        return case.status, case.conclude_due
    return case.status, None


def _reject_advice(session: Session, case: Case) -> str:
    if case.status != CaseStatus.REJECTED:
        return ""
    event = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "transition.reject")
        .order_by(col(CaseEvent.id).desc())
    ).first()
    advice = (event.data or {}).get("advice", "") if event else ""
    return advice if isinstance(advice, str) else ""


def _view(session: Session, case: Case, today: date) -> TrackView:
    org = session.get(Organisation, case.org_id)
    step, due = _next_step(case)
    rated = session.exec(select(PublicRating.id).where(PublicRating.case_id == case.id)).first() is not None
    return TrackView(
        code=format_code(case.tracking_code or ""),
        status=case.status,
        category=case.category,
        received_on=local_date(case.received_at),
        org_name=org.name if org else "",
        org_address=org.address if org else "",
        org_phone=org.phone if org else "",
        org_hours=org.hours if org else "",
        next_step=step,
        due=due,
        overdue=due is not None and due < today,
        reject_reason=case.reject_reason,
        advice=_reject_advice(session, case),
        diversion=case.diversion,
        can_rate=case.status in states.RATEABLE and not rated,
        rated=rated,
    )


def _check_inputs(code_text: str, last4: str) -> tuple[str, str]:
    code = normalise_code(code_text)
    digits = unicodedata.normalize("NFKC", last4 or "").strip()
    if not code:
        raise ValidationFailed("error.track_code_required")
    if not re.fullmatch(r"\d{4}", digits):
        raise ValidationFailed("error.track_last4")
    return code, digits


def _find(db: Database, code_text: str, last4: str, client: str, now: datetime) -> Case:
    """The case matching code + last4, counting the attempt against the client and (on failure) the code."""
    code, digits = _check_inputs(code_text, last4)
    code_key = f"track:code:{code[:16]}"
    with db.write() as s:
        if not allow(s, key=client_key("track:c", client), limit=TRACK_CLIENT_LIMIT, now=now):
            blocked = True
        else:
            blocked = count(s, key=code_key, limit=TRACK_CODE_FAILURES, now=now) >= TRACK_CODE_FAILURES.max_hits
    if blocked:
        raise RateLimited(minutes=TRACK_CLIENT_LIMIT.window_s // 60)
    with db.read() as s:
        case = _matching_case(s, code, digits)
    if case is None:
        with db.write() as s:
            hit(s, key=code_key, limit=TRACK_CODE_FAILURES, now=now)
        raise NotFound("error.track_not_found")
    return case


def lookup(db: Database, *, code: str, last4: str, client: str, now: datetime | None = None) -> TrackView:
    """The public status of the case with this code, if the phone's last 4 digits match."""
    now = now or utc_now()
    case = _find(db, code, last4, client, now)
    with db.read() as s:
        return _view(s, case, local_date(now))


def rate_case(
    db: Database, *, code: str, last4: str, stars: int, comment: str, client: str, now: datetime | None = None
) -> TrackView:
    """One 1–5 rating with an optional comment, once the case is closed; a second one is refused.

    Returns the refreshed view (so the page needs no second look-up)."""
    now = now or utc_now()
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise ValidationFailed("error.rating_stars")
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("error.intake_too_long", field="comment", max=MAX_COMMENT)
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", comment):
        raise ValidationFailed("error.intake_bad_chars", field="comment")
    case = _find(db, code, last4, client, now)
    if case.status not in states.RATEABLE:
        raise Conflict("error.rating_not_closed")
    try:
        with db.write() as s:
            s.add(PublicRating(case_id=case.id or 0, stars=stars, comment=comment, at=now))
            s.flush()
            audit.record(s, action="case.public_rating", entity="case", entity_id=case.id, stars=stars)
    except IntegrityError as exc:
        raise Conflict("error.rating_once") from exc
    with db.read() as s:
        return _view(s, case, local_date(now))
