"""What the printed papers say (issue 22): 性别 from the ID number, single brackets, file names known in advance."""

from __future__ import annotations

import io
import zipfile

import docx
from sqlmodel import select

from models import Party
from services.documents import catalog as documents
from services.documents.data import gender_from_id
from tests.services.documents.test_catalog import ID_LI, ID_ZHANG, build_demo_case, id_number


def _cells(content: bytes) -> list[list[str]]:
    return [[c.text for c in row.cells] for table in docx.Document(io.BytesIO(content)).tables for row in table.rows]


def test_tell_gender_from_an_id_number():
    assert gender_from_id(ID_ZHANG) == "男" and gender_from_id(ID_LI) == "女"  # 17th digit 3 and 4
    assert gender_from_id(id_number("11010519491231002")) == "女"
    assert gender_from_id("1101**********002X") == gender_from_id("12345") == gender_from_id("") == ""


def test_agreement_prints_gender_from_the_id_number_when_none_is_recorded(db):
    demo = build_demo_case(db, archived=False)
    with db.write() as s:
        for party in s.exec(select(Party).where(Party.case_id == demo.case_id)).all():
            party.gender = None
            s.add(party)
    doc = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="agreement")
    rows = _cells(doc.content)
    header = next(r for r in rows if "性别" in r)
    gender = {r[header.index("姓名")]: r[header.index("性别")] for r in rows[rows.index(header) + 1 :][:2]}
    assert gender == {"张三": "男", "李四": "女"}


def test_dossier_contents_show_the_court_number_in_single_brackets(db):
    demo = build_demo_case(db)
    dossier = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key="dossier")
    with zipfile.ZipFile(io.BytesIO(dossier.content)) as zf:
        toc = zf.read(f"人民调解卷宗_{demo.case_no}/02_卷内目录.docx")
    text = "\n".join("|".join(r) for r in _cells(toc))
    assert "江安县人民法院裁定确认有效，案号（2026）川0523民特12号" in text
    for doubled in ("（（", "（(", "((", "））", "）)", "))"):
        assert doubled not in text


def test_case_page_documents_one_of_each_kind_named_as_generated(db):
    demo = build_demo_case(db, archived=False)
    docs = documents.list_documents(db, actor=demo.mediator, case_id=demo.case_id)
    current = documents.current_documents(docs)
    assert [c.key for c in current][:2] == ["agreement", "performance_certificate"]
    assert len({c.kind for c in current}) == len(current) and "dossier" not in {c.kind for c in current}
    assert next(c for c in current if c.kind == "session").number == 2  # the newest session
    for choice in current:
        made = documents.generate_document(db, actor=demo.mediator, case_id=demo.case_id, key=choice.key)
        assert documents.file_name(demo.case_no, choice) == made.filename
