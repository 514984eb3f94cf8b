"""Excel (xlsx) in and out: the roster import (template, preview, all-or-nothing commit) and list export.

Import: `preview_import` reads the workbook and reports every row error without writing; `commit_import` reads
it again and, inside the caller's single write transaction, checks and writes every row or nothing.
Export: any admin list with its current search and filters; text that a spreadsheet would run as a formula
(= + - @, tab, CR) is neutralised by a leading apostrophe.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from services.access.authz import Actor, require
from services.access.permissions import P
from services.admin import entities as admin
from services.admin.forms import dict_labels
from services.admin.specs import ENUMS, get_spec, label_key
from services.core.errors import DomainError, ValidationFailed
from services.core.i18n import translate
from services.roster.import_access import IMPORT_PERMISSION
from services.roster.import_rows import (
    COLUMNS,
    MEDIATOR_SHEET,
    ORG_SHEET,
    SHEET_ALIASES,
    Parsed,
    Progress,
    RowError,
    RowReader,
    enum_lookup,
    header_map,
    norm,
    read_mediator,
    read_org,
)
from services.roster.import_write import OrgRef, check_rows, write_rows

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000  # per sheet
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


class ImportInvalid(DomainError):
    """The workbook has row errors: nothing was written."""

    key = "error.roster_import_invalid"


@dataclass(frozen=True)
class ImportPreview:
    orgs: int
    mediators: int
    errors: list[RowError]
    updates: int = 0  # mediator rows that update an existing mediator (same mobile, or same name and organisation)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would evaluate (=, +, -, @, tab, CR first) gets a leading apostrophe; bad XML goes."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


# --- template ------------------------------------------------------------------------------------------


def _labels(enum: str) -> list[str]:
    return [translate(f"admin.enum.{enum}.{v}", "zh-CN") for v in ENUMS[enum]]


def template_bytes() -> bytes:
    """The import workbook: one sheet per kind with Chinese headers (* = required), drop-downs and a notes sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, columns in COLUMNS.items():
        ws = wb.create_sheet(sheet)
        ws.append([c.zh + ("*" if c.required else "") for c in columns])
        for i, c in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
            ws.column_dimensions[get_column_letter(i)].width = max(12, len(c.zh) * 3)
            choices = _labels(c.enum) if c.enum else (["是", "否"] if c.key == "active" else [])
            if choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
                dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}{MAX_ROWS + 1}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    for line in _notes():
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    for row in notes.iter_rows():
        row[0].alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _notes() -> list[str]:
    return [
        "填写说明（带 * 的列必填；第一行是表头，请勿修改）",
        "“调解组织”表：组织编码只用大写字母、数字、-、_；上级组织编码可以是系统中已有的组织，也可以是本表中的另一行。",
        "组织类型可选：" + "、".join(_labels("org_kind")),
        "专业领域（专业性调委会填写）：" + "、".join(_labels("sector")),
        "“调解员”表：所属组织编码可以是系统中已有的组织，也可以是“调解组织”表中的一行；手机号码为11位，同一号码只能登记一次。",
        "用工类型可选："
        + "、".join(_labels("employment"))
        + "；状态可选："
        + "、".join(_labels("mediator_status"))
        + "（不填为在岗）",
        "擅长领域填写纠纷类型名称，多个用顿号“、”分隔，例如：婚姻家庭纠纷、邻里纠纷。入职日期如 2024-03-01。",
        "导入前系统会先逐行检查并列出所有问题；只有全部无误时才会一次性导入，任何一行有误都不会写入。",
    ]


# --- reading -------------------------------------------------------------------------------------------


def _sheet_rows(data: bytes) -> Iterator[tuple[str, list[tuple[int, tuple[Any, ...]]]]]:
    if len(data) > MAX_BYTES:
        raise ValidationFailed("error.roster_file_too_large", mb=MAX_BYTES // (1024 * 1024))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any unreadable workbook is the user's file problem, not ours
        raise ValidationFailed("error.roster_file_unreadable") from exc
    try:
        found = False
        for ws in wb.worksheets:
            sheet = SHEET_ALIASES.get(ws.title.strip().lower()) or SHEET_ALIASES.get(ws.title.strip())
            if sheet is None:
                continue
            found = True
            rows: list[tuple[int, tuple[Any, ...]]] = []
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if any(v is not None and str(v).strip() for v in values):
                    rows.append((n, values))
                if len(rows) > MAX_ROWS + 1:
                    raise ValidationFailed("error.roster_too_many_rows", sheet=sheet, max=MAX_ROWS)
            yield sheet, rows
        if not found:
            raise ValidationFailed("error.roster_no_sheets", orgs=ORG_SHEET, mediators=MEDIATOR_SHEET)
    finally:
        wb.close()


def parse_workbook(session: Session, data: bytes, progress: Progress | None = None) -> Parsed:
    """Every row of the organisation and mediator sheets, typed, with the errors found in the cells themselves."""
    lookups = {e: enum_lookup(e) for e in ("org_kind", "sector", "gender", "employment", "mediator_status")}
    zh, en = dict_labels(session, "category", "zh-CN"), dict_labels(session, "category", "en")
    lookups["category"] = {norm(text): code for code in zh for text in (code, zh[code], en.get(code, code))}
    parsed = Parsed(digest=hashlib.sha256(data).hexdigest())
    for sheet, rows in _sheet_rows(data):
        if not rows:
            continue
        (_, header), body = rows[0], rows[1:]
        index = header_map(sheet, header, parsed.errors)
        if any(e.row == 1 and e.sheet == sheet for e in parsed.errors):
            continue
        for done, (n, values) in enumerate(body, start=1):
            cells = {key: values[i] if i < len(values) else None for i, key in index.items()}
            reader = RowReader(sheet, n, cells, parsed.errors)
            if sheet == ORG_SHEET:
                parsed.orgs.append(read_org(reader, lookups))
            else:
                parsed.mediators.append(read_mediator(reader, lookups))
            if progress and done % 1000 == 0:
                progress("read", done, len(body))
    return parsed


def _require_for(actor: Actor, parsed: Parsed) -> None:
    if parsed.orgs:
        require(actor, P.ORG_EDIT)
    if parsed.mediators:
        require(actor, P.ROSTER_EDIT)
    if not parsed.orgs and not parsed.mediators and not parsed.errors:
        raise ValidationFailed("error.roster_empty")


def read_import(session: Session, *, actor: Actor, data: bytes, progress: Progress | None = None) -> Parsed:
    """Read the workbook into typed rows and the errors found in the cells themselves (nothing is written)."""
    require(actor, IMPORT_PERMISSION)
    parsed = parse_workbook(session, data, progress)
    _require_for(actor, parsed)
    return parsed


def _checked(
    session: Session, actor: Actor, source: bytes | Parsed, progress: Progress | None
) -> tuple[Parsed, dict[str, OrgRef]]:
    parsed = source if isinstance(source, Parsed) else read_import(session, actor=actor, data=source, progress=progress)
    _require_for(actor, parsed)
    work = replace(parsed, errors=list(parsed.errors))  # the database checks add to a copy
    return work, check_rows(session, actor, work)


def preview_import(
    session: Session, *, actor: Actor, data: bytes | Parsed, progress: Progress | None = None
) -> ImportPreview:
    """Every problem of every row, checked against the database; nothing is written."""
    require(actor, IMPORT_PERMISSION)
    work, _ = _checked(session, actor, data, progress)
    updates = sum(1 for m in work.mediators if m.get("update_id"))
    return ImportPreview(len(work.orgs), len(work.mediators), work.errors, updates)


def commit_import(
    session: Session, *, actor: Actor, data: bytes | Parsed, progress: Progress | None = None
) -> tuple[int, int]:
    """Check again and write every row in the caller's transaction; any error writes nothing (ImportInvalid)."""
    require(actor, IMPORT_PERMISSION)
    work, known = _checked(session, actor, data, progress)
    if work.errors:
        raise ImportInvalid(count=len({(e.sheet, e.row) for e in work.errors}))
    return write_rows(session, actor, work, known, digest=work.digest, progress=progress)


# --- export --------------------------------------------------------------------------------------------


def export_xlsx(
    session: Session, *, actor: Actor, entity: str, query: admin.ListQuery | None = None, lang: str = "zh-CN"
) -> bytes:
    """The admin list as searched and filtered, as an xlsx workbook (personal fields masked as on screen)."""
    spec = get_spec(entity)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(translate(spec.title_key, lang)[:31])
    for i in range(1, len(spec.list_display) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 18
    ws.freeze_panes = "A2"
    header = []
    for name in spec.list_display:
        cell = WriteOnlyCell(ws, value=neutralise(translate(label_key(spec.model, name), lang)))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in admin.iter_export(session, actor=actor, entity=entity, query=query, lang=lang):
        ws.append([neutralise(row.cells.get(n, "")) for n in spec.list_display])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
