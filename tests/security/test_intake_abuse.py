"""INT-2..7: public intake under abuse. Rate limit (INT-2) and double submit (INT-3) are proven in
tests/services/intake/test_pipeline.py and test_load.py (see README); here: bot traps with false positives
(INT-4), quarantine never reaching boards or the ledger (INT-5), size limits (INT-6), upload content (INT-7).
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import select

from models import Case, CaseEvent
from models.base import utc_now
from services.board import publicity
from services.cases.sessions import check_file, safe_filename
from services.core.config import Limit
from services.core.errors import DomainError
from services.intake import queue as intake_queue
from services.intake.form import MAX_DESCRIPTION, IntakeForm, IntakeInvalid, issue_form_token, prepare_photos
from services.intake.pipeline import IntakeSettings, submit_intake
from tests.factories import make_actor, make_tree

OPEN = IntakeSettings(min_seconds=3, client=Limit(10_000, 600), org=Limit(10_000, 3600))
NORMAL_TOPICS = [
    "排水沟堵塞",
    "宅基地界线",
    "噪音扰民",
    "借款未还",
    "工资拖欠",
    "停车位占用",
    "漏水损坏",
    "婚姻家庭",
    "邻里琐事",
    "土地承包",
]


def _form(i: int, **over) -> IntakeForm:
    values = {
        "org_code": "V1",
        "form_token": issue_form_token(utc_now() - timedelta(seconds=40 + i)),
        "applicant_name": f"张{i}",
        "applicant_phone": f"135{i:08d}",
        "description": f"第{i}户反映{NORMAL_TOPICS[i % 10]}的问题，已经协商{i % 4 + 1}次没有结果，请求调解。{i}",
        "category": "neighbour",
        "consent": True,
    }
    values.update(over)
    return IntakeForm(**values)


@pytest.fixture
def tree(db):
    with db.write() as s:
        return make_tree(s)


def _quarantined(db) -> set[int]:
    with db.read() as s:
        return set(s.exec(select(CaseEvent.case_id).where(CaseEvent.kind == "intake.quarantined")).all())


@pytest.mark.slow
def test_quarantine_bots_and_pass_people(db, tree):
    """INT-4: 100 bot-like submissions (honeypot, < 3 s, one text from 34 phones) all quarantined and out of
    the mediators' default queue; 100 normal ones: 0 false positives."""
    bots, people = [], []
    for i in range(100):
        if i % 3 == 0:
            form = _form(1000 + i, honeypot="http://spam.example")
        elif i % 3 == 1:
            form = _form(1000 + i, form_token=issue_form_token(utc_now() - timedelta(seconds=1)))
        else:
            form = _form(1000 + i, description="免费领取政府补贴，加微信群了解详情，名额有限先到先得！！")
        bots.append(submit_intake(db, form, client=f"198.51.100.{i}", settings=OPEN).case_id)
    for i in range(100):
        people.append(submit_intake(db, _form(i), client=f"203.0.113.{i}", settings=OPEN).case_id)
    flagged = _quarantined(db)
    assert len(set(bots) - flagged) == 0
    assert len(set(people) & flagged) == 0
    with db.write() as s:
        coordinator = make_actor(s, tree["county"], ["coordinator"])
    with db.read() as s:
        shown = {r.id for r in intake_queue.list_queue(s, actor=coordinator, view="new", limit=500)}
        held = {r.id for r in intake_queue.list_queue(s, actor=coordinator, view="quarantine", limit=500)}
    assert not shown & set(bots) and set(bots) <= held and set(people) <= shown


def test_keep_unverified_submissions_off_boards_and_ledger(db, tree):
    """INT-5: 100 public submissions land unverified: 0 on the publicity board, 0 claimable for a subsidy."""
    from services.ledger import views as ledger_views

    today = utc_now().date()
    with db.read() as s:
        before = publicity.typical_cases(s, today=today, limit=500)
    ids = [submit_intake(db, _form(i), client=f"10.9.{i // 200}.{i % 200}", settings=OPEN).case_id for i in range(100)]
    with db.read() as s:
        statuses = {c.status for c in s.exec(select(Case).where(Case.id.in_(ids))).all()}  # type: ignore[union-attr]
        after = publicity.typical_cases(s, today=today, limit=500)
    assert statuses == {"submitted"}
    assert after == before
    with db.write() as s:
        mediator = make_actor(s, tree["v1"], ["mediator"])
    with db.read() as s:
        claimable = {
            c.case_id if hasattr(c, "case_id") else c.id
            for c in ledger_views.claimable_cases(s, actor=mediator, limit=500)
        }
    assert not claimable & set(ids)


def _jpeg(w: int = 64, h: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, "JPEG")
    return buf.getvalue()


def test_refuse_oversized_intake_with_a_message():
    """INT-6: 20 oversized submissions (narrative, lines, photos by count, bytes and pixels) → 20/20 refused
    with a field message, before anything is written."""
    too_long = {
        "description": "长" * (MAX_DESCRIPTION + 1),
        "place": "地" * 201,
        "request": "求" * 5001,
        "respondent_name": "名" * 101,
        "respondent_address": "址" * 201,
        "applicant_name": "王" * 101,
    }
    refused = 0
    for n, (field, value) in enumerate(too_long.items()):
        for k in range(2):
            form = _form(n * 2 + k, **{field: value + "字" * k})
            try:
                from services.intake.form import validate_form

                validate_form(form, [], {"neighbour"})
            except IntakeInvalid as err:
                refused += field in {p.field for p in err.problems}
    big = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 1)
    buf = io.BytesIO()
    Image.new("L", (12_000, 12_000)).save(buf, "PNG")
    bomb = buf.getvalue()
    photo_sets = [
        [_jpeg()] * 4,
        [_jpeg()] * 5,
        [_jpeg()] * 10,
        [big],
        [bomb],
        [_jpeg(), big],
        [b"GIF89a" + b"\0" * 100],
        [b""],
    ]
    for blobs in photo_sets:
        try:
            prepare_photos(blobs)
        except IntakeInvalid:
            refused += 1
    assert refused == 20


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", b"\0" * 20_000_000)
    return buf.getvalue()


HOSTILE = [
    ("invoice.pdf", b"MZ\x90\x00\x03" + b"\0" * 500),  # .exe renamed .pdf
    ("scan.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n"),  # polyglot without an end marker
    ("scan.pdf", b"<html><body>%PDF-1.4</body></html>%%EOF"),
    ("photo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("photo.jpg", b"<svg onload=alert(1)>"),
    ("bomb.zip", _zip_bomb()),
    ("photo.jpg", _zip_bomb()),
    ("photo.jpg:evil.exe", b"MZ" + b"\0" * 100),  # NTFS alternate data stream name
    ("../../app.py", b"import os\n"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),  # PNG signature, broken body
    ("photo.jpg", b"\xff\xd8\xff" + b"junk" * 50),  # JPEG signature, broken body
    ("x.webp", b"RIFF\0\0\0\0WEBPjunk"),
    ("x.html", b"<!doctype html><script>fetch('//evil')</script>"),
    ("x.gif", b"GIF89a" + b"\0" * 32),
    ("x.bmp", b"BM" + b"\0" * 64),
    ("x.tiff", b"II*\0" + b"\0" * 64),
    ("x.txt", b"=cmd|' /C calc'!A0"),
    ("empty.pdf", b""),
    ("x.pdf", b"%PDF-1.7" + b"A" * (10 * 1024 * 1024) + b"%%EOF"),  # over 10 MB
    ("x.docm", b"PK\x03\x04" + b"\0" * 64),
]


def test_refuse_hostile_uploads_by_content():
    """INT-7: 20 hostile files through the staff attachment check and the public photo check → 0 accepted;
    stored names are server-made (no path, no stream, no control characters)."""
    assert len(HOSTILE) == 20
    accepted = []
    for name, blob in HOSTILE:
        try:
            check_file(name, blob)
            accepted.append(f"staff:{name}")
        except DomainError:
            pass
        try:
            prepare_photos([blob])
            accepted.append(f"public:{name}")
        except DomainError:
            pass
    assert accepted == []
    for name in ("../../app.py", "photo.jpg:evil.exe", "a\x00b.pdf", "..\\..\\x.pdf", "C:\\Windows\\x.pdf"):
        safe = safe_filename(name)
        assert "/" not in safe and "\\" not in safe and ":" not in safe and "\x00" not in safe and safe[:2] != ".."
