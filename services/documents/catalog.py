"""A case's documents: which apply, who may have them, and generating them as DOCX, PDF or a ZIP.

Who gets what follows the case: anyone who may see the case gets the session and follow-up records,
with parties masked as in every list; documents with the parties' full identity details — the signed
agreement, intake sheet, certificate, court packet and dossier — only go to users handling the case
(mediators of an organisation working on it, or holders of the reveal permission), plus the court asked
to confirm the agreement for its packet. Every release is audited (as `pii.reveal` when it carries
full details) and every refusal too (`document.refused`).

Transactions stay short: one read loads everything, generation runs with no transaction open, then
one small write records the release before the bytes are handed over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, col, select

from models import Case, CaseStatus, JudicialConfirmation
from services.access.authz import OWNED, WORK, Actor, case_relation, get_case_in_scope, require, scope_org_ids
from services.access.permissions import P
from services.assessment import numbering
from services.core import audit, clock
from services.core.db import Database
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.documents.bundle import PACKET_KINDS, dossier, dossier_kinds, judicial_packet, render_kind
from services.documents.context import v
from services.documents.data import CaseFile, load_case_file
from services.documents.kinds import BY_KEY, FOLLOWUP, SESSION
from services.documents.office_templates import template_in_force
from services.documents.pdf import convert_to_pdf, pdf_available
from services.documents.stamp import stamp_docx
from services.trust import verify

log = logging.getLogger("mediation.documents")
PACKET, DOSSIER = "judicial_packet", "dossier"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIME = {"docx": DOCX_MIME, "pdf": "application/pdf", "zip": "application/zip"}
# The case page offers one document of each kind, the latest stage of the case first.
CURRENT_ORDER = (
    DOSSIER,
    "agreement",
    "oral_agreement",
    "performance_certificate",
    PACKET,
    "followup",
    "session",
    "intake",
)


@dataclass(frozen=True)
class GeneratedFile:
    filename: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class DocumentChoice:
    """One document a case can have; `reason` (a message key) says why it is not available yet."""

    key: str  # "agreement", "session:12", "followup:3", "judicial_packet", "dossier"
    kind: str
    number: int | None = None
    day: date | None = None
    full_pii: bool = True
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.reason is None

    @property
    def is_zip(self) -> bool:
        return self.kind in (PACKET, DOSSIER)


@dataclass(frozen=True)
class CaseDocuments:
    case_id: int
    case_no: str
    status: str
    full_access: bool
    pdf_available: bool
    choices: list[DocumentChoice]


@contextmanager
def _refusals_audited(db: Database, actor: Actor, case_id: int | None, what: str) -> Iterator[None]:
    """Record an access refusal in its own short transaction, then let it reach the user."""
    try:
        yield
    except (PermissionDenied, NotFound) as err:
        try:
            with db.write() as s:
                audit.record(
                    s,
                    action="document.refused",
                    actor_id=actor.user_id,
                    entity="case",
                    entity_id=case_id if isinstance(case_id, int) and case_id > 0 else None,
                    document=what[:40],
                    reason=err.key,
                )
        except Exception:  # the refusal stands even when it cannot be written down
            log.exception("could not audit a document refusal")
        raise


def _full_access(session: Session, actor: Actor, case: Case) -> bool:
    """Users handling the case may have the parties' full details."""
    if actor.can(P.CASE_REVEAL):
        return True
    return actor.can(P.CASE_MEDIATE) and case_relation(session, actor, case.id or 0) in (OWNED, WORK)


def _court_of(session: Session, actor: Actor, case_id: int) -> bool:
    """The actor's court was asked to confirm this case's agreement."""
    if not actor.can(P.JUDICIAL_RULE):
        return False
    return (
        session.exec(
            select(JudicialConfirmation.id).where(
                JudicialConfirmation.case_id == case_id,
                col(JudicialConfirmation.court_org_id).in_(scope_org_ids(actor)),
            )
        ).first()
        is not None
    )


def _agreement_choices(cf: CaseFile, full: bool, packet_ok: bool) -> list[DocumentChoice]:
    a = cf.agreement
    handler = None if full else "documents.reason.needs_handler"
    if a is None:
        return [
            DocumentChoice("agreement", "agreement", reason="documents.reason.no_agreement"),
            DocumentChoice(PACKET, PACKET, reason="documents.reason.no_agreement"),
        ]
    day = clock.local_date(a.signed_at)
    kind = "agreement" if a.kind == "written" else "oral_agreement"
    on_time = None if a.on_time else "documents.reason.not_on_time"
    packet = (None if packet_ok else handler) if a.kind == "written" else "documents.reason.needs_written"
    return [
        DocumentChoice(kind, kind, day=day, reason=handler),
        DocumentChoice("performance_certificate", "performance_certificate", reason=handler or on_time),
        DocumentChoice(PACKET, PACKET, day=day, reason=packet),
    ]


def _choices(cf: CaseFile, full: bool, packet_ok: bool) -> list[DocumentChoice]:
    handler = None if full else "documents.reason.needs_handler"
    out = [DocumentChoice("intake", "intake", day=clock.local_date(cf.case.received_at), reason=handler)]
    out += [
        DocumentChoice(f"session:{s.id}", "session", number=s.no, day=clock.local_date(s.held_at), full_pii=False)
        for s in cf.sessions
    ]
    out += _agreement_choices(cf, full, packet_ok)
    out += [
        DocumentChoice(f"followup:{f.id}", "followup", number=f.no, day=clock.local_date(f.done_at), full_pii=False)
        for f in cf.followups
    ]
    archived = cf.case.status == CaseStatus.ARCHIVED
    out.append(
        DocumentChoice(
            DOSSIER,
            DOSSIER,
            day=clock.local_date(cf.case.archived_at) if cf.case.archived_at else None,
            reason=handler or (None if archived else "documents.reason.not_archived"),
        )
    )
    return out


def list_documents(db: Database, *, actor: Actor, case_id: int) -> CaseDocuments:
    """The documents of a case the actor may see, each available or with the reason it is not."""
    with _refusals_audited(db, actor, case_id, "list"), db.read() as s:
        case = get_case_in_scope(s, actor, case_id)
        full = _full_access(s, actor, case)
        cf = load_case_file(s, case, full=False)
        packet_ok = full or _court_of(s, actor, case.id or 0)
    return CaseDocuments(
        case_id=case.id or 0,
        case_no=case.case_no,
        status=case.status,
        full_access=full,
        pdf_available=pdf_available(),
        choices=_choices(cf, full, packet_ok),
    )


def current_documents(docs: CaseDocuments) -> list[DocumentChoice]:
    """The documents the case has now for the case page: one of each kind (the newest session or visit)."""
    newest: dict[str, DocumentChoice] = {}
    for choice in docs.choices:  # in filing order: a later session or visit replaces an earlier one
        if choice.available:
            newest[choice.kind] = choice
    return [newest[kind] for kind in CURRENT_ORDER if kind in newest]


def file_name(case_no: str, choice: DocumentChoice, fmt: str = "docx") -> str:
    """The name the generated file gets (as generate_document names it), known before generating."""
    title = v(f"doc.title.{choice.kind}")
    if choice.is_zip:
        return f"{title}_{case_no}.zip"
    if choice.number is not None:
        title = v("doc.numbered", title=title, n=choice.number)
    return f"{case_no}_{title}.{fmt}"


def find_case(db: Database, *, actor: Actor, case_no: str) -> int:
    """The id of the case with this number, if the actor may see it (the same refusal either way)."""
    require(actor, P.CASE_VIEW)
    with db.read() as s:
        found = s.exec(select(Case.id).where(Case.case_no == case_no.strip().upper()[:40])).first()
    with _refusals_audited(db, actor, found, "find"), db.read() as s:
        return get_case_in_scope(s, actor, found if found is not None else -1).id or 0


def _parse(key: str) -> tuple[str, int | None]:
    kind, _, item = key.partition(":")
    if kind not in (PACKET, DOSSIER) and (kind not in BY_KEY or BY_KEY[kind].bundle_only):
        raise ValidationFailed("error.document_unknown")
    if item and not item.isdigit():
        raise ValidationFailed("error.document_unknown")
    return kind, int(item) if item else None


def _check_applies(cf: CaseFile, kind: str, item: int | None) -> None:
    """Refuse a document the case does not have (yet)."""
    choice = next((c for c in _choices(cf, True, True) if c.key == (f"{kind}:{item}" if item else kind)), None)
    if choice is None:
        raise NotFound("error.document_not_found")
    if choice.reason is not None:
        raise Conflict("error.document_not_applicable", reason=choice.reason)


def _needed_kinds(cf: CaseFile, kind: str) -> set[str]:
    if kind == PACKET:
        return set(PACKET_KINDS)
    return dossier_kinds(cf) if kind == DOSSIER else {kind}


def _load(db: Database, actor: Actor, case_id: int, kind: str, item: int | None) -> tuple[CaseFile, dict[str, bytes]]:
    """Check access and read everything the document needs (one read transaction)."""
    spec = BY_KEY.get(kind)
    needs_item = spec is not None and spec.per in (SESSION, FOLLOWUP)
    if needs_item != (item is not None):
        raise ValidationFailed("error.document_unknown")
    with db.read() as s:
        case = get_case_in_scope(s, actor, case_id)
        full = _full_access(s, actor, case) or (kind == PACKET and _court_of(s, actor, case.id or 0))
        if (spec is None or spec.full_pii) and not full:
            raise PermissionDenied("error.document_needs_handler")
        cf = load_case_file(s, case, full=full, with_content=kind in (PACKET, DOSSIER))
        _check_applies(cf, kind, item)
        templates = {k: template_in_force(s, cf.org, k).content for k in _needed_kinds(cf, kind)}
    return cf, templates


def _render_plain(cf: CaseFile, templates: dict[str, bytes], kind: str, item: int | None) -> tuple[str, bytes]:
    """The document's name and content before its verification stamp (a DOCX, or the ZIP)."""
    if kind in (PACKET, DOSSIER):
        return (judicial_packet if kind == PACKET else dossier)(cf, templates)
    doc = render_kind(cf, kind, templates[kind], item_id=item)
    return f"{cf.case.case_no}_{doc.title}", doc.content


def _stamped(
    cf: CaseFile, templates: dict[str, bytes], kind: str, item: int | None, fmt: str, plain: tuple[str, bytes]
) -> Callable[[str, str], list[tuple[str, bytes]]]:
    """How to make the issued files under a code: the download first, then any stamped document inside a ZIP."""

    def make(code_text: str, url: str) -> list[tuple[str, bytes]]:
        if kind in (PACKET, DOSSIER):
            inner: list[bytes] = []

            def stamp(content: bytes) -> bytes:
                inner.append(stamp_docx(content, code_text=code_text, url=url))
                return inner[-1]

            _, content = (judicial_packet if kind == PACKET else dossier)(cf, templates, stamp)
            return [("zip", content), *(("docx", c) for c in inner)]
        name, content = plain
        docx_bytes = stamp_docx(content, code_text=code_text, url=url)
        if fmt == "pdf":
            return [("pdf", convert_to_pdf({name: docx_bytes})[name]), ("docx", docx_bytes)]
        return [("docx", docx_bytes)]

    return make


def _render(db: Database, actor: Actor, cf: CaseFile, templates: dict[str, bytes], key: str, fmt: str) -> GeneratedFile:
    """Render the document, print its verification code on it and record the issue."""
    kind, item = _parse(key)
    plain = _render_plain(cf, templates, kind, item)
    files = verify.issue_document(
        db,
        actor_id=actor.user_id,
        case_id=cf.case.id or 0,
        org_id=cf.org.id or 0,
        kind=kind,
        key=verify.doc_key(kind, item, full=cf.full),
        plain=plain[1],
        make=_stamped(cf, templates, kind, item, fmt, plain),
    )
    fmt_out, content = files[0]
    filename = plain[0] if fmt_out == "zip" else f"{plain[0]}.{fmt_out}"
    return GeneratedFile(filename, MIME[fmt_out], content)


def generate_document(db: Database, *, actor: Actor, case_id: int, key: str, fmt: str = "docx") -> GeneratedFile:
    """Generate one document of the case (`key` from list_documents) as DOCX or PDF, or a packet/dossier ZIP."""
    kind, item = _parse(key)
    if fmt not in ("docx", "pdf"):
        raise ValidationFailed("error.document_format")
    with _refusals_audited(db, actor, case_id, key):
        cf, templates = _load(db, actor, case_id, kind, item)
    if kind in numbering.DOCUMENT_KINDS:  # an office's pattern for this paper (issue 19); a re-issue keeps its number
        with db.write() as s:
            number = numbering.document_number(s, cf.case, kind)
        if number:
            cf = replace(cf, doc_numbers={kind: number})
    result = _render(db, actor, cf, templates, key, fmt)
    with db.write() as s:
        audit.record(
            s,
            action="pii.reveal" if cf.full else "document.generate",
            actor_id=actor.user_id,
            entity="case",
            entity_id=cf.case.id,
            via="document",
            document=key,
            format="zip" if result.mime == MIME["zip"] else fmt,
            bytes=len(result.content),
        )
    return result
