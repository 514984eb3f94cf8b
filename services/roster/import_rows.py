"""Roster import rows: read organisation and mediator rows, check them against the database, write them at once.

Reading is pure (cells → typed rows + row errors); checking needs the database (codes, parents, scope, phones);
writing inserts every row with Core executemany inside the caller's one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel

from services.admin.specs import ENUMS
from services.core.i18n import translate
from services.core.security import normalise_phone, valid_phone

Progress = Callable[[str, int, int], None]
ORG_SHEET, MEDIATOR_SHEET = "调解组织", "调解员"
SHEET_ALIASES = {
    ORG_SHEET: ORG_SHEET,
    "organisations": ORG_SHEET,
    MEDIATOR_SHEET: MEDIATOR_SHEET,
    "mediators": MEDIATOR_SHEET,
}
_SPLIT = re.compile(r"[、,，;；/\n]+")
_BRACKETS = re.compile(r"[()（）\s]")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


@dataclass(frozen=True)
class ImportColumn:
    key: str
    zh: str
    en: str
    required: bool = False
    enum: str = ""  # values are an admin enum, written as its Chinese or English label or its code
    max_len: int = 0


ORG_COLUMNS = (
    ImportColumn("code", "组织编码", "Code", True, max_len=32),
    ImportColumn("name", "组织名称", "Name", True, max_len=120),
    ImportColumn("kind", "组织类型", "Kind", True, enum="org_kind"),
    ImportColumn("parent_code", "上级组织编码", "Parent code", True, max_len=32),
    ImportColumn("sector", "专业领域", "Sector", enum="sector"),
    ImportColumn("address", "地址", "Address", max_len=200),
    ImportColumn("phone", "办公电话", "Office phone", max_len=40),
    ImportColumn("hours", "办公时间", "Opening hours", max_len=80),
    ImportColumn("population", "服务人口", "Population"),
    ImportColumn("active", "是否启用", "Active"),
)
MEDIATOR_COLUMNS = (
    ImportColumn("name", "姓名", "Name", True, max_len=60),
    ImportColumn("gender", "性别", "Gender", enum="gender"),
    ImportColumn("phone", "手机号码", "Mobile"),
    ImportColumn("org_code", "所属组织编码", "Organisation code", True, max_len=32),
    ImportColumn("employment", "用工类型", "Employment", True, enum="employment"),
    ImportColumn("specialties", "擅长领域", "Specialties"),
    ImportColumn("certificate_no", "证书编号", "Certificate no.", max_len=60),
    ImportColumn("start_date", "入职日期", "Start date"),
    ImportColumn("status", "状态", "Status", enum="mediator_status"),
)
COLUMNS = {ORG_SHEET: ORG_COLUMNS, MEDIATOR_SHEET: MEDIATOR_COLUMNS}


@dataclass(frozen=True)
class RowError:
    """One problem of one row (row 1 is the header), shown before anything is written."""

    sheet: str
    row: int
    column: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parsed:
    """A workbook read into rows (plain dicts keyed by column) and the problems found in its cells."""

    digest: str = ""  # sha256 of the file, kept in the audit log
    orgs: list[dict[str, Any]] = field(default_factory=list)
    mediators: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def norm(text: str) -> str:
    return _BRACKETS.sub("", text).lower()


def enum_lookup(enum: str) -> dict[str, str]:
    """Normalised code, Chinese label or English label → code."""
    out: dict[str, str] = {}
    for value in ENUMS[enum]:
        for text in (
            value,
            translate(f"admin.enum.{enum}.{value}", "zh-CN"),
            translate(f"admin.enum.{enum}.{value}", "en"),
        ):
            out[norm(text)] = value
    return out


YES = {"是", "y", "yes", "1", "true", "启用", "在用", "√"}
NO = {"否", "n", "no", "0", "false", "停用", "撤销", "×"}


class RowReader:
    """Typed values of one row; every problem becomes a RowError and the value None."""

    def __init__(self, sheet: str, row: int, cells: Mapping[str, Any], errors: list[RowError]) -> None:
        self.sheet, self.row, self.cells, self.errors = sheet, row, cells, errors
        self.headers = {c.key: c.zh for c in COLUMNS[sheet]}

    def fail(self, key: str, error: str, **params: Any) -> None:
        self.errors.append(RowError(self.sheet, self.row, self.headers.get(key, ""), error, params))

    def text(self, col: ImportColumn) -> str:
        raw = self.cells.get(col.key)
        value = "" if raw is None else (str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw))
        value = value.strip()
        if col.required and not value:
            self.fail(col.key, "error.roster_required")
        elif col.max_len and len(value) > col.max_len:
            self.fail(col.key, "error.admin_too_long", max=col.max_len)
        return value

    def enum(self, col: ImportColumn, lookup: Mapping[str, str]) -> str | None:
        value = self.text(col)
        if not value:
            return None
        code = lookup.get(norm(value))
        if code is None:
            self.fail(col.key, "error.roster_unknown_value", value=value[:40])
        return code

    def code(self, col: ImportColumn) -> str:
        value = self.text(col).upper()
        if value and not CODE_RE.match(value):
            self.fail(col.key, "error.admin_code_format")
        return value

    def integer(self, col: ImportColumn) -> int:
        value = self.text(col).replace(",", "").replace("，", "")
        try:
            number = int(float(value)) if value else 0
        except ValueError:
            number = -1
        if number < 0:
            self.fail(col.key, "error.roster_bad_number", value=value[:20])
        return max(number, 0)

    def flag(self, col: ImportColumn) -> bool:
        value = self.text(col).lower()
        if value and value not in YES | NO:
            self.fail(col.key, "error.roster_unknown_value", value=value[:20])
        return value not in NO

    def phone(self, col: ImportColumn, *, mobile: bool) -> str:
        value = normalise_phone(self.text(col))
        if value and mobile and not valid_phone(value):
            self.fail(col.key, "error.phone_invalid")
        elif len(value) > 40:
            self.fail(col.key, "error.admin_too_long", max=40)
        return value

    def day(self, col: ImportColumn) -> date | None:
        raw = self.cells.get(col.key)
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, int | float) and 20_000 < raw < 80_000:  # an Excel serial day without a date format
            converted: datetime = from_excel(raw)
            return converted.date()
        text = self.text(col)
        if not text:
            return None
        parts = re.split(r"[-/.年月日]", text)
        try:
            y, m, d = (int(p) for p in parts[:3])
            return date(y, m, d)
        except (TypeError, ValueError):
            self.fail(col.key, "error.roster_bad_date", value=text[:20])
            return None

    def codes(self, col: ImportColumn, lookup: Mapping[str, str]) -> list[str]:
        found: list[str] = []
        for part in (p.strip() for p in _SPLIT.split(self.text(col)) if p.strip()):
            code = lookup.get(norm(part))
            if code is None:
                self.fail(col.key, "error.roster_unknown_value", value=part[:40])
            elif code not in found:
                found.append(code)
        return found


def read_org(reader: RowReader, lookups: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    c = {col.key: col for col in ORG_COLUMNS}
    return {
        "row": reader.row,
        "code": reader.code(c["code"]),
        "name": reader.text(c["name"]),
        "kind": reader.enum(c["kind"], lookups["org_kind"]),
        "parent_code": reader.code(c["parent_code"]),
        "sector": reader.enum(c["sector"], lookups["sector"]),
        "address": reader.text(c["address"]),
        "phone": reader.phone(c["phone"], mobile=False),
        "hours": reader.text(c["hours"]),
        "population": reader.integer(c["population"]),
        "active": reader.flag(c["active"]),
    }


def read_mediator(reader: RowReader, lookups: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    c = {col.key: col for col in MEDIATOR_COLUMNS}
    return {
        "row": reader.row,
        "name": reader.text(c["name"]),
        "gender": reader.enum(c["gender"], lookups["gender"]),
        "phone": reader.phone(c["phone"], mobile=True),
        "org_code": reader.code(c["org_code"]),
        "employment": reader.enum(c["employment"], lookups["employment"]),
        "specialties": reader.codes(c["specialties"], lookups["category"]),
        "certificate_no": reader.text(c["certificate_no"]),
        "start_date": reader.day(c["start_date"]),
        "status": reader.enum(c["status"], lookups["mediator_status"]) or "active",
    }


def header_map(sheet: str, header: Sequence[Any], errors: list[RowError]) -> dict[int, str]:
    """Column index → field key, from the header texts (Chinese or English, a trailing * ignored)."""
    known = {norm(n): c.key for c in COLUMNS[sheet] for n in (c.zh, c.en, c.key)}
    found = {
        i: known[norm(str(h).rstrip("*＊ "))]
        for i, h in enumerate(header)
        if h is not None and norm(str(h).rstrip("*＊ ")) in known
    }
    for col in COLUMNS[sheet]:
        if col.required and col.key not in found.values():
            errors.append(RowError(sheet, 1, col.zh, "error.roster_column_missing"))
    return found


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
