"""The legacy ledger format: its columns (Chinese header or English alias), accepted values, file reading, template.

Columns are data: each names its Chinese header, its English alias, whether it is required and what a
cell may hold. Files are xlsx (the first sheet) or csv (UTF-8 or GB18030, comma or tab separated); the
first non-empty row is the header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from services.core.errors import ValidationFailed
from services.core.i18n import translate


@dataclass(frozen=True)
class Column:
    alias: str
    zh: str
    required: bool = False
    help_key: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("case_no", "编号"),
    Column("received_on", "受理日期", True),
    Column("source", "来源", True),
    Column("category", "纠纷类型", True),
    Column("org_code", "调解组织编码", True),
    Column("mediator", "调解员"),
    Column("status", "状态", True),
    Column("agreement", "协议形式"),
    Column("grade", "难度等级"),
    Column("closed_on", "结案日期"),
    Column("performance", "履行情况"),
    Column("confirmed", "司法确认"),
    Column("satisfaction", "满意度"),
    Column("summary", "简要案情"),
)
BY_ALIAS = {c.alias: c for c in COLUMNS}


@dataclass
class Parsed:
    line: int
    case_no: str
    received_on: date
    source: str
    category: str
    org: tuple[int, str, int | None]  # id, code, county_id
    status: str
    mediator_id: int | None = None
    mediator_name: str = ""
    agreement: str | None = None
    grade: str | None = None
    closed_on: date | None = None
    performance: str | None = None
    confirmed: bool = False
    satisfaction: int | None = None
    summary: str = ""


STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "submitted": ("待受理", "已提交", "已登记"),
    "accepted": ("已受理", "受理"),
    "in_mediation": ("调解中", "正在调解"),
    "succeeded": ("调解成功", "成功"),
    "failed": ("调解不成功", "调解失败", "不成功", "失败"),
    "withdrawn": ("撤回", "已撤回", "撤诉"),
    "rejected": ("不予受理", "已拒绝"),
    "followed_up": ("已回访", "回访"),
    "archived": ("已归档", "归档", "结案归档"),
}
AGREEMENT_WORDS: dict[str, tuple[str, ...]] = {"written": ("书面", "书面协议"), "oral": ("口头", "口头协议")}
PERFORMANCE_WORDS: dict[str, tuple[str, ...]] = {
    "pending": ("待履行", "未到期", "履行中"),
    "fulfilled": ("已履行", "履行完毕", "全部履行"),
    "partly": ("部分履行",),
    "breached": ("未履行", "违约", "不履行"),
}
YES_NO: dict[str, tuple[str, ...]] = {
    "yes": ("是", "已确认", "确认", "y", "true", "1"),
    "no": ("否", "未确认", "无", "n", "false", "0"),
}
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def vocabulary(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every accepted spelling (lower-cased) → its code."""
    out = {code: code for code in words}
    for code, spellings in words.items():
        out.update({s.lower(): code for s in spellings})
    return out


STATUS = vocabulary(STATUS_WORDS)
AGREEMENT = vocabulary(AGREEMENT_WORDS)
PERFORMANCE = vocabulary(PERFORMANCE_WORDS)
YES = vocabulary(YES_NO)


def text(value: Any) -> str:
    """A cell as trimmed text ('' for empty); whole floats from Excel lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date cell, or text YYYY-MM-DD (also / . and 年月日); None when it is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = DATE_RE.match(text(value))
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _header_key(cell: Any) -> str:
    """'受理日期（YYYY-MM-DD）*' → '受理日期'; 'Received_On' → 'received_on'."""
    s = re.sub(r"[（(].*?[)）]", "", text(cell)).replace("*", "").strip()
    return s.lower().replace(" ", "_")


def map_header(cells: list[Any]) -> tuple[dict[str, int], list[str]]:
    """Column alias → index for the recognised headers, and the headers not recognised."""
    names = {c.zh: c.alias for c in COLUMNS} | {c.alias: c.alias for c in COLUMNS}
    index: dict[str, int] = {}
    unknown = []
    for i, cell in enumerate(cells):
        key = _header_key(cell)
        head, _, tail = key.partition("_")  # '编号 case_no' → '编号' or 'case_no'
        alias = names.get(key) or names.get(head) or names.get(tail)
        if alias and alias not in index:
            index[alias] = i
        elif key:
            unknown.append(text(cell))
    return index, unknown


def read_rows(filename: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, cells) for every row of the first sheet or the csv, header included."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as err:
            raise ValidationFailed("import.err_file_unreadable") from err
        ws = wb.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield n, list(row)
        wb.close()
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                body = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationFailed("import.err_file_unreadable")
        dialect = "excel-tab" if body.split("\n", 1)[0].count("\t") > body.split("\n", 1)[0].count(",") else "excel"
        for n, row in enumerate(csv.reader(io.StringIO(body), dialect=dialect), start=1):
            yield n, list(row)
    else:
        raise ValidationFailed("import.err_file_type")


def template_xlsx(lang: str = "zh-CN") -> bytes:
    """An empty ledger with the Chinese headers, and a sheet explaining every column and its values."""
    wb = Workbook()
    ws = wb.active
    ws.title = translate("import.sheet_ledger", lang)
    ws.append([c.zh for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F1")
    for i, c in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 40 if c.alias == "summary" else 14
    notes = wb.create_sheet(translate("import.sheet_notes", lang))
    notes.append([translate(f"import.note_{k}", lang) for k in ("header", "alias", "required", "values")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for c in COLUMNS:
        notes.append(
            [
                c.zh,
                c.alias,
                translate("import.yes" if c.required else "import.no", lang),
                translate(f"import.values_{c.alias}", lang),
            ]
        )
    for col, width in zip("ABCD", (16, 16, 8, 90), strict=True):
        notes.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
