from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import select

from models import Attachment, CaseStatus
from models.base import utc_now
from services.cases import sessions
from services.core.errors import Conflict, OutOfScope, ValidationFailed
from tests.case_factories import accepted_case, make_world, session_input


def _image(fmt: str, size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buf, format=fmt)
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_check_file_accepts_real_images(fmt, mime):
    checked = sessions.check_file("现场照片.bin", _image(fmt))
    assert checked.mime == mime and checked.kind == "photo" and checked.filename == "现场照片.bin"


def test_check_file_accepts_pdf_and_cleans_name():
    checked = sessions.check_file("../../etc/协议书.pdf", PDF)
    assert checked.mime == "application/pdf" and checked.filename == "协议书.pdf"


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (b"", "error.file_empty"),
        (b"MZ\x90\x00 windows exe", "error.file_type"),
        (b"<svg onload=alert(1)>", "error.file_type"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", "error.file_damaged"),
        (b"%PDF-1.4 no end marker", "error.file_damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "error.file_damaged"),
    ],
)
def test_check_file_refuses_by_content(content, key):
    with pytest.raises(ValidationFailed) as err:
        sessions.check_file("photo.jpg", content)
    assert err.value.key == key


def test_check_file_size_limit_at_10mb():
    big = PDF[:-6] + b" " * (sessions.MAX_BYTES - len(PDF)) + b"%%EOF\n"
    assert len(big) == sessions.MAX_BYTES
    assert sessions.check_file("big.pdf", big).mime == "application/pdf"
    with pytest.raises(ValidationFailed) as err:
        sessions.check_file("big.pdf", big + b" ")
    assert err.value.key == "error.file_too_large"


def test_check_file_refuses_decompression_bomb():
    with pytest.raises(ValidationFailed):
        sessions.check_file("bomb.png", _image("PNG", size=(8000, 6000)))


def test_record_two_sessions_first_starts_mediation(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    files = [sessions.FileInput("现场.jpg", _image("JPEG")), sessions.FileInput("签字.pdf", PDF)]
    with db.write() as s:
        sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input(files=files))
    with db.write() as s:
        sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input(notes="第二次调解"))
    with db.read() as s:
        listed = sessions.list_sessions(s, actor=w.mediator, case_id=case.id)
        metas = sessions.list_attachments(s, actor=w.mediator, case_id=case.id)
        stored = s.exec(select(Attachment).where(Attachment.case_id == case.id)).all()
        full = sessions.get_attachment(s, actor=w.mediator, attachment_id=metas[0].id)
        with pytest.raises(OutOfScope):
            sessions.get_attachment(s, actor=w.mediator2, attachment_id=metas[0].id)
        from models import Case

        assert s.get(Case, case.id).status == CaseStatus.IN_MEDIATION
    assert [x.notes for x in listed] == ["双方陈述事实，初步达成共识", "第二次调解"]
    assert [m.mime for m in metas] == ["image/jpeg", "application/pdf"]
    assert all(len(a.sha256) == 64 and a.session_id == listed[0].id for a in stored)
    assert full.content.startswith(b"\xff\xd8")


def test_record_session_refusals(db):
    w = make_world(db)
    case = accepted_case(db, w.mediator)
    for overrides, key in (
        ({"notes": " "}, "error.notes_required"),
        ({"place": ""}, "error.place_required"),
        ({"held_at": utc_now() + timedelta(hours=2)}, "error.session_in_future"),
    ):
        with pytest.raises(ValidationFailed) as err, db.write() as s:
            sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input(**overrides))
        assert err.value.key == key
    with pytest.raises(OutOfScope), db.write() as s:
        sessions.record_session(s, actor=w.mediator2, case_id=case.id, data=session_input())
    with db.write() as s:
        from services.cases.workflow import transition

        transition(s, actor=w.mediator, case_id=case.id, action="withdraw")
    with pytest.raises(Conflict), db.write() as s:
        sessions.record_session(s, actor=w.mediator, case_id=case.id, data=session_input())
