"""The cases behind one statistic: exactly those it counts, newest first, a page at a time (no personal data)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.stats_view import case_item, from_params, language, preset_period, slice_from_params
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.admin import xlsx as xlsx_io
from services.cases import export as case_export
from services.cases import warnings
from services.core import clock
from services.core.text import escape_markdown as esc
from services.lowcode import dictionaries
from services.stats import drilldown
from services.stats import kpi as K

actor = require_page(P.STATS_VIEW)
db = get_db()
lang = current_language()
today = clock.today()
params = {
    k: st.query_params.get(k, "")
    for k in ("from", "to", "org", "cat", "src", "cmp", "k", "p", "a", "m", "sc", "ss", "so")
}
filters, _ = from_params(params, preset_period("this_year", today))
piece = slice_from_params(params)
alert = params["a"] if params["a"] in drilldown.ALERT_KINDS else None
kpi = K.BY_ID.get(params["k"] or "received", K.BY_ID["received"])
part = "denominator" if params["p"] == "d" and kpi.ratio else "numerator"

if alert:
    rule = warnings.BY_ID[alert]  # the dashboard's and the workbench's one definition
    st.title(esc(rule.name(lang)))
    st.caption(t("stats.alert_now", rule=rule.rule(lang)))
else:
    counted = K.BY_ID[kpi.ratio[0 if part == "numerator" else 1]] if kpi.ratio else kpi
    st.title(counted.name(lang))
    st.caption(t("stats.formula", formula=counted.formula(lang)))
    if kpi.ratio:
        st.info(t("stats.ratio_parts", kpi=kpi.name(lang), formula=kpi.formula(lang)), icon=":material/percent:")
        with st.container(horizontal=True):
            for other, code, kid in (("numerator", "n", kpi.ratio[0]), ("denominator", "d", kpi.ratio[1])):
                st.page_link(
                    spec_for("stats_cases").path,
                    label=t(f"stats.part_{other}", name=K.BY_ID[kid].name(lang)),
                    query_params={**{k: v for k, v in params.items() if v}, "p": code},
                    disabled=other == part,
                    icon=":material/list:",
                )

cursor_key = f"stats_cases.after.{sorted(params.items())}"
after = st.session_state.get(cursor_key)
with db.read() as s:
    labels = {d: dictionaries.labels(s, d, language()) for d in ("category", "source")}
    if alert:
        page = attempt(
            partial(drilldown.list_alerts, s, actor=actor, filters=filters, kind=alert, after=after, today=today)
        )
        total = attempt(partial(drilldown.count_alerts, s, actor=actor, filters=filters, kind=alert, today=today))
    else:
        page = attempt(
            lambda: drilldown.list_cases(
                s, actor=actor, filters=filters, kpi_id=kpi.id, part=part, piece=piece, after=after, today=today
            )
        )
        total = attempt(
            lambda: drilldown.count_cases(
                s, actor=actor, filters=filters, kpi_id=kpi.id, part=part, piece=piece, today=today
            )
        )
if page is None:
    st.stop()

scope_bits = [f"{filters.period.start.isoformat()} — {filters.period.end.isoformat()}"] if not alert else []
if piece is not None:
    if piece.month:
        scope_bits.append(f"{piece.month // 100}-{piece.month % 100:02d}")
    scope_bits += [labels["category"].get(piece.category or "", ""), labels["source"].get(piece.source or "", "")]
if filters.category:
    scope_bits.append(labels["category"].get(filters.category, filters.category))
if filters.source:
    scope_bits.append(labels["source"].get(filters.source, filters.source))
st.caption(" · ".join(b for b in scope_bits if b))
if total is not None:
    st.metric(t("stats.list_total"), f"{total:,}")
if actor.can(P.REPORT_EXPORT):

    def export() -> bytes:  # runs on the download click: no st.* here
        with db.read() as s:
            return case_export.export_cases_xlsx(
                s,
                actor=actor,
                filters=filters,
                kpi_id=kpi.id,
                part=part,
                piece=piece,
                alert=alert,
                lang=lang,
                today=today,
            )

    st.download_button(
        t("customfields.export"),
        data=export,
        file_name=f"{t('customfields.export_file')}.xlsx",
        mime=xlsx_io.XLSX_MIME,
        key="stats_cases.export",
        on_click="ignore",
        width="stretch",
        icon=":material/download:",
    )

if not page.items:
    st.info(t("stats.list_empty"), icon=":material/inbox:")
for item in page.items:
    case_item(item, labels, "stats_cases")

nav1, nav2 = st.columns(2)
if after is not None and nav1.button(
    t("stats.first_page"), key="stats_cases.first", width="stretch", icon=":material/first_page:"
):
    st.session_state.pop(cursor_key, None)
    st.rerun()
if page.after is not None and nav2.button(
    t("stats.next_page"), key="stats_cases.next", width="stretch", icon=":material/navigate_next:"
):
    st.session_state[cursor_key] = page.after
    st.rerun()
st.page_link(spec_for("dashboard").path, label=t("stats.back"), icon=":material/arrow_back:")
