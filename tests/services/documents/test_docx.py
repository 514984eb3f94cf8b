"""The placeholder engine: runs split by Word, repeating rows and paragraphs, reproducible bytes; amounts."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import docx
import pytest

from services.documents.bundle import numbered, safe_name
from services.documents.context import cn_count, yuan_upper
from services.documents.docx import DocMeta, open_docx, placeholders, render, stray_braces

WHEN = datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)  # a ZIP keeps even seconds only
META = DocMeta(title="t", subject="s", author="a", when=WHEN)


def _template(build) -> bytes:  # type: ignore[no-untyped-def]
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _split_runs(document, pieces: list[str]):  # type: ignore[no-untyped-def]
    p = document.add_paragraph()
    for i, piece in enumerate(pieces):
        p.add_run(piece).bold = i % 2 == 0  # alternate formatting, as Word's edit history does
    return p


def test_fill_placeholder_split_across_runs_keeping_first_run_format():
    template = _template(lambda d: _split_runs(d, ["编号：{", "{ca", "se_", "no}", "} 完"]))
    out = open_docx(render(template, {"case_no": "2026-V1-00001"}, {}, META))
    p = out.paragraphs[0]
    assert p.text == "编号：2026-V1-00001 完"
    assert next(r for r in p.runs if "2026" in r.text).bold is True


def test_fill_headers_footers_and_tables():
    def build(d):  # type: ignore[no-untyped-def]
        d.sections[0].header.paragraphs[0].text = "页眉 {{case_no}}"
        d.sections[0].footer.paragraphs[0].text = "页脚 {{ case_no }}"
        d.add_table(rows=1, cols=1).cell(0, 0).text = "表 {{case_no}}"

    out = open_docx(render(_template(build), {"case_no": "C-1"}, {}, META))
    assert out.sections[0].header.paragraphs[0].text == "页眉 C-1"
    assert out.sections[0].footer.paragraphs[0].text == "页脚 C-1"
    assert out.tables[0].cell(0, 0).text == "表 C-1"


def test_repeat_table_row_per_item_and_leave_other_rows():
    def build(d):  # type: ignore[no-untyped-def]
        t = d.add_table(rows=3, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "姓名", "电话"
        t.cell(1, 0).text, t.cell(1, 1).text = "{{party.name}}", "{{party.phone}}（{{case_no}}）"
        t.cell(2, 0).text = "合计"

    loops = {"party": [{"name": "张三", "phone": "138"}, {"name": "李四", "phone": ""}]}
    out = open_docx(render(_template(build), {"case_no": "C-1"}, loops, META))
    assert [[c.text for c in r.cells] for r in out.tables[0].rows] == [
        ["姓名", "电话"],
        ["张三", "138（C-1）"],
        ["李四", "（C-1）"],
        ["合计", ""],
    ]


def test_repeat_paragraph_outside_tables_and_show_empty_list():
    template = _template(lambda d: (d.add_paragraph("• {{item.a}}"), d.add_paragraph("后")))
    out = open_docx(render(template, {}, {"item": [{"a": "一"}, {"a": "二"}]}, META))
    assert [p.text for p in out.paragraphs] == ["• 一", "• 二", "后"]
    empty = open_docx(render(template, {}, {"item": []}, META, empty_text="无"))
    assert [p.text for p in empty.paragraphs] == ["• 无", "后"]


def test_split_lines_into_paragraphs_keeping_indent():
    def build(d):  # type: ignore[no-untyped-def]
        d.add_paragraph("协议：{{terms}}。").paragraph_format.first_line_indent = 304800

    out = open_docx(render(_template(build), {"terms": "一、甲\r\n二、乙"}, {}, META))
    assert [p.text for p in out.paragraphs] == ["协议：一、甲", "二、乙。"]
    assert {p.paragraph_format.first_line_indent for p in out.paragraphs} == {304800}


def test_insert_values_literally_and_blank_unknown_names():
    template = _template(lambda d: d.add_paragraph("{{a}}|{{unknown}}|{{b}}"))
    out = open_docx(render(template, {"a": "{{b}}", "b": "x\x00\x0by"}, {}, META))
    assert out.paragraphs[0].text == "{{b}}||xy"  # user text is never read as a placeholder; control chars go


def test_render_same_bytes_each_time_with_given_dates():
    template = _template(lambda d: d.add_paragraph("{{a}}"))
    first, second = (render(template, {"a": "1"}, {}, META) for _ in range(2))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 1, 2, 3, 4, 6)}
        assert zf.namelist()[0] == "[Content_Types].xml"
    props = open_docx(first).core_properties
    assert props.created == props.modified == WHEN
    assert props.title == "t" and props.author == "a" and props.revision == 1


def test_find_placeholders_and_broken_braces():
    document = open_docx(
        _template(lambda d: (_split_runs(d, ["{{ok", "}} {{party.name}}"]), d.add_paragraph("{{bad name}} {{x")))
    )
    assert placeholders(document) == {"ok", "party.name"}
    assert len(stray_braces(document)) == 1


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (500_000, "人民币伍仟元整"),
        (123_456, "人民币壹仟贰佰叁拾肆元伍角陆分"),
        (100_105, "人民币壹仟零壹元零伍分"),
        (1_050_000, "人民币壹万零伍佰元整"),
        (10_001_000, "人民币壹拾万零壹拾元整"),
        (10_000_100_000, "人民币壹亿零壹仟元整"),
        (50, "人民币伍角整"),
        (0, "人民币零元整"),
    ],
)
def test_write_amounts_in_chinese_capitals(fen: int, text: str):
    assert yuan_upper(fen) == text


def test_count_copies_and_name_files():
    assert [cn_count(n) for n in (1, 3, 10, 12, 20)] == ["一", "三", "十", "十二", "二十"]
    assert safe_name("../../etc/passwd", "x") == "passwd"
    assert safe_name('a<b>:"c|?.jpg', "x") == "a_b___c__.jpg"
    assert safe_name(" .. ", "fallback") == "fallback"
    assert numbered(7, 13, "a") == "07_a" and numbered(7, 130, "a") == "007_a"
