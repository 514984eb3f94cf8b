"""Rendering documents from a loaded case, and the two ZIPs: the court packet and the archived dossier.

Pure functions over a CaseFile and the templates in force (no database, no permission checks: the
caller in services/documents/catalog.py has done both). Equal input gives equal bytes: every DOCX carries the
date of what it records, and each ZIP has sorted, numbered entries stamped with one date from the case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.core import clock
from services.core.i18n import catalogue
from services.documents.context import WHEN, build_context, confirmation_text, dotted_date, v
from services.documents.data import AttachmentView, CaseFile
from services.documents.docx import DocMeta, render, write_zip
from services.documents.kinds import BY_KEY

PACKET_KINDS = ("confirmation_application", "agreement", "identity_sheet", "evidence_list")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
Stamp = Callable[[bytes], bytes]  # prints the verification code on the packet's or dossier's first document


@dataclass(frozen=True)
class Rendered:
    title: str
    when: datetime
    content: bytes


def render_kind(
    cf: CaseFile,
    kind: str,
    template: bytes,
    *,
    item_id: int | None = None,
    extra: dict[str, str] | None = None,
    loops: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> Rendered:
    """Fill one document of the case from its template."""
    ctx = build_context(BY_KEY[kind], cf, item_id=item_id, extra=extra, loops=loops)
    meta = DocMeta(title=ctx.title, subject=cf.case.case_no, author=cf.org.name, when=ctx.when)
    return Rendered(ctx.title, ctx.when, render(template, ctx.scalars, ctx.loops, meta, empty_text=v("doc.none")))


def safe_name(name: str, fallback: str) -> str:
    """A file name fit for a ZIP entry on any system: no folders, no reserved characters, not too long."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").split("/")[-1]).strip(" .")
    if not base:
        return fallback
    stem, dot, ext = base.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = base, ""
    return (stem[:60] + (f".{ext}" if ext else "")) or fallback


def human_size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MB"


def _word(key: str, fallback: str) -> str:
    return v(key) if key in catalogue() else fallback


def _attachment_note(a: AttachmentView) -> str:
    kind = _word(f"doc.attachment_kind.{a.kind}", a.kind)
    return v("doc.attachment_of_session", kind=kind, n=a.session_no) if a.session_no else kind


def attachment_paths(cf: CaseFile, folder: str, start: int, total: int) -> list[tuple[AttachmentView, str]]:
    """Each attachment with its numbered path in the ZIP (numbers continue from `start`)."""
    return [
        (a, f"{folder}/{numbered(n, total, safe_name(a.filename, f'attachment_{a.id}'))}")
        for n, a in enumerate(cf.attachments, start=start)
    ]


def evidence_items(paths: list[tuple[AttachmentView, str]]) -> list[dict[str, str]]:
    return [
        {
            "no": str(i),
            "name": a.filename,
            "kind": _word(f"doc.attachment_kind.{a.kind}", a.kind),
            "size": human_size(a.size),
            "sha256": a.sha256[:16],
            "file": path,
            "note": _attachment_note(a),
        }
        for i, (a, path) in enumerate(paths, start=1)
    ]


def wall_clock(moment: datetime) -> datetime:
    """ZIP entries carry local wall-clock time."""
    return clock.local_time(moment).replace(tzinfo=None)


def numbered(n: int, total: int, name: str) -> str:
    """01_name, or 001_name when there are a hundred files or more (so names sort in filing order)."""
    return f"{n:0{max(2, len(str(total)))}d}_{name}"


def judicial_packet(cf: CaseFile, templates: dict[str, bytes], stamp: Stamp | None = None) -> tuple[str, bytes]:
    """司法确认申请材料: application, agreement, identity details, evidence list and the evidence files."""
    root = f"{v('doc.title.judicial_packet')}_{cf.case.case_no}"
    paths = attachment_paths(cf, v("doc.folder.evidence"), 1, len(cf.attachments))
    entries: list[tuple[str, bytes]] = []
    extra = {"evidence_count": str(len(paths))}
    for n, kind in enumerate(PACKET_KINDS, start=1):
        doc = render_kind(cf, kind, templates[kind], extra=extra, loops={"item": evidence_items(paths)})
        content = stamp(doc.content) if stamp is not None and n == 1 else doc.content
        entries.append((f"{root}/{numbered(n, len(PACKET_KINDS), doc.title)}.docx", content))
    entries += [(f"{root}/{path}", a.content or b"") for a, path in paths]
    when = WHEN["confirmation_application"](cf)
    return f"{root}.zip", write_zip(sorted(entries), wall_clock(when))


def dossier_plan(cf: CaseFile) -> list[tuple[str, int | None]]:
    """The documents of the dossier after its cover and contents, in filing order."""
    plan: list[tuple[str, int | None]] = [("intake", None)] + [("session", s.id) for s in cf.sessions]
    a = cf.agreement
    if a is not None:
        plan.append(("agreement" if a.kind == "written" else "oral_agreement", None))
        if a.on_time:
            plan.append(("performance_certificate", None))
        if cf.confirmation is not None and a.kind == "written":
            plan += [("confirmation_application", None), ("identity_sheet", None), ("evidence_list", None)]
    return plan + [("followup", f.id) for f in cf.followups]


def _toc_entry(no: int, title: str, when: datetime | None, path: str, note: str = "") -> dict[str, str]:
    return {"no": str(no), "title": title, "date": dotted_date(when), "file": path, "note": note}


def dossier(cf: CaseFile, templates: dict[str, bytes], stamp: Stamp | None = None) -> tuple[str, bytes]:
    """卷宗: cover, table of contents, every document that applies, then the attachments, numbered in order."""
    root = f"{v('doc.title.dossier')}_{cf.case.case_no}"
    plan = dossier_plan(cf)
    total = 2 + len(plan) + len(cf.attachments)
    paths = attachment_paths(cf, v("doc.folder.attachments"), 3 + len(plan), total)
    extra = {"evidence_count": str(len(paths)), "file_count": str(total)}
    docs = [
        (
            n,
            kind,
            render_kind(cf, kind, templates[kind], item_id=item, extra=extra, loops={"item": evidence_items(paths)}),
        )
        for n, (kind, item) in enumerate(plan, start=3)
    ]
    archived = cf.case.archived_at or cf.case.received_at
    toc = [
        _toc_entry(n, v(f"doc.title.{k}"), archived, f"{numbered(n, total, v(f'doc.title.{k}'))}.docx")
        for n, k in ((1, "dossier_cover"), (2, "dossier_toc"))
    ]
    toc += [
        _toc_entry(
            n,
            d.title,
            d.when,
            f"{numbered(n, total, d.title)}.docx",
            confirmation_text(cf) if kind == "confirmation_application" else "",
        )
        for n, kind, d in docs
    ]
    toc += [
        _toc_entry(n, a.filename, a.created_at, path, _attachment_note(a))
        for n, (a, path) in enumerate(paths, start=3 + len(plan))
    ]
    cover = render_kind(cf, "dossier_cover", templates["dossier_cover"], extra=extra)
    contents = render_kind(cf, "dossier_toc", templates["dossier_toc"], extra=extra, loops={"entry": toc})
    bodies = [
        stamp(cover.content) if stamp is not None else cover.content,
        contents.content,
        *(d.content for _, _, d in docs),
        *(a.content or b"" for a, _ in paths),
    ]
    entries = [(f"{root}/{entry['file']}", body) for entry, body in zip(toc, bodies, strict=True)]
    return f"{root}.zip", write_zip(sorted(entries), wall_clock(archived))


def dossier_kinds(cf: CaseFile) -> set[str]:
    """The template kinds a dossier of this case needs."""
    return {"dossier_cover", "dossier_toc"} | {kind for kind, _ in dossier_plan(cf)}
