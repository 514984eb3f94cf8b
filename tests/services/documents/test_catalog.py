"""Documents of a real case: every kind filled, the court packet, the dossier, who may have what, the audit."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from sqlmodel import col, select

from models import (
    Agreement,
    Attachment,
    AuditLog,
    CaseEvent,
    FollowUp,
    JudicialConfirmation,
    MediationSession,
    Mediator,
    Party,
)
from services.access.authz import Actor
from services.cases.create import PartyInput
from services.core.db import Database
from services.core.errors import Conflict, PermissionDenied, ValidationFailed
from services.core.security import ID_CHECK, ID_WEIGHTS
from services.documents import catalog as documents
from services.documents.pdf import convert_to_pdf
from tests.factories import make_actor, make_case, make_tree

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def id_number(first17: str) -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    return first17 + ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


ID_ZHANG, ID_LI = id_number("51052319800101123"), id_number("51052319850505234")


@dataclass(frozen=True)
class Demo:
    case_id: int
    case_no: str
    mediator: Actor
    other_village: Actor
    court: Actor
    coordinator: Actor


def at(day: int, hour: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def _agreement(case_id: int, user_id: int, kind: str) -> Agreement:
    return Agreement(
        case_id=case_id,
        kind=kind,
        amount_fen=500_000,
        signed_at=at(10),
        terms="一、李四于2026年3月20日前疏通排水沟并赔偿张三损失5000元；\n二、双方今后互谅互让，和睦相处。",
        obligations="李四以现金方式在东村村委会当面支付。",
        performance_due=date(2026, 3, 20),
        performance="fulfilled",
        performance_at=at(18),
        recorded_by=user_id,
    )


def build_demo_case(db: Database, *, agreement_kind: str = "written", archived: bool = True) -> Demo:
    """A case of village V1 with 2 sessions (one with a photo), an agreement fulfilled on time, a confirmed
    court application, a follow-up and a signed scan — archived unless told otherwise."""
    with db.write() as s:
        tree = make_tree(s)
        mediator = make_actor(s, tree["v1"], ["mediator"])
        actors = {
            "other_village": make_actor(s, tree["v2"], ["mediator"]),
            "court": make_actor(s, tree["court"], ["court"]),
            "coordinator": make_actor(s, tree["county"], ["coordinator"]),
        }
        m = Mediator(user_id=mediator.user_id, org_id=tree["v1"].id or 0, name="王明")
        s.add(m)
        s.flush()
        case = make_case(
            s,
            tree["v1"],
            status="accepted",
            received_at=at(1),
            amount_fen=500_000,
            request="要求李四疏通排水沟并赔偿损失",
            place="红桥镇东村3组",
            parties=[
                PartyInput(
                    side="applicant",
                    name="张三",
                    phone="13812345678",
                    id_number=ID_ZHANG,
                    gender="男",
                    address="红桥镇东村3组12号",
                ),
                PartyInput(
                    side="respondent",
                    name="李四",
                    phone="13987654321",
                    id_number=ID_LI,
                    gender="女",
                    address="红桥镇东村3组15号",
                ),
            ],
        )
        cid = case.id or 0
        party_ids = [int(i or 0) for i in s.exec(select(Party.id).where(Party.case_id == cid).order_by(col(Party.id)))]
        sessions = [
            MediationSession(
                case_id=cid,
                held_at=at(d),
                place="东村调解室",
                participants="张三、李四、村干部赵六",
                duration_minutes=60,
                notes=f"第{d}日调解：双方陈述意见。\n调解员释法说理。",
                attended=party_ids,
                recorded_by=mediator.user_id,
            )
            for d in (3, 6)
        ]
        s.add_all(sessions)
        s.flush()
        s.add_all(
            [
                Attachment(
                    case_id=cid,
                    session_id=sessions[0].id,
                    kind="photo",
                    filename="现场照片.png",
                    mime="image/png",
                    size=len(PNG),
                    sha256="a" * 64,
                    content=PNG,
                    uploaded_by=mediator.user_id,
                    created_at=at(3),
                ),
                Attachment(
                    case_id=cid,
                    kind="signed",
                    filename="签字确认书.pdf",
                    mime="application/pdf",
                    size=9,
                    sha256="b" * 64,
                    content=b"%PDF-1.4\n",
                    uploaded_by=mediator.user_id,
                    created_at=at(10),
                ),
                _agreement(cid, mediator.user_id, agreement_kind),
                FollowUp(
                    case_id=cid,
                    due=date(2026, 3, 25),
                    done_at=at(24),
                    method="phone",
                    satisfaction=5,
                    agreement_holds=True,
                    note="双方表示协议已履行，关系和睦。",
                    recorded_by=mediator.user_id,
                ),
            ]
        )
        if agreement_kind == "written":
            s.add(
                JudicialConfirmation(
                    case_id=cid,
                    court_org_id=tree["court"].id or 0,
                    applied_at=at(12),
                    applied_by=mediator.user_id,
                    result="confirmed",
                    decided_at=at(15),
                    ruling_no="(2026)川0523民特12号",
                )
            )
        case.mediator_id, case.accepted_at, case.concluded_at = m.id, at(2), at(10)
        case.status, case.grade_proposed = ("archived" if archived else "followed_up"), "standard"
        if archived:
            case.archived_at = at(28)
            s.add(
                CaseEvent(
                    case_id=cid,
                    actor_id=mediator.user_id,
                    kind="transition.archive",
                    at=at(28),
                    from_status="followed_up",
                    to_status="archived",
                )
            )
        s.add(case)
    return Demo(case_id=cid, case_no=case.case_no, mediator=mediator, **actors)


def docx_text(content: bytes) -> str:
    """All text of a DOCX: body, tables, headers and footers."""
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        parts = [
            zf.read(n).decode()
            for n in zf.namelist()
            if n == "word/document.xml" or n.startswith(("word/header", "word/footer"))
        ]
    doc = docx.Document(io.BytesIO(content))
    text = [p.text for p in doc.paragraphs]
    text += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    text += [p.text for sec in doc.sections for p in sec.footer.paragraphs + sec.header.paragraphs]
    assert all("{{" not in part for part in parts)  # nothing left even in XML the API does not reach
    return "\n".join(text)


def audits(db: Database, action: str) -> list[AuditLog]:
    with db.read() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))).all())


def test_list_documents_for_handler(db):
    demo = build_demo_case(db)
    docs = documents.list_documents(db, actor=demo.mediator, case_id=demo.case_id)
    assert docs.full_access and docs.case_no == demo.case_no
    keys = [c.key for c in docs.choices]
    assert keys[0] == "intake" and keys[-1] == "dossier"
    assert sum(k.startswith("session:") for k in keys) == 2 and sum(k.startswith("followup:") for k in keys) == 1
    assert all(c.available for c in docs.choices), [(c.key, c.reason) for c in docs.choices if not c.available]


EXPECTED = {
    "intake": ["张三", ID_ZHANG, "13812345678", "要求李四疏通排水沟", "符合人民调解受理条件"],
    "session": ["调解：双方陈述意见", "东村调解室", "次调解（共2次）", "申请人\u3000张三"],
    "agreement": ["人民调解协议书", ID_LI, "人民币伍仟元整", "本协议一式三份", "2026年3月20日", "东村调委会（印）"],
    "performance_certificate": ["已于2026年3月18日", "张三与李四邻里纠纷一案"],
    "followup": ["5分（非常满意）", "电话回访", "已履行完毕"],
}


def test_generate_every_document_with_all_placeholders_filled(db):
    demo = build_demo_case(db)
    docs = documents.list_documents(db, actor=demo.mediator, case_id=demo.case_id)
    seen = set()
    for choice in docs.choices:
        if choice.is_zip:
            continue
        result = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key=choice.key)
        assert result.filename.startswith(demo.case_no) and result.filename.endswith(".docx")
        text = docx_text(result.content)
        assert demo.case_no in text and "}}" not in text
        for expected in EXPECTED.get(choice.kind, []):
            assert expected in text, (choice.key, expected)
        seen.add(choice.kind)
    assert seen == {"intake", "session", "agreement", "performance_certificate", "followup"}


def test_generate_oral_agreement_register(db):
    demo = build_demo_case(db, agreement_kind="oral", archived=False)
    docs = documents.list_documents(db, actor=demo.mediator, case_id=demo.case_id)
    by_key = {c.key: c for c in docs.choices}
    assert "agreement" not in by_key and by_key["judicial_packet"].reason == "documents.reason.needs_written"
    assert by_key["dossier"].reason == "documents.reason.not_archived"
    text = docx_text(
        documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="oral_agreement").content
    )
    assert "人民调解口头协议登记表" in text and "疏通排水沟" in text and ID_ZHANG in text
    with pytest.raises(Conflict):
        documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="dossier")


def test_judicial_packet_holds_application_agreement_identities_and_evidence(db):
    demo = build_demo_case(db)
    packet = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="judicial_packet")
    root = f"司法确认申请材料_{demo.case_no}"
    assert packet.filename == f"{root}.zip" and packet.mime == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packet.content)) as zf:
        names = zf.namelist()
        assert (
            names
            == sorted(names)
            == [
                f"{root}/01_司法确认申请书.docx",
                f"{root}/02_人民调解协议书.docx",
                f"{root}/03_当事人身份信息.docx",
                f"{root}/04_证据材料清单.docx",
                f"{root}/证据材料/01_现场照片.png",
                f"{root}/证据材料/02_签字确认书.pdf",
            ]
        )
        assert zf.read(names[4]) == PNG
        application = docx_text(zf.read(names[0]))
        identities = docx_text(zf.read(names[2]))
        evidence = docx_text(zf.read(names[3]))
    assert "江安县人民法院" in application and "第三十三条" in application
    assert ID_ZHANG in identities and ID_LI in identities and "13987654321" in identities
    assert "证据材料/01_现场照片.png" in evidence and "照片（第1次调解）" in evidence and "共2份" in evidence


def _toc_files(content: bytes) -> list[str]:
    table = docx.Document(io.BytesIO(content)).tables[0]
    header = [c.text for c in table.rows[0].cells]
    column = header.index("电子文件")
    return [row.cells[column].text for row in table.rows[1:]]


def test_dossier_lists_every_file_in_its_contents_and_regenerates_identically(db):
    demo = build_demo_case(db)
    first = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="dossier")
    again = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="dossier")
    assert first.content == again.content
    root = f"人民调解卷宗_{demo.case_no}/"
    with zipfile.ZipFile(io.BytesIO(first.content)) as zf:
        names = zf.namelist()
        assert {i.date_time for i in zf.infolist()} == {(2026, 3, 28, 10, 0, 0)}  # archived at, Beijing time
        listed = _toc_files(zf.read(root + "02_卷内目录.docx"))
        cover = docx_text(zf.read(root + "01_卷宗封面.docx"))
    assert names == sorted(names) and [root + f for f in listed] == names
    assert listed == [
        "01_卷宗封面.docx",
        "02_卷内目录.docx",
        "03_人民调解受理登记表.docx",
        "04_人民调解记录（第1次）.docx",
        "05_人民调解记录（第2次）.docx",
        "06_人民调解协议书.docx",
        "07_自动履行证明书.docx",
        "08_司法确认申请书.docx",
        "09_当事人身份信息.docx",
        "10_证据材料清单.docx",
        "11_人民调解回访记录（第1次）.docx",
        "附件/12_现场照片.png",
        "附件/13_签字确认书.pdf",
    ]
    assert "共13件" in cover and "江安县人民法院裁定确认有效" in cover and "调解成功（书面协议）" in cover


def test_refuse_other_village_and_record_the_attempt(db):
    demo = build_demo_case(db)
    for key in ("agreement", "dossier", "session:1"):
        with pytest.raises(PermissionDenied):
            documents.generate_document(db, actor=demo.other_village, case_id=demo.case_id, key=key)
    with pytest.raises(PermissionDenied):
        documents.list_documents(db, actor=demo.other_village, case_id=demo.case_id)
    refused = audits(db, "document.refused")
    assert [(r.actor_id, r.entity_id, r.detail["document"]) for r in refused] == [
        (demo.other_village.user_id, demo.case_id, k) for k in ("agreement", "dossier", "session:1", "list")
    ]
    assert audits(db, "pii.reveal") == []


def test_court_gets_packet_and_masked_records_but_not_the_agreement(db):
    demo = build_demo_case(db)
    docs = documents.list_documents(db, actor=demo.court, case_id=demo.case_id)
    by_key = {c.key: c for c in docs.choices}
    assert not docs.full_access and by_key["judicial_packet"].available
    assert by_key["agreement"].reason == by_key["dossier"].reason == "documents.reason.needs_handler"
    session_key = next(k for k in by_key if k.startswith("session:"))
    text = docx_text(documents.generate_document(db, actor=demo.court, case_id=demo.case_id, key=session_key).content)
    assert "张某" in text and "张三、李四、村干部赵六" in text  # parties masked; the free-text record as written
    with pytest.raises(PermissionDenied):
        documents.generate_document(db, actor=demo.court, case_id=demo.case_id, key="agreement")
    documents.generate_document(db, actor=demo.court, case_id=demo.case_id, key="judicial_packet")
    assert [r.detail["document"] for r in audits(db, "document.generate")] == [session_key]
    assert [r.detail["document"] for r in audits(db, "pii.reveal")] == ["judicial_packet"]
    assert [r.detail["document"] for r in audits(db, "document.refused")] == ["agreement"]


def test_audit_each_full_detail_download_as_reveal(db):
    demo = build_demo_case(db)
    documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    documents.generate_document(db, actor=demo.coordinator, case_id=demo.case_id, key="intake")
    rows = audits(db, "pii.reveal")
    assert [(r.actor_id, r.entity_id, r.detail["document"], r.detail["format"]) for r in rows] == [
        (demo.mediator.user_id, demo.case_id, "agreement", "docx"),
        (demo.coordinator.user_id, demo.case_id, "intake", "docx"),
    ]
    assert all(ID_ZHANG not in str(r.detail) and "张三" not in str(r.detail) for r in rows)


def test_refuse_unknown_keys_and_formats(db):
    demo = build_demo_case(db)
    for key, fmt in (
        ("nonsense", "docx"),
        ("dossier_cover", "docx"),
        ("session:x", "docx"),
        ("session", "docx"),
        ("agreement", "odt"),
    ):
        with pytest.raises(ValidationFailed):
            documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key=key, fmt=fmt)
    with pytest.raises(Exception) as err:
        documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="session:999999")
    assert err.value.key == "error.document_not_found"  # type: ignore[attr-defined]


def test_find_case_by_number(db):
    demo = build_demo_case(db)
    assert documents.find_case(db, actor=demo.mediator, case_no=demo.case_no.lower()) == demo.case_id
    with pytest.raises(PermissionDenied):
        documents.find_case(db, actor=demo.other_village, case_no=demo.case_no)
    with pytest.raises(Exception) as err:
        documents.find_case(db, actor=demo.mediator, case_no="2026-XX-00000")
    assert err.value.key == "error.case_not_found"  # type: ignore[attr-defined]
    assert [r.entity_id for r in audits(db, "document.refused")] == [demo.case_id, None]


NEEDS_PDF = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")),
    reason="LibreOffice (soffice) and poppler-utils (pdftoppm) are not installed",
)


@NEEDS_PDF
def test_convert_every_document_to_pdf_and_png(sqlite_db, tmp_path):
    """One LibreOffice run for all documents (conversion does not depend on the database engine)."""
    demo = build_demo_case(sqlite_db)
    docs = documents.list_documents(sqlite_db, actor=demo.mediator, case_id=demo.case_id)
    files = {
        c.key: documents.generate_document(sqlite_db, actor=demo.mediator, case_id=demo.case_id, key=c.key).content
        for c in docs.choices
        if not c.is_zip
    }
    pdfs = convert_to_pdf(files)
    assert set(pdfs) == set(files) and all(p.startswith(b"%PDF") for p in pdfs.values())
    (tmp_path / "agreement.pdf").write_bytes(pdfs["agreement"])
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "agreement.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    png = next(Path(tmp_path).glob("page*.png")).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5_000
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "agreement.pdf")], capture_output=True, text=True, timeout=60
    ).stdout
    assert "CJK" in fonts  # the Chinese text is set in a CJK font, not as missing-glyph boxes


@NEEDS_PDF
def test_generate_pdf_through_the_service(sqlite_db):
    demo = build_demo_case(sqlite_db)
    result = documents.generate_document(
        sqlite_db, actor=demo.mediator, case_id=demo.case_id, key="agreement", fmt="pdf"
    )
    assert result.filename.endswith(".pdf") and result.content.startswith(b"%PDF")
    assert audits(sqlite_db, "pii.reveal")[-1].detail["format"] == "pdf"
