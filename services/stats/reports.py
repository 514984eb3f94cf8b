"""信息报送: monthly and quarterly statistical tables per organisation or region, on screen and as xlsx.

A report is data (tables of labelled cells) built from the same scans as the dashboard, so every total is
the dashboard's figure for the same actor and period and the sum of its rows: categories and sources get a
row for every dictionary value (zeros shown; retired values when they have cases; codes outside the
dictionary in one 其他 row), organisations a row for every child with cases in either period, and last
year's column covers the same rows. A month or quarter in progress counts up to today and is compared with
the same days a year earlier, as the dashboard's 本月 and 本季度 are. Titles, frame fields, sheets and
columns follow the layout in force (services/stats/report_layout.py); services/stats/report_sheet.py writes
the workbook. Also the machine-readable summary that `manage.py stats --json` prints.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from services.access.authz import Actor, require
from services.access.permissions import P
from services.core import clock
from services.core.i18n import translate
from services.lowcode import dictionaries
from services.stats import dashboard as stats
from services.stats import kpi as K
from services.stats.report_layout import OUTCOME, Layout, TableLayout, layout_for
from services.stats.report_sheet import Frame, Report, Table, workbook
from services.stats.report_sheet import safe as _safe
from services.stats.sql import Filters, Period
from services.supervision.figures import FIGURES as SUPERVISION_FIGURES
from services.supervision.figures import area_figures

__all__ = ["Frame", "Report", "Table", "_safe", "build_report", "export_report", "report_xlsx", "summary"]
OUTCOME_COLUMNS = stats.BREAKDOWN
RECEIVED = K.BY_ID["received"]
Line = tuple[str, stats.Row | None, stats.Row | None]  # label, this period, the same days last year


def monthly(year: int, month: int) -> Period:
    return Period.months(year * 100 + month, year * 100 + month)


def quarterly(year: int, quarter: int) -> Period:
    return Period.quarter(year, quarter)


def counted_period(period: Period, today: date) -> Period:
    """The days a report counts: a period in progress ends today, as the dashboard's 本月 and 本季度 do."""
    return Period(period.start, today) if period.start <= today < period.end else period


def change(previous: float | None, current: float | None, kpi: K.Kpi) -> float | None:
    """Year-on-year change: a count's growth rate (−decline rate), a rate's difference in points."""
    if previous is None or current is None:
        return None
    if kpi.kind in ("count", "sum"):
        decline = K.decline_rate(previous, current)
        return None if decline is None else -decline
    return current - previous


# ------------------------------------------------------------------------------------------------ tables


def _header(key: str, column: str, lang: str, layout: TableLayout) -> str:
    if layout.label(column):
        return layout.label(column)
    if column in OUTCOME or column == "success_rate":
        return K.BY_ID[column].name(lang)
    if column == "label":
        return translate(f"report.col_{key}", lang)
    if column == "last_year_received":
        return translate("report.col_last_year_received", lang)
    return translate(f"report.col_{column}", lang)


FORMATS: dict[str, str] = {
    "current": "kpi",
    "last_year": "kpi",
    "yoy": "change",
    "success_rate": "percent",
    "formula": "text",
}


def _table(key: str, lang: str, layout: TableLayout, cells: list[dict[str, Any]], kpis: tuple[str, ...] = ()) -> Table:
    columns = layout.columns
    return Table(
        key=key,
        title=layout.title or translate(f"report.table_{key}", lang),
        headers=tuple(_header(key, c, lang, layout) for c in columns),
        rows=tuple(tuple(row.get(c) for c in columns) for row in cells),
        formats=tuple(FORMATS.get(c) for c in columns),
        row_kpis=kpis,
        columns=columns,
    )


def _kpi_table(
    lang: str, layout: TableLayout, current: dict[str, float | None], last: dict[str, float | None]
) -> Table:
    kpis = [k for k in K.KPIS if k.headline]
    cells = [
        {
            "kpi": k.name(lang),
            "current": current.get(k.id),
            "last_year": last.get(k.id),
            "yoy": change(last.get(k.id), current.get(k.id), k),
            "formula": k.formula(lang),
        }
        for k in kpis
    ]
    return _table("kpis", lang, layout, cells, tuple(k.id for k in kpis))


def _supervision_table(
    session: Session, actor: Actor, lang: str, layout: TableLayout, area: str | None, period: Period
) -> Table:
    """督办 figures of the report's unit (None: the actor's area) and days, as the dashboard counts them
    (services/supervision/figures.py): orders opened in the days on the unit's cases."""
    f = area_figures(session, actor=actor, first=period.start, last=period.end, org_path=area)
    cells = [
        {
            "label": translate(f"supervision.figure.{name}", lang),
            "value": getattr(f, name),
            "formula": translate(f"supervision.formula.{name}", lang),
        }
        for name in SUPERVISION_FIGURES
    ]
    return _table("supervision", lang, layout, cells)


def _outcome_cells(label: str, now: dict[str, int], last_received: int) -> dict[str, Any]:
    return {
        "label": label,
        **now,
        "success_rate": K.ratio(now["succeeded"], now["mediated"]),
        "last_year_received": last_received,
        "yoy": change(last_received, now["received"], RECEIVED),
    }


def _outcome_table(key: str, lang: str, layout: TableLayout, lines: list[Line]) -> Table:
    """One row per line, then 合计: the sum of the rows, this period and last year alike."""
    cells, total, last_total = [], dict.fromkeys(OUTCOME, 0), 0
    for label, now, before in lines:
        counts = {c: now[c] if now is not None else 0 for c in OUTCOME}
        prev = before["received"] if before is not None else 0
        cells.append(_outcome_cells(label, counts, prev))
        total = {c: total[c] + counts[c] for c in OUTCOME}
        last_total += prev
    cells.append(_outcome_cells(translate("report.total", lang), total, last_total))
    return _table(key, lang, layout, cells)


def _dictionary_lines(
    session: Session, key: str, lang: str, now: dict[Any, stats.Row], before: dict[Any, stats.Row]
) -> list[Line]:
    """A row for every value of the dictionary in its order (retired ones only with cases), then 其他."""
    lines: list[Line] = [
        (e.label_en if lang == "en" else e.label_zh, now.get(e.code), before.get(e.code))
        for e in dictionaries.entries(session, key, active_only=False)
        if e.active or e.code in now or e.code in before
    ]
    if "" in now or "" in before:
        lines.append((translate("report.unlisted", lang), now.get(""), before.get("")))
    return lines


def _org_lines(lang: str, own: int, now: list[stats.Row], before: list[stats.Row]) -> list[Line]:
    """A row for every child organisation with cases in either period (biggest first), and 本级."""
    this = {r.key: r for r in now}
    last = {r.key: r for r in before}
    order = [r.key for r in now] + [r.key for r in before if r.key not in this]
    names = {r.key: r.name for r in (*before, *now)}
    own_label = translate("report.own_cases", lang)
    return [(own_label if k == own else names.get(k) or str(k), this.get(k), last.get(k)) for k in order]


def _totals(figures: dict[str, float | None]) -> stats.Row:
    return stats.Row(key="", counts={k: int(figures.get(k) or 0) for k in OUTCOME_COLUMNS})


# ------------------------------------------------------------------------------------------------ report


def build_report(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    org_id: int | None = None,
    lang: str = "zh-CN",
    today: date | None = None,
    layout: Layout | None = None,
    filled_by: str | None = None,
) -> Report:
    """The statistical tables of one organisation or region for one period, with last year beside them."""
    scope = stats.resolve_scope(session, actor, org_id)
    today = today or clock.today()
    layout = layout or layout_for(session)
    filters = Filters(period=counted_period(period, today), org_id=org_id)
    last_filters = filters.compared("previous-year")
    current, last = stats.figures_compared(session, actor=actor, filters=filters, other=last_filters, today=today)
    pairs = stats.by_category_source(session, scope, filters, today)
    last_pairs = stats.by_category_source(session, scope, last_filters, today)
    tables = []
    for spec in layout.tables:
        if spec.key == "kpis":
            tables.append(_kpi_table(lang, spec, current, last))
        elif spec.key == "supervision":
            area = None if org_id is None else scope.path
            tables.append(_supervision_table(session, actor, lang, spec, area, filters.period))
        elif spec.key == "org":
            now = stats.by_org(session, scope, filters, today)
            before = stats.by_org(session, scope, last_filters, today)
            tables.append(_outcome_table("org", lang, spec, _org_lines(lang, scope.org_id, now, before)))
        else:
            part = 0 if spec.key == "category" else 1
            this = {r.key: r for r in stats.roll_up(pairs, part, _totals(current))}
            prior = {r.key: r for r in stats.roll_up(last_pairs, part, _totals(last))}
            tables.append(_outcome_table(spec.key, lang, spec, _dictionary_lines(session, spec.key, lang, this, prior)))
    label = period_label(period, lang)
    title = (
        layout.title.replace("{org}", scope.name).replace("{period}", label)
        if layout.title
        else translate("report.title", lang, org=scope.name, period=label)
    )
    generated = clock.local_now()
    signer = actor.display_name if filled_by is None else filled_by
    frame = _frame(layout, lang, scope.name, (filters.period, period, last_filters.period), signer, generated)
    return Report(
        title=title,
        org_name=scope.name,
        period=filters.period,
        generated=generated,
        tables=tuple(tables),
        nominal=period,
        compare=last_filters.period,
        frame=frame,
    )


def _frame(
    layout: Layout, lang: str, unit: str, periods: tuple[Period, Period, Period], signer: str, at: datetime
) -> Frame:
    """The head and foot lines the layout names, labelled by the office or the catalogue."""
    counted, nominal, compare = periods
    values = {
        "unit": unit,
        "period": _range(counted, lang, in_progress=counted != nominal),
        "compare": _range(compare, lang),
        "unit_of_count": layout.value("unit_of_count"),
        "head_of_unit": layout.value("head_of_unit"),
        "filled_by": signer,
        "phone": layout.value("phone"),
        "filled_on": clock.format_local_date(at),  # China time
    }

    def fields(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        return tuple((layout.label(f) or translate(f"report.frame_{f}", lang), values[f]) for f in names)

    return Frame(fields(layout.head), fields(layout.foot), layout.paper, layout.orientation, layout.fit_to_width)


def _range(period: Period, lang: str, *, in_progress: bool = False) -> str:
    text = translate("report.range_label", lang, start=period.start.isoformat(), end=period.end.isoformat())
    return text + translate("report.in_progress_note", lang) if in_progress else text


def report_xlsx(session: Session, *, actor: Actor, report: Report, lang: str = "zh-CN") -> bytes:
    """The report as the statutory xlsx workbook offices hand in (services/stats/report_sheet.py lays it out)."""
    require(actor, P.REPORT_EXPORT)
    return workbook(report)


def export_report(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    org_id: int | None = None,
    lang: str = "zh-CN",
    today: date | None = None,
    filled_by: str | None = None,
) -> tuple[Report, bytes]:
    """The report and its workbook, as the 信息报送 page downloads it and `manage.py report` writes it."""
    report = build_report(
        session, actor=actor, period=period, org_id=org_id, lang=lang, today=today, filled_by=filled_by
    )
    return report, report_xlsx(session, actor=actor, report=report, lang=lang)


def period_label(period: Period, lang: str) -> str:
    """2026年10月 / 2026年第三季度 / 2026-01-05 至 2026-03-31, in the language."""
    first, last = period.first_month, period.last_month
    if period.whole_months and first == last:
        return translate("report.month_label", lang, year=first // 100, month=first % 100)
    if period.whole_months and first % 100 in (1, 4, 7, 10) and last == first + 2:
        return translate("report.quarter_label", lang, year=first // 100, quarter=(first % 100 + 2) // 3)
    return translate("report.range_label", lang, start=period.start.isoformat(), end=period.end.isoformat())


def parse_period(text: str) -> Period:
    """'2026-11' → November 2026, '2026-Q4' → the fourth quarter; a ValueError for anything else."""
    year, _, rest = text.strip().upper().partition("-")
    if rest.startswith("Q") and rest[1:].isdigit() and 1 <= int(rest[1:]) <= 4:
        return quarterly(int(year), int(rest[1:]))
    if year.isdigit() and len(year) == 4 and rest.isdigit() and 1 <= int(rest) <= 12:
        return monthly(int(year), int(rest))
    raise ValueError(f"not a month (2026-11) or a quarter (2026-Q4): {text!r}")


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
