"""Templates as data: the shipped ones match their generator and their kinds; an office replaces and reverts them."""

from __future__ import annotations

import io

import docx
import pytest
from sqlmodel import select

from models import AuditLog, DocumentTemplate
from services.core.errors import Conflict, PermissionDenied, ValidationFailed
from services.core.i18n import catalogue
from services.documents import catalog as documents
from services.documents.docx import open_docx, placeholders, stray_braces
from services.documents.kinds import KINDS, all_placeholder_names
from services.documents.layouts import LAYOUTS
from services.documents.office_templates import list_templates, revert_template, template_file, upload_template
from services.documents.templates import TEMPLATE_DIR, build_template
from tests.services.documents.test_catalog import build_demo_case, docx_text


def _docx(*lines: str) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", [k.key for k in KINDS])
def test_ship_each_template_as_built_using_only_its_placeholders(kind: str):
    shipped = (TEMPLATE_DIR / f"{kind}.docx").read_bytes()
    assert shipped == build_template(kind), "run: python -m services.documents.templates, then commit"
    document = open_docx(shipped)
    assert stray_braces(document) == []
    used = placeholders(document)
    spec = next(k for k in KINDS if k.key == kind)
    assert used <= spec.names, sorted(used - spec.names)
    assert {"case_no"} <= used


def test_describe_every_placeholder_and_kind():
    known = catalogue()
    assert [n for n in all_placeholder_names() if f"documents.ph.{n}" not in known] == []
    assert [k.key for k in KINDS if f"doc.title.{k.key}" not in known or f"documents.kind.{k.key}" not in known] == []
    assert set(LAYOUTS) == {k.key for k in KINDS}


def test_office_template_applies_below_it_until_reverted(db):
    demo = build_demo_case(db)
    custom = _docx("东村专用协议 {{case_no}} {{ party.name }}", "金额 {{amount_upper}}")
    with db.write() as s:
        row = upload_template(s, actor=demo.coordinator, kind="agreement", filename="协议.docx", content=custom)
    assert row.version == 1
    text = docx_text(
        documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement").content
    )
    assert f"东村专用协议 {demo.case_no} 张三" in text and "东村专用协议" in text and "人民币伍仟元整" in text
    with db.read() as s:
        in_force = {t.kind: t for t in list_templates(s, actor=demo.coordinator)}
        name, content = template_file(s, actor=demo.coordinator, kind="agreement")
    assert in_force["agreement"].version == 1 and in_force["agreement"].org_name == "江安县"
    assert in_force["intake"].shipped and name == "template_agreement_v1.docx" and content == custom
    with db.write() as s:
        revert_template(s, actor=demo.coordinator, kind="agreement")
    text = docx_text(
        documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement").content
    )
    assert "东村专用协议" not in text and "经调解，当事人自愿达成如下协议" in text
    with db.read() as s:
        versions = s.exec(select(DocumentTemplate.version, DocumentTemplate.content.is_(None))).all()  # type: ignore[union-attr]
        actions = s.exec(select(AuditLog.action).where(AuditLog.action.startswith("document.template"))).all()  # type: ignore[attr-defined]
    assert sorted(versions) == [(1, False), (2, True)]
    assert actions == ["document.template_upload", "document.template_revert"]


@pytest.mark.parametrize(
    ("content", "key"),
    [
        (b"not a docx", "error.document_template_not_docx"),
        (_docx("{{case_no}} {{case_n0}}"), "error.document_template_unknown"),
        (_docx("{{case_no} }"), "error.document_template_braces"),
    ],
)
def test_refuse_broken_templates(db, content: bytes, key: str):
    demo = build_demo_case(db, archived=False)
    with pytest.raises(ValidationFailed) as err, db.write() as s:
        upload_template(s, actor=demo.coordinator, kind="agreement", filename="x.docx", content=content)
    assert err.value.key == key


def test_refuse_template_changes_without_low_code_permission(db):
    demo = build_demo_case(db, archived=False)
    with pytest.raises(PermissionDenied), db.write() as s:
        upload_template(s, actor=demo.mediator, kind="agreement", filename="x.docx", content=_docx("{{case_no}}"))
    with pytest.raises(Conflict), db.write() as s:
        revert_template(s, actor=demo.coordinator, kind="agreement")
