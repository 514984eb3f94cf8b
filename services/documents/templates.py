"""The default document templates: laid out with python-docx from services/documents/layouts.py.

`python -m services.documents.templates` rewrites assets/templates/*.docx; the output is reproducible
(fixed core properties and ZIP times), so a test checks the committed files against a fresh build.
An office may replace any of them (services/documents/office_templates.py); these are what it starts from.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt
from docx.table import Table, _Cell

from services.core.config import ROOT
from services.documents.docx import DocMeta, save_docx
from services.documents.layouts import COLUMN_WEIGHTS, LAYOUTS, Block

TEMPLATE_DIR = ROOT / "assets" / "templates"
TEXT_WIDTH = Cm(15.6)  # A4 less 2.8 cm left and 2.6 cm right margins
BUILT = datetime(2026, 1, 1, tzinfo=UTC)
SERIF, SANS, LATIN = "宋体", "黑体", "Times New Roman"
TABLE_PT = 10.5  # 五号: the size of many-column tables
Doc = Any  # docx.document.Document (python-docx ships no precise types for it)


def _fonts(rpr: Any, east_asia: str = SERIF) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for key, value in (("w:ascii", LATIN), ("w:hAnsi", LATIN), ("w:cs", LATIN), ("w:eastAsia", east_asia)):
        fonts.set(qn(key), value)


def _setup(document: Doc) -> None:
    """A4, margins, 宋体 小四 with Chinese as the East Asian language, no space after paragraphs."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr)
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    for tag, value in (("w:sz", "24"), ("w:szCs", "24")):
        rpr.find(qn(tag)).set(qn("w:val"), value)
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "320")
    spacing.set(qn("w:lineRule"), "auto")


def _run(paragraph: Any, text: str, *, bold: bool = False, size: float | None = None, east_asia: str = SERIF) -> None:
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if east_asia != SERIF:
        _fonts(run._r.get_or_add_rPr(), east_asia)


def _paragraph(document: Doc, kind: str, text: str, size: float = 22) -> None:
    p = document.add_paragraph()
    fmt = p.paragraph_format
    if kind == "title":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.space_before, fmt.space_after = Pt(0), Pt(12)
        _run(p, text, bold=True, size=size, east_asia=SANS)
        return
    if kind in ("number", "right"):
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if kind == "heading":
        fmt.space_before = Pt(8)
    if kind == "para":
        fmt.first_line_indent = Pt(24)
    if kind == "number":
        fmt.space_after = Pt(8)
    _run(p, text, bold=kind == "heading", size=10.5 if kind == "note" else None)


def _widths(table: Table, weights: tuple[int, ...]) -> list[Emu]:
    total = sum(weights)
    widths = [Emu(int(TEXT_WIDTH * w / total)) for w in weights]
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(width.twips)))
    table.autofit = False  # w:tblLayout fixed: the widths hold in Word, WPS and LibreOffice
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return widths


def _cell(cell: _Cell, text: str, *, label: bool = False, size: float | None = None) -> None:
    p = cell.paragraphs[0]
    if label:  # shading goes before the vertical alignment (schema order of w:tcPr)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        shade = OxmlElement("w:shd")
        for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "F2F2F2")):
            shade.set(qn(key), value)
        cell._tc.get_or_add_tcPr().append(shade)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _run(p, text, bold=label, size=size)


def _form(document: Doc, rows: list[tuple[str, ...]], height: float = 0.9) -> None:
    """A bordered grid of labels and values; a two-item row's value spans the row."""
    cols = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=cols)
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (4, 5, 4, 5) if cols == 4 else (1, 3))
    for row, items in zip(table.rows, rows, strict=True):
        row.height = Cm(height)
        cells = row.cells
        if len(items) < cols:
            cells = [cells[0], cells[1].merge(cells[cols - 1])]
        for i, (cell, text) in enumerate(zip(cells, items, strict=True)):
            _cell(cell, text, label=i % 2 == 0)
    document.add_paragraph()


def _table(
    document: Doc, headers: tuple[str, ...], cells: tuple[str, ...], weights: tuple[int, ...] | None = None
) -> None:
    """A header row repeated on every page and one body row that repeats per list item."""
    table = document.add_table(rows=2, cols=len(headers))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    _widths(table, weights or COLUMN_WEIGHTS[len(headers)])
    head = table.rows[0]
    head._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, text in zip(head.cells, headers, strict=True):
        _cell(cell, text, label=True, size=TABLE_PT)
    table.rows[1].height = Cm(0.9)
    for cell, text in zip(table.rows[1].cells, cells, strict=True):
        _cell(cell, text, size=TABLE_PT)
    document.add_paragraph()


def _sign(document: Doc, left: str, right: str) -> None:
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (1, 1))
    table.rows[0].height = Cm(1.2)
    for cell, text in zip(table.rows[0].cells, (left, right), strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        _run(cell.paragraphs[0], text)


def _field(paragraph: Any, instruction: str) -> None:
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    run, text = OxmlElement("w:r"), OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _footer(document: Doc) -> None:
    """Case number and page x of y on every page."""
    p = document.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in ("{{case_no}}　第 ", "PAGE", " 页 / 共 ", "NUMPAGES", " 页"):
        if piece.isupper():
            _field(p, f" {piece} ")
        else:
            _run(p, piece, size=9)


def _block(document: Doc, block: Block) -> None:
    kind = block[0]
    if kind == "form":
        _form(document, *block[1:])
    elif kind == "table":
        _table(document, *block[1:])
    elif kind == "sign":
        _sign(document, block[1], block[2])
    elif kind == "gap":
        document.add_paragraph()
    else:
        _paragraph(document, kind, *block[1:])


def build_template(kind: str) -> bytes:
    """The default template of one document kind, as DOCX bytes (the same bytes every time)."""
    document = docx.Document()
    _setup(document)
    for block in LAYOUTS[kind]:
        _block(document, block)
    _footer(document)
    return save_docx(document, DocMeta(title=kind, subject="", author="Mediation Hub", when=BUILT))


def default_template(kind: str) -> bytes:
    """The shipped template of `kind` from assets/templates (built when a checkout lacks it)."""
    path = TEMPLATE_DIR / f"{kind}.docx"
    return path.read_bytes() if path.is_file() else build_template(kind)


def build_all(directory: Path = TEMPLATE_DIR) -> list[Path]:
    """Write every default template; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in LAYOUTS:
        path = directory / f"{kind}.docx"
        path.write_bytes(build_template(kind))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_DIR):
        print(written_path)
