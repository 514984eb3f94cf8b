"""Mediation sessions (调解记录) and their attachments: photos and signed scans, checked by content.

An attachment is accepted only when its bytes are what they claim: JPEG, PNG or WebP that Pillow can
fully decode (no decompression bombs), or a PDF with its header and end marker; at most 10 MB.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings as py_warnings
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Attachment, CaseEvent, CaseStatus, MediationSession
from models.base import utc_now
from services.access.authz import WORK, Actor, get_case_in_scope, require
from services.access.permissions import P
from services.cases import states, workflow
from services.cases.create import find_by_token, insert_once
from services.core import audit, clock
from services.core.errors import Conflict, NotFound, OutOfScope, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FILES = 10
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class FileInput:
    filename: str
    content: bytes


@dataclass
class SessionInput:
    """One sitting: when, where, who took part, what happened, and any photos or scans."""

    held_at: datetime
    place: str
    participants: str
    notes: str
    online: bool = False
    duration_minutes: int | None = None
    files: list[FileInput] = field(default_factory=list)
    form_token: str | None = None  # a second tap of the same form returns the sitting the first saved


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    mime: str
    kind: str
    content: bytes


def _magic(content: bytes) -> str | None:
    if content.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "WEBP"
    if content.startswith(b"%PDF-"):
        return "PDF"
    return None


def safe_filename(name: str, fallback: str = "file") -> str:
    base = _UNSAFE_NAME.sub("_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" ._")
    return (base or fallback)[:120]


def check_file(filename: str, content: bytes) -> CheckedFile:
    """Accept JPEG/PNG/WebP/PDF by their bytes (not their names), up to 10 MB; refuse anything else."""
    if not content:
        raise ValidationFailed("error.file_empty")
    if len(content) > MAX_BYTES:
        raise ValidationFailed("error.file_too_large", mb=MAX_BYTES // (1024 * 1024))
    kind = _magic(content)
    if kind is None:
        raise ValidationFailed("error.file_type")
    if kind == "PDF":
        if b"%%EOF" not in content[-2048:]:
            raise ValidationFailed("error.file_damaged")
        return CheckedFile(safe_filename(filename, "scan.pdf"), "application/pdf", "scan", content)
    try:
        with py_warnings.catch_warnings():
            py_warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                if img.format != kind or img.width * img.height > MAX_PIXELS:
                    raise ValidationFailed("error.file_damaged")
                img.verify()
            with Image.open(io.BytesIO(content)) as img:
                img.load()
    except ValidationFailed:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed("error.file_damaged") from exc
    return CheckedFile(safe_filename(filename, "photo"), IMAGE_FORMATS[kind], "photo", content)


def check_files(files: list[FileInput]) -> list[CheckedFile]:
    """Check every file before any write transaction opens."""
    if len(files) > MAX_FILES:
        raise ValidationFailed("error.too_many_files", max=MAX_FILES)
    return [check_file(f.filename, f.content) for f in files]


def _store(session: Session, case_id: int, session_id: int | None, files: list[CheckedFile], actor: Actor) -> None:
    for f in files:
        session.add(
            Attachment(
                case_id=case_id,
                session_id=session_id,
                kind=f.kind,
                filename=f.filename,
                mime=f.mime,
                size=len(f.content),
                sha256=hashlib.sha256(f.content).hexdigest(),
                content=f.content,
                uploaded_by=actor.user_id,
            )
        )


def record_session(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    data: SessionInput,
    checked: list[CheckedFile] | None = None,
    expected_version: int | None = None,
) -> MediationSession:
    """Record a sitting; the first one starts the mediation. Pass files already checked with check_files."""
    require(actor, P.CASE_MEDIATE)
    if (done := _saved(session, actor, case_id, data.form_token)) is not None:
        return done
    files = checked if checked is not None else check_files(data.files)
    if not data.notes.strip() or len(data.notes) > 10_000:
        raise ValidationFailed("error.notes_required")
    if not data.place.strip() and not data.online:
        raise ValidationFailed("error.place_required")
    held = data.held_at if data.held_at.tzinfo else data.held_at.replace(tzinfo=clock.LOCAL_TZ)
    if held > utc_now():
        raise ValidationFailed("error.session_in_future")
    if data.duration_minutes is not None and not 0 < data.duration_minutes <= 24 * 60:
        raise ValidationFailed("error.duration_invalid")
    case = get_case_in_scope(session, actor, case_id, for_update=True, scope=WORK)
    if (done := _saved(session, actor, case_id, data.form_token)) is not None:  # a twin held the lock before us
        return done
    workflow.check_version(case, expected_version)
    if case.status not in states.MEDIATING:
        raise Conflict("error.transition_not_allowed", action="session", status=case.status)

    def insert() -> MediationSession:
        row = MediationSession(
            case_id=case.id or 0,
            held_at=held,
            place=data.place.strip()[:200],
            participants=data.participants.strip()[:2000],
            notes=data.notes.strip(),
            online=data.online,
            duration_minutes=data.duration_minutes,
            recorded_by=actor.user_id,
            form_token=data.form_token,
        )
        session.add(row)
        return row

    row, new = insert_once(session, MediationSession, data.form_token, insert)
    if not new:
        return row
    case.version += 1
    session.add(case)
    _store(session, case.id or 0, row.id, files, actor)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor_id=actor.user_id,
            kind="session.recorded",
            data={"session_id": row.id or 0, "files": len(files)},
        )
    )
    audit.record(session, action="case.session", actor_id=actor.user_id, entity="case", entity_id=case.id)
    if case.status == CaseStatus.ACCEPTED:
        workflow.transition(session, actor=actor, case_id=case.id or 0, action="start")
    return row


def _saved(session: Session, actor: Actor, case_id: int, token: str | None) -> MediationSession | None:
    row = find_by_token(session, MediationSession, token)
    if row is not None and (row.case_id != case_id or row.recorded_by != actor.user_id):
        raise Conflict("error.conflict")
    return row


def add_attachments(session: Session, *, actor: Actor, case_id: int, files: list[FileInput]) -> int:
    """Add photos or scans to a case (e.g. the signed agreement after the sitting)."""
    require(actor, P.CASE_MEDIATE)
    checked = check_files(files)
    case = get_case_in_scope(session, actor, case_id, scope=WORK)
    if case.status == CaseStatus.ARCHIVED:
        raise Conflict("error.case_archived")
    _store(session, case.id or 0, None, checked, actor)
    session.add(
        CaseEvent(case_id=case.id or 0, actor_id=actor.user_id, kind="attachment.added", data={"files": len(checked)})
    )
    return len(checked)


def list_sessions(session: Session, *, actor: Actor, case_id: int) -> list[MediationSession]:
    """A case's sittings, oldest first."""
    get_case_in_scope(session, actor, case_id)
    return list(
        session.exec(
            select(MediationSession)
            .where(MediationSession.case_id == case_id)
            .order_by(col(MediationSession.held_at), col(MediationSession.id))
        ).all()
    )


@dataclass(frozen=True)
class AttachmentMeta:
    id: int
    session_id: int | None
    filename: str
    mime: str
    size: int
    kind: str


def list_attachments(session: Session, *, actor: Actor, case_id: int) -> list[AttachmentMeta]:
    """Attachment names and sizes (no bytes) for a case the actor may see."""
    get_case_in_scope(session, actor, case_id)
    rows = session.execute(
        sa_select(
            col(Attachment.id),
            col(Attachment.session_id),
            col(Attachment.filename),
            col(Attachment.mime),
            col(Attachment.size),
            col(Attachment.kind),
        )
        .where(col(Attachment.case_id) == case_id)
        .order_by(col(Attachment.id))
    ).all()
    return [AttachmentMeta(r[0] or 0, r[1], r[2], r[3], r[4], r[5]) for r in rows]


def get_attachment(session: Session, *, actor: Actor, attachment_id: int) -> Attachment:
    """One attachment with its bytes, if its case is visible to the actor."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("error.not_found")
    try:
        get_case_in_scope(session, actor, row.case_id)
    except OutOfScope as exc:
        raise OutOfScope("error.not_found") from exc
    return row
