"""The statutory report (信息报送) as data and as the xlsx workbook offices hand in.

A report is tables of labelled cells plus its frame (填报单位, 统计期间, 负责人, 填报人, 填报日期 …) and print
setup, all decided by services/stats/reports.py from the layout in force; this module only lays them out:
one sheet per table, the title and the head lines above the column headers, the 合计 row, the signature
lines below, A4 (or A3) landscape fitted to the page width with the header rows repeated on every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from services.stats import kpi as K
from services.stats.sql import Period

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
PERCENT, SCORE = "0.00%", "0.00"
BLANK = "＿＿＿＿＿＿"  # a line to fill in by hand
GAP = "\u3000\u3000"
HEADER_ROW = 3  # title, head line, column headers: the rows repeated on every printed page
SHEET_NAME_BANNED = re.compile(r"[\[\]:*?/\\']")


@dataclass(frozen=True)
class Table:
    """One table of a report: a title, column ids and headers, and rows of cells (str, int, float or None)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    formats: tuple[str | None, ...]  # per column: None, "percent", "change", or "kpi" (the row's KPI unit)
    row_kpis: tuple[str, ...] = ()  # the KPI id of each row (the KPI table)
    columns: tuple[str, ...] = ()  # the column ids (services/stats/report_layout.py COLUMNS)

    def column(self, column_id: str) -> list[Any]:
        """The cells of one column, top to bottom (the 合计 row last in a breakdown)."""
        i = self.columns.index(column_id)
        return [row[i] for row in self.rows]


@dataclass(frozen=True)
class Frame:
    """What surrounds every table: the head and foot lines (label, value) and the print setup."""

    head: tuple[tuple[str, str], ...]
    foot: tuple[tuple[str, str], ...]
    paper: str = "A4"
    orientation: str = "landscape"
    fit_to_width: bool = True


@dataclass(frozen=True)
class Report:
    title: str
    org_name: str
    period: Period  # the days counted: a month or quarter in progress ends today
    generated: datetime
    tables: tuple[Table, ...]
    nominal: Period | None = None  # the month or quarter asked for
    compare: Period | None = None  # the same days a year earlier
    frame: Frame = Frame((), ())

    @property
    def in_progress(self) -> bool:
        return self.nominal is not None and self.nominal != self.period


def safe(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def frame_line(fields: tuple[tuple[str, str], ...]) -> str:
    """'填报单位：江安县　　填报人：＿＿＿＿' — a blank value is a line to fill in by hand."""
    return GAP.join(f"{label}：{value or BLANK}" for label, value in fields)


def sheet_names(titles: list[str]) -> list[str]:
    """Titles Excel accepts as sheet names: no []:*?/\\' characters, at most 31 long, each once."""
    out: list[str] = []
    for i, title in enumerate(titles, start=1):
        name = SHEET_NAME_BANNED.sub("", title).strip()[:31] or f"Sheet{i}"
        while name in out:
            name = f"{name[:28]}({i})"
        out.append(name)
    return out


def workbook(report: Report) -> bytes:
    """The report as the statutory xlsx workbook: one sheet per table with the frame and print setup."""
    wb = Workbook()
    wb.remove(wb.active)
    for table, name in zip(report.tables, sheet_names([t.title for t in report.tables]), strict=True):
        _write_sheet(wb.create_sheet(name), report, table)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_sheet(ws: Worksheet, report: Report, table: Table) -> None:
    width = len(table.headers)
    _merged_line(ws, 1, width, report.title, Font(bold=True, size=16), "center")
    _merged_line(ws, 2, width, frame_line(report.frame.head), Font(size=10), "left")
    ws.append(list(table.headers))
    for cell in ws[HEADER_ROW]:
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, row in enumerate(table.rows):
        ws.append([safe(v) for v in row])
        _format_row(ws, ws.max_row, table, K.BY_ID[table.row_kpis[i]] if table.row_kpis else None)
    if not table.row_kpis and table.rows and table.key != "supervision":  # 督办 figures have no 合计 row
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)  # the 合计 row
    if report.frame.foot:
        _merged_line(ws, ws.max_row + 2, width, frame_line(report.frame.foot), Font(size=10), "left")
    for i, header in enumerate(table.headers, start=1):
        longest = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in table.rows])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest * 1.6 + 2))
    ws.freeze_panes = f"B{HEADER_ROW + 1}"
    _page_setup(ws, report.frame)


def _merged_line(ws: Worksheet, row: int, width: int, text: str, font: Font, align: str) -> None:
    cell = ws.cell(row=row, column=1, value=safe(text))
    cell.font = font
    cell.alignment = Alignment(horizontal=align, vertical="center")
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.row_dimensions[row].height = 28 if row == 1 else 20


def _page_setup(ws: Worksheet, frame: Frame) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if frame.paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.orientation = frame.orientation
    if frame.fit_to_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.print_title_rows = f"1:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5


def _format_row(ws: Worksheet, r: int, table: Table, kpi: K.Kpi | None) -> None:
    unit = (
        PERCENT
        if kpi is not None and kpi.unit == "percent"
        else SCORE
        if kpi is not None and kpi.unit == "score"
        else "#,##0"
    )
    for c, fmt in enumerate(table.formats, start=1):
        cell = ws.cell(row=r, column=c)
        cell.border = BOX
        if fmt == "percent":
            cell.number_format = PERCENT
        elif fmt == "kpi":
            cell.number_format = unit
        elif fmt == "change":  # a count's growth in %, a rate's or score's change in points
            cell.number_format = "+0.00;-0.00;0.00" if unit == SCORE else "+0.00%;-0.00%;0.00%"
        elif fmt == "text" and kpi is not None:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
