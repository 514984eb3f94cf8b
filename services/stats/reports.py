"""信息报送: monthly and quarterly statistical tables per organisation or region, on screen and as xlsx.

A report is data (tables of labelled cells) built from the same scans as the dashboard; the page renders
it and `report_xlsx` lays it out for the office with Chinese headers. Counts by category × outcome, by
source and by organisation, every KPI with the same period last year, and the machine-readable summary
that `manage.py stats --json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import clock
from services.core.i18n import translate
from services.lowcode import dictionaries
from services.stats import dashboard as stats
from services.stats import kpi as K
from services.stats.sql import Filters, Period

OUTCOME_COLUMNS = stats.BREAKDOWN
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
PERCENT, SCORE = "0.00%", "0.00"


@dataclass(frozen=True)
class Table:
    """One table of a report: a title, column headers and rows of cells (str, int, float or None)."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    formats: tuple[str | None, ...]  # per column: None, "percent", "change", or "kpi" (the row's KPI unit)
    row_kpis: tuple[str, ...] = ()  # the KPI id of each row (the KPI table)


@dataclass(frozen=True)
class Report:
    title: str
    org_name: str
    period: Period
    generated: datetime
    tables: tuple[Table, ...]


def monthly(year: int, month: int) -> Period:
    return Period.months(year * 100 + month, year * 100 + month)


def quarterly(year: int, quarter: int) -> Period:
    return Period.quarter(year, quarter)


def change(previous: float | None, current: float | None, kpi: K.Kpi) -> float | None:
    """Year-on-year change: a count's growth rate (−decline rate), a rate's difference in points."""
    if previous is None or current is None:
        return None
    if kpi.kind in ("count", "sum"):
        decline = K.decline_rate(previous, current)
        return None if decline is None else -decline
    return current - previous


def _kpi_table(lang: str, current: dict[str, float | None], last: dict[str, float | None]) -> Table:
    kpis = [k for k in K.KPIS if k.headline]
    rows = tuple(
        (k.name(lang), current.get(k.id), last.get(k.id), change(last.get(k.id), current.get(k.id), k), k.formula(lang))
        for k in kpis
    )
    headers = tuple(translate(f"report.col_{c}", lang) for c in ("kpi", "current", "last_year", "yoy", "formula"))
    return Table(
        "kpis",
        translate("report.table_kpis", lang),
        headers,
        rows,
        (None, "kpi", "kpi", "change", None),
        tuple(k.id for k in kpis),
    )


def _outcome_table(
    key: str, lang: str, rows: list[stats.Row], last: dict[Any, stats.Row], label: dict[Any, str]
) -> Table:
    headers = (
        translate(f"report.col_{key}", lang),
        *(K.BY_ID[c].name(lang) for c in OUTCOME_COLUMNS),
        K.BY_ID["success_rate"].name(lang),
        translate("report.col_last_year_received", lang),
        translate("report.col_yoy", lang),
    )
    body = []
    totals = dict.fromkeys(OUTCOME_COLUMNS, 0)
    last_total = 0
    for r in rows:
        prev = last[r.key]["received"] if r.key in last else 0
        last_total += prev
        body.append(
            (
                label.get(r.key) or r.name or str(r.key),
                *(r[c] for c in OUTCOME_COLUMNS),
                r.success_rate,
                prev,
                change(prev, r["received"], K.BY_ID["received"]),
            )
        )
        for c in OUTCOME_COLUMNS:
            totals[c] += r[c]
    total_row = (
        translate("report.total", lang),
        *totals.values(),
        K.ratio(totals["succeeded"], totals["mediated"]),
        last_total,
        change(last_total, totals["received"], K.BY_ID["received"]),
    )
    formats = (None, *([None] * len(OUTCOME_COLUMNS)), "percent", None, "change")
    return Table(key, translate(f"report.table_{key}", lang), headers, (*body, total_row), formats)


def build_report(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    org_id: int | None = None,
    lang: str = "zh-CN",
    today: date | None = None,
) -> Report:
    """The statistical tables of one organisation or region for one period, with last year beside them."""
    scope = stats.resolve_scope(session, actor, org_id)
    today = today or clock.today()
    filters = Filters(period=period, org_id=org_id)
    last_filters = filters.compared("previous-year")
    current = stats.figures(session, actor=actor, filters=filters, today=today)
    last = stats.figures(session, actor=actor, filters=last_filters, today=today)
    total = stats.Row(key="", counts={k: int(current.get(k) or 0) for k in OUTCOME_COLUMNS})
    pairs = stats.by_category_source(session, scope, filters, today)
    last_pairs = stats.by_category_source(session, scope, last_filters, today)
    tables = [_kpi_table(lang, current, last)]
    for part, key in ((0, "category"), (1, "source")):
        labels = dictionaries.labels(session, key, "en" if lang == "en" else "zh")
        labels[""] = translate("report.unlisted", lang)
        last_rows = {r.key: r for r in stats.roll_up(last_pairs, part)}
        tables.append(_outcome_table(key, lang, stats.roll_up(pairs, part, total), last_rows, labels))
    orgs = stats.by_org(session, scope, filters, today)
    last_orgs = {r.key: r for r in stats.by_org(session, scope, last_filters, today)}
    tables.append(_outcome_table("org", lang, orgs, last_orgs, {scope.org_id: translate("report.own_cases", lang)}))
    title = translate("report.title", lang, org=scope.name, period=period_label(period, lang))
    return Report(title=title, org_name=scope.name, period=period, generated=clock.local_now(), tables=tuple(tables))


def period_label(period: Period, lang: str) -> str:
    """2026年10月 / 2026年第三季度 / 2026-01-05 至 2026-03-31, in the language."""
    first, last = period.first_month, period.last_month
    if period.whole_months and first == last:
        return translate("report.month_label", lang, year=first // 100, month=first % 100)
    if period.whole_months and first % 100 in (1, 4, 7, 10) and last == first + 2:
        return translate("report.quarter_label", lang, year=first // 100, quarter=(first % 100 + 2) // 3)
    return translate("report.range_label", lang, start=period.start.isoformat(), end=period.end.isoformat())


def summary(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    compare: str | None = None,
    decline_of: str = "received",
    today: date | None = None,
) -> dict[str, Any]:
    """The machine-readable statistics: KPI id → value (rates as fractions to 4 places), and the decline."""
    today = today or clock.today()
    current = stats.figures(session, actor=actor, filters=filters, today=today)
    out: dict[str, Any] = {k.id: K.rounded(current[k.id], k) for k in K.KPIS}
    out.update(stats.session_counts(session, actor=actor, filters=filters))
    if compare:
        other = filters.compared(compare)
        previous = stats.figures(session, actor=actor, filters=other, today=today)
        decline = K.decline_rate(previous[decline_of] or 0, current[decline_of] or 0)
        out[K.DECLINE.id] = None if decline is None else round(decline, 4)
        out["previous"] = {k.id: K.rounded(previous[k.id], k) for k in K.KPIS}
        out["period"] = _period_dict(filters, other, compare, decline_of)
    else:
        out["period"] = _period_dict(filters, None, None, None)
    return out


def _period_dict(
    filters: Filters, other: Filters | None, compare: str | None, decline_of: str | None
) -> dict[str, Any]:
    d: dict[str, Any] = {"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat()}
    if other is not None:
        d.update(
            {
                "compare": compare,
                "compare_from": other.period.start.isoformat(),
                "compare_to": other.period.end.isoformat(),
                "decline_of": decline_of,
            }
        )
    return d


# ------------------------------------------------------------------------------------------------ xlsx


def _safe(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_xlsx(session: Session, *, actor: Actor, report: Report, lang: str = "zh-CN") -> bytes:
    """The report as an xlsx workbook: one sheet per table, Chinese headers, numbers as numbers."""
    require(actor, P.REPORT_EXPORT)
    wb = Workbook()
    wb.remove(wb.active)
    for table in report.tables:
        ws = wb.create_sheet(table.title[:31])
        width = len(table.headers)
        ws.append([report.title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append([translate("report.subtitle", lang, table=table.title, at=clock.format_local(report.generated))])
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
        ws.append(list(table.headers))
        for cell in ws[3]:
            cell.font, cell.fill, cell.border = Font(bold=True), HEAD_FILL, BOX
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i, row in enumerate(table.rows):
            ws.append([_safe(v) for v in row])
            _format_row(ws, ws.max_row, table, K.BY_ID[table.row_kpis[i]] if table.row_kpis else None)
        for i, header in enumerate(table.headers, start=1):
            longest = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in table.rows])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest * 1.6 + 2))
        ws.freeze_panes = "B4"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _format_row(ws: Any, r: int, table: Table, kpi: K.Kpi | None) -> None:
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
        elif c == len(table.formats) and kpi is not None:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
