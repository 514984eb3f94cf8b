"""Office templates: upload a replacement DOCX for a document kind, go back to the inherited one, and
find the template in force for a case (its organisation's, else the nearest one above, else shipped).

Versions are never edited: each upload or revert adds a row, and the newest row per organisation and
kind is in force. An upload is checked before it is stored: a real DOCX, small enough, and using only
the placeholders its kind fills (a typo such as {{case_n0}} is refused and named).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

from docx.opc.exceptions import OpcError
from lxml import etree
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import DocumentTemplate, Organisation, User
from services.access.authz import Actor, require
from services.access.permissions import P
from services.access.scope import actor_area
from services.core import audit
from services.core.errors import Conflict, ValidationFailed
from services.documents.docx import open_docx, placeholders, stray_braces
from services.documents.kinds import KINDS, DocKind, kind_of
from services.documents.templates import default_template

MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class TemplateSource:
    """The template in force: shipped (org_name empty) or an office's version."""

    kind: str
    content: bytes
    org_id: int = 0
    org_name: str = ""
    version: int = 0
    filename: str = ""
    uploaded_by: str = ""
    uploaded_at: datetime | None = None

    @property
    def shipped(self) -> bool:
        return not self.org_name


def _ancestor_ids(org: Organisation) -> list[int]:
    """The organisation and those above it, nearest first."""
    return [int(x) for x in reversed(org.path.strip("/").split("/")) if x]


def template_in_force(session: Session, org: Organisation, kind: str) -> TemplateSource:
    """The template a document of `kind` for a case of `org` is filled from."""
    ids = _ancestor_ids(org) or [org.id or 0]
    rows = session.exec(
        select(DocumentTemplate, Organisation.name, User.display_name)
        .join(Organisation, col(Organisation.id) == col(DocumentTemplate.org_id))
        .outerjoin(User, col(User.id) == col(DocumentTemplate.created_by))
        .where(DocumentTemplate.kind == kind, col(DocumentTemplate.org_id).in_(ids))
        .order_by(col(DocumentTemplate.version).desc())
    ).all()
    newest: dict[int, tuple[DocumentTemplate, str, str | None]] = {}
    for row in rows:
        newest.setdefault(row[0].org_id, row)
    for org_id in ids:
        if org_id in newest and newest[org_id][0].content is not None:
            t, name, by = newest[org_id]
            return TemplateSource(
                kind=kind,
                content=bytes(t.content or b""),
                org_id=org_id,
                org_name=name,
                version=t.version,
                filename=t.filename,
                uploaded_by=by or "",
                uploaded_at=t.created_at,
            )
    return TemplateSource(kind=kind, content=default_template(kind))


def check_template(kind: DocKind, content: bytes) -> None:
    """Refuse a file that is not a DOCX, is too large, or uses placeholders its kind does not fill."""
    if len(content) > MAX_TEMPLATE_BYTES:
        raise ValidationFailed("error.document_template_too_large", mb=MAX_TEMPLATE_BYTES // (1024 * 1024))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_UNPACKED_BYTES:  # a ZIP bomb is not a template
                raise ValidationFailed("error.document_template_too_large", mb=MAX_TEMPLATE_BYTES // (1024 * 1024))
        document = open_docx(content)
    except (ValueError, KeyError, zipfile.BadZipFile, OpcError, etree.XMLSyntaxError) as exc:
        if isinstance(exc, ValidationFailed):
            raise
        raise ValidationFailed("error.document_template_not_docx") from exc
    if bad := stray_braces(document):
        raise ValidationFailed("error.document_template_braces", n=len(bad))
    if unknown := sorted(placeholders(document) - kind.names):
        raise ValidationFailed("error.document_template_unknown", names="、".join(unknown[:10]))


def list_templates(session: Session, *, actor: Actor) -> list[TemplateSource]:
    """Every kind with the template in force in the actor's area."""
    require(actor, P.LOWCODE_EDIT)
    root = actor_area(session, actor=actor)
    return [template_in_force(session, root, k.key) for k in KINDS]


def _next_version(session: Session, org_id: int, kind: str) -> int:
    return (
        int(
            session.exec(
                select(func.coalesce(func.max(DocumentTemplate.version), 0)).where(
                    DocumentTemplate.org_id == org_id, DocumentTemplate.kind == kind
                )
            ).one()
        )
        + 1
    )


def _add(session: Session, row: DocumentTemplate) -> DocumentTemplate:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.conflict") from exc
    return row


def upload_template(
    session: Session, *, actor: Actor, kind: str, filename: str, content: bytes, note: str = ""
) -> DocumentTemplate:
    """Put an office's DOCX in force for `kind` across the actor's area (a new version)."""
    require(actor, P.LOWCODE_EDIT)
    spec = kind_of(kind)
    if spec is None:
        raise ValidationFailed("error.document_unknown")
    check_template(spec, content)
    root = actor_area(session, actor=actor)
    row = _add(
        session,
        DocumentTemplate(
            org_id=root.id or 0,
            kind=kind,
            version=_next_version(session, root.id or 0, kind),
            filename=filename.strip()[:120],
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            note=note.strip()[:500],
            created_by=actor.user_id,
        ),
    )
    audit.record(
        session,
        action="document.template_upload",
        actor_id=actor.user_id,
        entity="documenttemplate",
        entity_id=row.id,
        kind=kind,
        org_id=root.id,
        version=row.version,
        sha256=row.sha256,
    )
    return row


def revert_template(session: Session, *, actor: Actor, kind: str, note: str = "") -> DocumentTemplate:
    """Stop using the area's own template for `kind`; the one above (or the shipped one) applies again."""
    require(actor, P.LOWCODE_EDIT)
    if kind_of(kind) is None:
        raise ValidationFailed("error.document_unknown")
    root = actor_area(session, actor=actor)
    current = session.exec(
        select(DocumentTemplate)
        .where(DocumentTemplate.org_id == root.id, DocumentTemplate.kind == kind)
        .order_by(col(DocumentTemplate.version).desc())
    ).first()
    if current is None or current.content is None:
        raise Conflict("error.document_template_nothing_to_revert")
    row = _add(
        session,
        DocumentTemplate(
            org_id=root.id or 0,
            kind=kind,
            version=current.version + 1,
            note=note.strip()[:500],
            created_by=actor.user_id,
        ),
    )
    audit.record(
        session,
        action="document.template_revert",
        actor_id=actor.user_id,
        entity="documenttemplate",
        entity_id=row.id,
        kind=kind,
        org_id=root.id,
        version=row.version,
    )
    return row


def template_file(session: Session, *, actor: Actor, kind: str, shipped: bool = False) -> tuple[str, bytes]:
    """(file name, bytes) of the template in force in the actor's area, or of the shipped one, to edit in Word."""
    require(actor, P.LOWCODE_EDIT)
    if kind_of(kind) is None:
        raise ValidationFailed("error.document_unknown")
    source = (
        TemplateSource(kind=kind, content=default_template(kind))
        if shipped
        else template_in_force(session, actor_area(session, actor=actor), kind)
    )
    suffix = "" if source.shipped else f"_v{source.version}"
    return f"template_{kind}{suffix}.docx", source.content
