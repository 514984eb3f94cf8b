"""信息报送: the monthly or quarterly statistical tables of an organisation or region, on screen and as xlsx."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.report_layout_editor import layout_editor
from pages.ui.stats_view import fmt as stats_fmt
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.core.text import escape_markdown
from services.stats import dashboard as stats
from services.stats import kpi as K
from services.stats import reports
from services.stats.report_sheet import frame_line

actor = require_page(P.STATS_VIEW)
db = get_db()
lang = current_language()
today = clock.today()
with db.read() as s:
    choices = stats.org_choices(s, actor=actor)

st.title(t("report.page_title"))
names = {c[0]: "\u3000" * c[2] + c[1] for c in choices}
org = st.selectbox(
    t("stats.org"), [c[0] for c in choices], format_func=lambda i: names.get(i, str(i)), key="reports.org"
)
kind = (
    st.segmented_control(
        t("report.kind"),
        ["month", "quarter"],
        default="month",
        key="reports.kind",
        format_func=lambda k: t(f"report.kind_{k}"),
    )
    or "month"
)
years = list(range(today.year, today.year - 6, -1))
c1, c2 = st.columns(2)
year = c1.selectbox(t("report.year"), years, key="reports.year")
if kind == "month":
    last = today.month if year == today.year else 12
    month = c2.selectbox(
        t("report.month"),
        list(range(last, 0, -1)),
        key="reports.month",
        format_func=lambda m: t("report.month_n", month=m),
    )
    period = reports.monthly(year, month)
else:
    last_q = (today.month - 1) // 3 + 1 if year == today.year else 4
    quarter = c2.selectbox(
        t("report.quarter"),
        list(range(last_q, 0, -1)),
        key="reports.quarter",
        format_func=lambda q: t("report.quarter_n", quarter=q),
    )
    period = reports.quarterly(year, quarter)

org_id = None if choices and org == choices[0][0] else org
can_export = actor.can(P.REPORT_EXPORT)
with db.read() as s, st.spinner(t("report.building")):
    built = attempt(
        lambda: (
            reports.export_report(s, actor=actor, period=period, org_id=org_id, lang=lang, today=today)
            if can_export
            else (reports.build_report(s, actor=actor, period=period, org_id=org_id, lang=lang, today=today), b"")
        )
    )
if built is None:
    st.stop()
report, data = built
if (saved := st.session_state.pop("reports.layout_saved", None)) is not None:
    st.success(t("report.layout_saved", version=saved))
st.subheader(escape_markdown(report.title))
st.caption(t("report.basis"))
if report.in_progress and report.compare is not None:
    st.info(
        t(
            "report.in_progress",
            start=report.period.start.isoformat(),
            end=report.period.end.isoformat(),
            compare_start=report.compare.start.isoformat(),
            compare_end=report.compare.end.isoformat(),
        ),
        icon=":material/schedule:",
    )
st.text(frame_line(report.frame.head))

if can_export:
    st.download_button(
        t("report.download"),
        data=data,
        file_name=f"{report.title}.xlsx",
        width="stretch",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="reports.download",
        on_click="ignore",
    )


def cell(value: Any, fmt: str | None, kpi: K.Kpi | None) -> Any:
    """How a report cell reads on screen (the workbook keeps the numbers)."""
    if value is None:
        return "—"
    if fmt == "kpi" and kpi is not None:
        return stats_fmt(value, kpi)
    if fmt == "change":
        if kpi is not None and kpi.unit == "score":
            return f"{value:+.2f}"
        if kpi is not None and kpi.kind not in ("count", "sum"):
            return t("stats.points", value=f"{value * 100:+.1f}")
        return f"{value * 100:+.1f}%"
    return f"{value * 100:.1f}%" if fmt == "percent" else value


for table in report.tables:
    st.markdown(f"**{escape_markdown(table.title)}**")
    kpis: list[K.Kpi | None] = [K.BY_ID[k] for k in table.row_kpis] or [None] * len(table.rows)
    rows = [
        {h: cell(v, f, k) for h, v, f in zip(table.headers, r, table.formats, strict=True)}
        for r, k in zip(table.rows, kpis, strict=True)
    ]
    st.dataframe(rows, hide_index=True, width="stretch", key=f"reports.table_{table.key}")
st.text(frame_line(report.frame.foot))

if actor.can(P.LOWCODE_EDIT):
    layout_editor(db, actor)
