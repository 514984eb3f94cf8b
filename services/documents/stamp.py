"""Print a verification code and its QR code (pointing at /verify) at the end of an issued DOCX.

The stamp keeps the file reproducible: the same document and code give the same bytes (the QR image is
drawn deterministically and the core properties keep the document's own date).
"""

from __future__ import annotations

import io
from datetime import UTC

from docx.shared import Cm, Pt

from services.documents.context import v
from services.documents.docx import DocMeta, open_docx, save_docx
from services.intake.posters import qr_png

QR_WIDTH = Cm(2.6)


def stamp_docx(content: bytes, *, code_text: str, url: str) -> bytes:
    """The DOCX with a closing paragraph: the QR code of `url`, the code and how to check it."""
    document = open_docx(content)
    props = document.core_properties
    created = props.created
    if created is None:  # pragma: no cover - every generated document has its date
        raise ValueError("document without a date")
    meta = DocMeta(
        title=props.title or "",
        subject=props.subject or "",
        author=props.author or "",
        when=created.replace(tzinfo=UTC) if created.tzinfo is None else created,
    )
    paragraph = document.add_paragraph()
    paragraph.add_run().add_picture(io.BytesIO(qr_png(url, box_size=6, border=2)), width=QR_WIDTH)
    caption = document.add_paragraph()
    run = caption.add_run(v("doc.verify_code", code=code_text))
    run.font.size = Pt(9)
    hint = document.add_paragraph()
    small = hint.add_run(v("doc.verify_hint", url=url))
    small.font.size = Pt(8)
    return save_docx(document, meta)
