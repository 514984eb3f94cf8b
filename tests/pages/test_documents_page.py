"""The documents page and widget: list, generate, download; refusals; DOCX-only notice; the templates page."""

from __future__ import annotations

import io

import docx
from sqlmodel import col, select

from models import AuditLog, User
from services.core.db import Database
from services.documents.office_templates import upload_template
from tests.pages.conftest import page_text
from tests.services.documents.test_catalog import build_demo_case

PAGE = "pages/staff/documents.py"


def _user(db: Database, user_id: int) -> User:
    with db.read() as s:
        user = s.get(User, user_id)
    assert user is not None
    return user


def _actions(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.exec(
            select(AuditLog).where(col(AuditLog.action).in_(("pii.reveal", "document.refused", "document.generate")))
        ).all()
    return [(r.action, str(r.detail.get("document"))) for r in rows]


def _open(make_app, user: User, case_id: int | None = None):  # type: ignore[no-untyped-def]
    at = make_app(user=user, query={"case": str(case_id)} if case_id else None)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_generate_agreement_then_offer_download(db, make_app, monkeypatch):
    monkeypatch.setattr("services.documents.catalog.pdf_available", lambda: False)
    demo = build_demo_case(db)
    at = _open(make_app, _user(db, demo.mediator.user_id), demo.case_id)
    text = page_text(at)
    assert demo.case_no in text and "人民调解协议书" in text and "卷宗（压缩包）" in text
    assert "下载 Word 文件，可直接打印" in text  # says plainly what the file is, in a mediator's words
    at.button(key=f"documents.prepare.{demo.case_id}.agreement").click().run()
    assert not at.exception
    ready = at.session_state["documents.prepared"]
    assert ready.key == "agreement" and ready.file.filename == f"{demo.case_no}_人民调解协议书.docx"
    assert "人民调解协议书" in docx.Document(io.BytesIO(ready.file.content)).paragraphs[0].text
    assert f"已生成：{demo.case_no}_人民调解协议书.docx" in page_text(at)
    assert _actions(db) == [("pii.reveal", "agreement")]


def test_documents_page_opened_from_the_case_page_shows_that_case(db, make_app, monkeypatch):
    monkeypatch.setattr("services.documents.catalog.pdf_available", lambda: False)
    demo = build_demo_case(db, archived=False)
    at = _open(make_app, _user(db, demo.mediator.user_id), demo.case_id)  # /documents?case=<id>, as the case links
    text = page_text(at)
    assert f"案件 {demo.case_no} · 已回访" in text and "请输入案件编号" not in text
    assert f"documents.prepare.{demo.case_id}.agreement" in {b.key for b in at.button}
    back = {e.value: e.proto for e in at.page_link}["返回案件"]
    assert back.page.endswith("case") and back.query_string == f"case={demo.case_id}"
    # it speaks to mediators: what each document is for, nothing about the server's software
    assert "打印后由各方签名" in text and "LibreOffice" not in text and "DOCX" not in text and "ZIP" not in text


def test_generate_dossier_zip(db, make_app):
    demo = build_demo_case(db)
    at = _open(make_app, _user(db, demo.mediator.user_id), demo.case_id)
    at.button(key=f"documents.prepare.{demo.case_id}.dossier").click().run()
    assert not at.exception
    assert at.session_state["documents.prepared"].file.filename == f"人民调解卷宗_{demo.case_no}.zip"


def test_refuse_other_village_with_a_message_and_audit(db, make_app):
    demo = build_demo_case(db)
    at = _open(make_app, _user(db, demo.other_village.user_id), demo.case_id)
    assert "找不到该案件，或您无权查看。" in page_text(at)
    assert not [b for b in at.button if b.key and b.key.startswith("documents.prepare")]
    assert _actions(db) == [("document.refused", "list")]


def test_show_court_what_it_may_have(db, make_app):
    demo = build_demo_case(db)
    at = _open(make_app, _user(db, demo.court.user_id), demo.case_id)
    keys = {b.key for b in at.button}
    assert f"documents.prepare.{demo.case_id}.judicial_packet" in keys
    assert f"documents.prepare.{demo.case_id}.agreement" not in keys
    assert "仅限承办本案的人员生成" in page_text(at)


def test_find_case_by_number(db, make_app):
    demo = build_demo_case(db)
    at = _open(make_app, _user(db, demo.mediator.user_id))
    assert "请输入案件编号" in page_text(at)
    at.text_input(key="documents.case_no").input(demo.case_no)
    next(b for b in at.button if b.label == "打开").click().run()
    assert not at.exception
    assert f"案件 {demo.case_no} · 已归档" in page_text(at)
    assert f"documents.prepare.{demo.case_id}.intake" in {b.key for b in at.button}


def test_templates_page_shows_shipped_template_and_placeholders(db, make_app):
    demo = build_demo_case(db, archived=False)
    at = make_app(user=_user(db, demo.coordinator.user_id))
    at.run()
    at.switch_page("pages/staff/document_templates.py").run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "正在使用：系统默认模板" in text and "适用范围：江安县" in text
    at.selectbox(key="templates.kind").select("agreement").run()
    assert not at.exception
    assert any("{{case_no}}" in str(df.value) for df in at.dataframe)


def test_templates_page_shows_office_template_and_reverts_it(db, make_app):
    demo = build_demo_case(db, archived=False)
    content = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("{{case_no}}")
    document.save(content)
    with db.write() as s:
        upload_template(s, actor=demo.coordinator, kind="intake", filename="x.docx", content=content.getvalue())
    at = make_app(user=_user(db, demo.coordinator.user_id))
    at.run()
    at.switch_page("pages/staff/document_templates.py").run()
    at.selectbox(key="templates.kind").select("intake").run()
    assert "正在使用：本单位或上级上传的模板" in page_text(at) and "江安县 第1版" in page_text(at)
    at.button(key="templates.revert").click().run()
    assert not at.exception
    assert "已恢复上级或系统默认模板。" in page_text(at) and "正在使用：系统默认模板" in page_text(at)
