"""Personal party links: an unguessable token per party, its digest only stored, valid N days, revocable.

Opening a link needs the last 4 digits of the party's own phone. Wrong digits are counted with one atomic
`UPDATE … SET failed_checks = failed_checks + 1`; the fifth wrong try locks the link for a while. A missing,
revoked, expired or locked link says so plainly and shows nothing of the case. Tokens and phones are never
logged and never stored in the clear (only `token_digest`).

Settings: PARTY_LINK_DAYS, PARTY_LINK_MAX_FAILS, PARTY_LINK_LOCK_MINUTES (services/core/config.py).
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseStatus, Party, PartyLink
from models.base import utc_now
from services.access.authz import WORK, Actor, get_case_in_scope, require
from services.access.permissions import P
from services.core import audit
from services.core.config import Limit, get_settings
from services.core.db import Database
from services.core.errors import DomainError, NotFound, ValidationFailed
from services.core.ratelimit import allow, client_key
from services.core.security import mask_name, mask_phone, new_token, normalise_phone, token_digest

TOKEN_BYTES = 24  # 192 bits
CLIENT_LIMIT = Limit(40, 600)  # opens and decisions per client address per 10 minutes
# While mediation runs and until the follow-up, a party has something to do on their page (confirm, join online).
LINK_STATES = (CaseStatus.ACCEPTED, CaseStatus.IN_MEDIATION, CaseStatus.SUCCEEDED, CaseStatus.FOLLOWED_UP)


class LinkUnusable(DomainError):
    """Missing, revoked, expired or locked: the page shows the message and nothing else."""

    key = "error.party_link_invalid"


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    party_id: int
    url: str  # shown once to staff; the token is not kept anywhere
    expires_at: datetime


@dataclass(frozen=True)
class LinkRow:
    link_id: int
    party_id: int
    party_label: str  # side + masked name
    status: str  # active / revoked / expired / locked
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class OpenLink:
    """A verified link: what the party page services may act on (never sent to the browser as ids)."""

    link_id: int
    case_id: int
    party_id: int


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def party_url(token: str, base_url: str | None = None) -> str:
    return f"{(base_url or get_settings().public_base_url).rstrip('/')}/party?t={token}"


def _case_party(session: Session, case_id: int, party_id: int) -> Party:
    party = session.get(Party, party_id)
    if party is None or party.case_id != case_id:
        raise NotFound("error.not_found")
    return party


def issue_link(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    party_id: int,
    days: int | None = None,
    base_url: str | None = None,
    now: datetime | None = None,
) -> IssuedLink:
    """A new personal link for one party of a case the actor works on; earlier active links of that party end."""
    require(actor, P.CASE_MEDIATE)
    get_case_in_scope(session, actor, case_id, scope=WORK)
    party = _case_party(session, case_id, party_id)
    if len(normalise_phone(party.phone or "")) < 4:
        raise ValidationFailed("error.party_link_no_phone")
    days = days or get_settings().party_link_days
    if not 1 <= days <= 90:
        raise ValidationFailed("error.party_link_days")
    now = now or utc_now()
    session.execute(
        update(PartyLink)
        .where(col(PartyLink.party_id) == party_id, col(PartyLink.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    token = new_token(TOKEN_BYTES)
    link = PartyLink(
        token_hash=token_digest(token),
        case_id=case_id,
        party_id=party_id,
        expires_at=now + timedelta(days=days),
        issued_by=actor.user_id,
    )
    session.add(link)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case_id,
            actor_id=actor.user_id,
            kind="party.link_issued",
            data={"party_id": party_id, "link_id": link.id or 0, "days": days},
        )
    )
    audit.record(
        session,
        action="party.link_issue",
        actor_id=actor.user_id,
        entity="partylink",
        entity_id=link.id,
        case_id=case_id,
        party_id=party_id,
    )
    return IssuedLink(
        link_id=link.id or 0, party_id=party_id, url=party_url(token, base_url), expires_at=link.expires_at
    )


def revoke_link(session: Session, *, actor: Actor, link_id: int, now: datetime | None = None) -> bool:
    """Withdraw a link; True (also when it was already withdrawn)."""
    require(actor, P.CASE_MEDIATE)
    link = session.get(PartyLink, link_id)
    if link is None:
        raise NotFound("error.not_found")
    get_case_in_scope(session, actor, link.case_id, scope=WORK)
    if link.revoked_at is None:
        link.revoked_at = now or utc_now()
        session.add(link)
        session.add(
            CaseEvent(
                case_id=link.case_id,
                actor_id=actor.user_id,
                kind="party.link_revoked",
                data={"party_id": link.party_id, "link_id": link.id or 0},
            )
        )
        audit.record(
            session,
            action="party.link_revoke",
            actor_id=actor.user_id,
            entity="partylink",
            entity_id=link.id,
            case_id=link.case_id,
        )
    return True


def _status(link: PartyLink, now: datetime) -> str:
    if link.revoked_at is not None:
        return "revoked"
    if (_aware(link.expires_at) or now) <= now:
        return "expired"
    locked = _aware(link.locked_until)
    if locked is not None and locked > now:
        return "locked"
    return "active"


def list_links(session: Session, *, actor: Actor, case_id: int, now: datetime | None = None) -> list[LinkRow]:
    """The case's parties' links, newest first, with masked party names."""
    require(actor, P.CASE_MEDIATE)
    get_case_in_scope(session, actor, case_id, scope=WORK)
    now = now or utc_now()
    rows = session.exec(
        select(PartyLink, Party)
        .join(Party, col(Party.id) == col(PartyLink.party_id))
        .where(PartyLink.case_id == case_id)
        .order_by(col(PartyLink.id).desc())
    ).all()
    return [
        LinkRow(
            link_id=link.id or 0,
            party_id=party.id or 0,
            party_label=f"{party.side}:{mask_name(party.name)}",
            status=_status(link, now),
            expires_at=link.expires_at,
            created_at=link.created_at,
        )
        for link, party in rows
    ]


@dataclass(frozen=True)
class PartyChoice:
    party_id: int
    side: str
    masked_name: str
    masked_phone: str
    has_phone: bool


def case_parties(session: Session, *, actor: Actor, case_id: int) -> list[PartyChoice]:
    require(actor, P.CASE_MEDIATE)
    get_case_in_scope(session, actor, case_id, scope=WORK)
    parties = session.exec(select(Party).where(Party.case_id == case_id).order_by(col(Party.id))).all()
    return [
        PartyChoice(
            party_id=p.id or 0,
            side=p.side,
            masked_name=mask_name(p.name),
            masked_phone=mask_phone(p.phone),
            has_phone=len(normalise_phone(p.phone or "")) >= 4,
        )
        for p in parties
    ]


def case_for_links(session: Session, *, actor: Actor, case_id: int) -> Case:
    require(actor, P.CASE_MEDIATE)
    return get_case_in_scope(session, actor, case_id, scope=WORK)


# ---- the public side: a token and the last 4 digits, never a case id from the client ----


def _clean_token(token: str) -> str:
    token = (token or "").strip()
    return token if re.fullmatch(r"[A-Za-z0-9_-]{16,128}", token) else ""


def _usable(session: Session, token: str, now: datetime) -> PartyLink:
    clean = _clean_token(token)
    link = session.exec(select(PartyLink).where(PartyLink.token_hash == token_digest(clean))).first() if clean else None
    if link is None:
        raise LinkUnusable("error.party_link_invalid")
    status = _status(link, now)
    if status == "revoked":
        raise LinkUnusable("error.party_link_revoked")
    if status == "expired":
        raise LinkUnusable("error.party_link_expired")
    if status == "locked":
        left = int(((_aware(link.locked_until) or now) - now).total_seconds() // 60) + 1
        raise LinkUnusable("error.party_link_locked", minutes=left)
    return link


def check_token(db: Database, *, token: str, now: datetime | None = None) -> None:
    """Raise LinkUnusable unless the link could be opened (before asking for the digits)."""
    with db.read() as s:
        _usable(s, token, now or utc_now())


def verify(db: Database, *, token: str, last4: str, client: str, now: datetime | None = None) -> OpenLink:
    """The link, if it is usable and `last4` are the last 4 digits of the party's phone.

    A wrong answer is counted atomically; the PARTY_LINK_MAX_FAILS-th locks the link for PARTY_LINK_LOCK_MINUTES."""
    now = now or utc_now()
    max_fails, lock_minutes = get_settings().party_link_max_fails, get_settings().party_link_lock_minutes
    digits = unicodedata.normalize("NFKC", last4 or "").strip()
    with db.write() as s:
        blocked = bool(not allow(s, key=client_key("party:c", client), limit=CLIENT_LIMIT, now=now))
    if blocked:
        raise LinkUnusable("error.rate_limited", minutes=CLIENT_LIMIT.window_s // 60)
    with db.read() as s:
        link = _usable(s, token, now)
        party = s.get(Party, link.party_id)
        phone = normalise_phone(party.phone if party else "")
    if not re.fullmatch(r"\d{4}", digits):
        raise ValidationFailed("error.track_last4")
    if len(phone) >= 4 and hmac.compare_digest(phone[-4:].encode(), digits.encode()):
        if link.failed_checks:
            with db.write() as s:
                s.execute(update(PartyLink).where(col(PartyLink.id) == link.id).values(failed_checks=0))
        return OpenLink(link_id=link.id or 0, case_id=link.case_id, party_id=link.party_id)
    with db.write() as s:
        fails = int(
            s.execute(
                update(PartyLink)
                .where(col(PartyLink.id) == link.id)
                .values(failed_checks=PartyLink.failed_checks + 1)
                .returning(col(PartyLink.failed_checks))
            ).scalar_one()
        )
        if fails >= max_fails:
            s.execute(
                update(PartyLink)
                .where(col(PartyLink.id) == link.id)
                .values(failed_checks=0, locked_until=now + timedelta(minutes=lock_minutes))
            )
            audit.record(s, action="party.link_locked", entity="partylink", entity_id=link.id, case_id=link.case_id)
    if fails >= max_fails:
        raise LinkUnusable("error.party_link_locked", minutes=lock_minutes)
    raise ValidationFailed("error.party_digits_wrong", left=max_fails - fails)
