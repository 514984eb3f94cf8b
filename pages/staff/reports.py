"""信息报送: the monthly or quarterly statistical tables of an organisation or region, on screen and as xlsx."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.stats_view import delta, fmt
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core import clock
from services.stats import dashboard as stats
from services.stats import kpi as K
from services.stats import reports

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
with db.read() as s, st.spinner(t("report.building")):
    report = attempt(lambda: reports.build_report(s, actor=actor, period=period, org_id=org_id, lang=lang, today=today))
if report is None:
    st.stop()
st.subheader(report.title)
st.caption(t("report.basis"))

if actor.can(P.REPORT_EXPORT):
    with db.read() as s:
        data = attempt(partial(reports.report_xlsx, s, actor=actor, report=report, lang=lang))
    if data is not None:
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


def cell(value: Any, fmt: str | None) -> Any:
    """How a report cell reads on screen."""
    if value is None:
        return "—"
    if fmt in ("percent", "change") and isinstance(value, float):
        return f"{value * 100:+.1f}%" if fmt == "change" else f"{value * 100:.1f}%"
    return value


for table in report.tables:
    st.markdown(f"**{table.title}**")
    if table.row_kpis:
        kpis = [K.BY_ID[k] for k in table.row_kpis]
        rows = [
            {
                table.headers[0]: r[0],
                table.headers[1]: fmt(r[1], k),
                table.headers[2]: fmt(r[2], k),
                table.headers[3]: delta(r[1], r[2], k) or "—",
            }
            for r, k in zip(table.rows, kpis, strict=True)
        ]
    else:
        rows = [{h: cell(v, f) for h, v, f in zip(table.headers, r, table.formats, strict=True)} for r in table.rows]
    st.dataframe(rows, hide_index=True, width="stretch", key=f"reports.table_{table.key}")
