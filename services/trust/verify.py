"""Verifiable documents: every issued document carries a code and a QR code to the public /verify page.

An issue is (case, document, code, SHA-256 of each file handed over). Generating the same document again with
the same content reuses its code, so every printed copy checks out; different content supersedes the old issue
(one valid issue per case and document is a partial unique index). Staff may revoke an issue with a reason.
The public view shows the kind, issuing organisation, date, case number, parties masked (张某) and the state —
nothing more — and is rate-limited per client.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Case, Organisation, Party, VerificationFile, VerificationIssue
from models.base import utc_now
from services.access.authz import Actor, get_case_in_scope, require
from services.access.permissions import P
from services.core import audit
from services.core.clock import local_date
from services.core.config import Limit, get_settings
from services.core.db import Database
from services.core.errors import Conflict, NotFound, ValidationFailed
from services.core.ratelimit import RateLimited, allow, client_key
from services.core.security import mask_name

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 16  # 31**16 ≈ 7e23 (79 bits)
GROUP = 4
VERIFY_CLIENT_LIMIT = Limit(20, 600)
VALID, SUPERSEDED, REVOKED = "valid", "superseded", "revoked"
SIDES = ("applicant", "respondent", "third")
_NOT_CODE = re.compile(r"[^0-9A-Z]")
_HEX = re.compile(r"[0-9a-f]{64}")
MAX_REASON = 200

# make(code_text, url) → the files handed over under the code: (format, bytes), the first one is the download
Maker = Callable[[str, str], list[tuple[str, bytes]]]


def new_code() -> str:
    """A fresh verification code from the CSPRNG, stored without separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(text: str) -> str:
    """What a person typed or a scanner read → the stored form (spaces, dashes, case, full width forgiven)."""
    return _NOT_CODE.sub("", unicodedata.normalize("NFKC", text or "").upper())[:24]


def verify_url(code: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/verify?code={quote(format_code(code), safe='-')}"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def doc_key(kind: str, item: int | None, *, full: bool) -> str:
    """Which document of a case an issue is of: the kind, its session or visit, and whether parties are masked."""
    return f"{kind}{f':{item}' if item is not None else ''}{'' if full else '/masked'}"


def _current(session: Session, case_id: int, key: str) -> VerificationIssue | None:
    return session.exec(
        select(VerificationIssue).where(
            VerificationIssue.case_id == case_id, VerificationIssue.doc_key == key, VerificationIssue.state == VALID
        )
    ).first()


def _record(
    session: Session,
    *,
    current: VerificationIssue | None,
    fresh: VerificationIssue,
    files: list[tuple[str, bytes]],
    now: datetime,
) -> VerificationIssue:
    if current is not None and current.code == fresh.code:
        issue = current
    else:
        if current is not None:  # the newer content supersedes the issue in force (flush first: one valid row)
            current.state, current.superseded_at = SUPERSEDED, now
            session.add(current)
            session.flush()
        session.add(fresh)
        session.flush()
        if current is not None:
            current.superseded_by = fresh.id
            session.add(current)
        audit.record(
            session,
            action="document.verify_issue",
            actor_id=fresh.issued_by,
            entity="case",
            entity_id=fresh.case_id,
            issue=fresh.id,
            kind=fresh.kind,
            document=fresh.doc_key,
            supersedes=current.id if current is not None else None,
        )
        issue = fresh
    known = set(session.exec(select(VerificationFile.sha256).where(VerificationFile.issue_id == issue.id)).all())
    for fmt, content in files:
        digest = sha256(content)
        if digest not in known:
            session.add(VerificationFile(issue_id=issue.id or 0, fmt=fmt, sha256=digest, created_at=now))
            known.add(digest)
    return issue


def issue_document(
    db: Database,
    *,
    actor_id: int | None,
    case_id: int,
    org_id: int,
    kind: str,
    key: str,
    plain: bytes,
    make: Maker,
    now: datetime | None = None,
) -> list[tuple[str, bytes]]:
    """Stamp a document with its verification code and record the issue; returns the stamped files.

    `plain` is the document before stamping: unchanged content keeps its code, new content gets a new one and
    supersedes the old. Two issues at once cannot both stay valid (the unique index); the loser tries again."""
    content_digest = sha256(plain)
    for _ in range(3):
        with db.read() as s:
            current = _current(s, case_id, key)
        same = current is not None and current.content_sha256 == content_digest
        code = current.code if same and current is not None else new_code()
        files = make(format_code(code), verify_url(code))
        moment = now or utc_now()
        fresh = VerificationIssue(
            code=code,
            kind=kind,
            doc_key=key,
            case_id=case_id,
            org_id=org_id,
            issued_at=moment,
            issued_by=actor_id,
            content_sha256=content_digest,
        )
        try:
            with db.write() as s:
                latest = _current(s, case_id, key)
                if (latest.id if latest else None) != (current.id if current else None):
                    continue  # someone issued meanwhile: stamp again against theirs
                _record(s, current=latest, fresh=fresh, files=files, now=moment)
            return files
        except IntegrityError:
            continue
    raise Conflict("error.verify_busy")


@dataclass(frozen=True)
class VerifyView:
    """What /verify may show: no names but masked ones, no contact data, no content of the document."""

    code: str
    kind: str
    org_name: str
    issued_on: date
    case_no: str
    parties: list[tuple[str, str]]  # (side, 张某)
    state: str
    changed_on: date | None  # superseded or revoked on


def _view(session: Session, issue: VerificationIssue) -> VerifyView:
    case = session.get(Case, issue.case_id)
    org = session.get(Organisation, issue.org_id)
    rows = session.exec(select(Party.side, Party.name).where(Party.case_id == issue.case_id).order_by(col(Party.id)))
    order = {side: i for i, side in enumerate(SIDES)}
    parties = sorted(((side, mask_name(name)) for side, name in rows), key=lambda p: order.get(p[0], 9))
    changed = issue.revoked_at if issue.state == REVOKED else issue.superseded_at
    return VerifyView(
        code=format_code(issue.code),
        kind=issue.kind,
        org_name=org.name if org else "",
        issued_on=local_date(issue.issued_at),
        case_no=case.case_no if case else "",
        parties=parties,
        state=issue.state,
        changed_on=local_date(changed) if changed else None,
    )


def _issue_of(session: Session, code_text: str) -> VerificationIssue:
    code = normalise_code(code_text)
    issue = session.exec(select(VerificationIssue).where(VerificationIssue.code == code)).first() if code else None
    if issue is None:
        raise NotFound("error.verify_not_found")
    return issue


def _limit(db: Database, client: str, now: datetime | None) -> None:
    with db.write() as s:
        ok = allow(s, key=client_key("verify:c", client), limit=VERIFY_CLIENT_LIMIT, now=now)
    if not ok:
        raise RateLimited(minutes=VERIFY_CLIENT_LIMIT.window_s // 60)


def lookup(db: Database, *, code: str, client: str, now: datetime | None = None) -> VerifyView:
    """The public facts of the document issued under this code (rate-limited per client)."""
    if not normalise_code(code):
        raise ValidationFailed("error.verify_code_required")
    _limit(db, client, now)
    with db.read() as s:
        return _view(s, _issue_of(s, code))


def normalise_digest(text: str) -> str:
    digest = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).lower()
    if not _HEX.fullmatch(digest):
        raise ValidationFailed("error.verify_digest")
    return digest


def check_file(
    db: Database,
    *,
    code: str,
    client: str,
    content: bytes | None = None,
    digest: str = "",
    now: datetime | None = None,
) -> bool:
    """Whether a file (or its SHA-256 as hex) is one issued under this code, byte for byte."""
    wanted = sha256(content) if content is not None else normalise_digest(digest)
    _limit(db, client, now)
    with db.read() as s:
        issue = _issue_of(s, code)
        found = s.exec(
            select(VerificationFile.id).where(VerificationFile.issue_id == issue.id, VerificationFile.sha256 == wanted)
        ).first()
    return found is not None


def facts(db: Database, *, code: str) -> dict[str, Any]:
    """The public facts as plain data (`manage.py verify CODE`); no rate limit: the operator runs it."""
    with db.read() as s:
        issue = _issue_of(s, code)
        view = _view(s, issue)
        digests = list(s.exec(select(VerificationFile.sha256).where(VerificationFile.issue_id == issue.id)).all())
    return {
        "code": view.code,
        "kind": view.kind,
        "organisation": view.org_name,
        "issued_on": view.issued_on.isoformat(),
        "case_no": view.case_no,
        "parties": [{"side": side, "name": name} for side, name in view.parties],
        "state": view.state,
        "changed_on": view.changed_on.isoformat() if view.changed_on else None,
        "sha256": digests,
    }


@dataclass(frozen=True)
class IssueRow:
    id: int
    code: str
    kind: str
    doc_key: str
    issued_at: datetime
    state: str
    changed_at: datetime | None
    revoke_reason: str


def case_issues(db: Database, *, actor: Actor, case_id: int) -> list[IssueRow]:
    """Every issue of the case's documents, newest first (for the case page)."""
    with db.read() as s:
        get_case_in_scope(s, actor, case_id)
        issues = s.exec(
            select(VerificationIssue)
            .where(VerificationIssue.case_id == case_id)
            .order_by(col(VerificationIssue.id).desc())
        ).all()
    return [
        IssueRow(
            id=i.id or 0,
            code=format_code(i.code),
            kind=i.kind,
            doc_key=i.doc_key,
            issued_at=i.issued_at,
            state=i.state,
            changed_at=i.revoked_at if i.state == REVOKED else i.superseded_at,
            revoke_reason=i.revoke_reason,
        )
        for i in issues
    ]


def revoke_issue(db: Database, *, actor: Actor, issue_id: int, reason: str, now: datetime | None = None) -> None:
    """Revoke an issued document (e.g. signed by mistake); /verify then says 已撤销 with the date."""
    require(actor, P.DOCUMENT_REVOKE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("error.verify_reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("error.verify_reason_long", max=MAX_REASON)
    with db.write() as s:
        issue = s.get(VerificationIssue, issue_id)
        if issue is None:
            raise NotFound("error.verify_not_found")
        get_case_in_scope(s, actor, issue.case_id)
        if issue.state == REVOKED:
            raise Conflict("error.verify_already_revoked")
        issue.state, issue.revoked_at, issue.revoked_by, issue.revoke_reason = (
            REVOKED,
            now or utc_now(),
            actor.user_id,
            reason,
        )
        s.add(issue)
        audit.record(
            s,
            action="document.verify_revoke",
            actor_id=actor.user_id,
            entity="case",
            entity_id=issue.case_id,
            issue=issue.id,
            kind=issue.kind,
        )
