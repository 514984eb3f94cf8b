"""Statistics dashboard: headline KPIs with formulas, trend, breakdowns and alerts; each number opens its cases."""

from __future__ import annotations

from typing import Any, Literal

import streamlit as st

from pages.ui import supervision_figures
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.stats_view import (
    bar_chart,
    delta,
    drill_link,
    filter_form,
    fmt,
    language,
    selected_key,
    trend_chart,
    unchanged,
)
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.cases import warnings
from services.core import clock
from services.lowcode import dictionaries
from services.stats import dashboard as stats
from services.stats import kpi as K

SECTIONS = (
    ("stats.section_work", ("received", "accepted", "mediated", "succeeded", "failed", "success_rate")),
    ("stats.section_agreements", ("performance_rate", "confirmed", "confirmation_rate", "oral_agreements")),
    ("stats.section_linkage", ("on_the_spot", "pre_litigation_succeeded", "screening_prevented")),
    ("stats.section_risk", ("high_risk", "civil_to_criminal", "group_disputes", "group_people", "overdue")),
    ("stats.section_satisfaction", ("satisfaction", "satisfaction_rate")),
)
CELL = 150  # px: the narrowest a number card gets before the grid drops a column
DELTA_COLOR: dict[str | None, Literal["normal", "inverse", "off"]] = {"up": "normal", "down": "inverse", None: "off"}
ALERTS = (
    ("high_risk", ":material/warning:"),
    ("accept", ":material/schedule:"),
    ("conclude", ":material/hourglass_bottom:"),
    ("follow_up", ":material/phone_callback:"),
)

actor = require_page(P.STATS_VIEW)
db = get_db()
lang = current_language()
today = clock.today()
with db.read() as s:
    choices = stats.org_choices(s, actor=actor)
    labels = {d: dictionaries.labels(s, d, language()) for d in ("category", "source")}

st.title(t("stats.title"))
filters, compare = filter_form(choices, labels, today, "dashboard")
with db.read() as s:
    board = attempt(lambda: stats.dashboard(s, actor=actor, filters=filters, compare=compare, today=today))
if board is None:
    st.stop()
st.caption(
    t(
        "stats.scope_caption",
        org=board.scope.name,
        start=filters.period.start.isoformat(),
        end=filters.period.end.isoformat(),
    )
)
if board.compare is not None:
    st.caption(
        t(
            f"stats.compare_caption_{compare}",
            start=board.compare.period.start.isoformat(),
            end=board.compare.period.end.isoformat(),
        )
    )


def metric(kid: str, board: stats.Dashboard) -> None:
    """One KPI: its value, the change against the comparison period, its formula, the link to its cases."""
    kpi = K.BY_ID[kid]
    previous = board.previous.get(kid) if board.previous else None
    change = delta(board.current.get(kid), previous, kpi)
    with st.container(border=True):
        st.metric(
            kpi.name(lang),
            fmt(board.current.get(kid), kpi),
            delta=change,
            delta_color=DELTA_COLOR[kpi.better],
            delta_arrow="off" if unchanged(change) else "auto",
            help=t("stats.formula", formula=kpi.formula(lang)),
        )
        drill_link(t("stats.drill"), filters, k=kid)


for title, ids in SECTIONS:
    st.subheader(t(title))
    with st.grid(min_column_width=CELL, gap="small"):  # two cards a row on a phone, four on a desktop
        for kid in ids:
            metric(kid, board)

with get_db().read() as s:
    held = stats.session_counts(s, actor=actor, filters=filters)
st.caption(
    t(
        "stats.sessions_line",
        total=held["sessions"],
        online=held["online_sessions"],
        offline=held["sessions"] - held["online_sessions"],
    )
)

st.subheader(t("stats.section_alerts"))
st.caption(t("stats.warnings_caption", definition=warnings.definition(lang)))
with st.grid(min_column_width=CELL, gap="small"):
    for kind, icon in ALERTS:
        count = board.alerts.high_risk if kind == "high_risk" else board.alerts.overdue[kind]
        with st.container(border=True):
            rule = warnings.BY_ID[kind]
            st.metric(rule.name(lang), f"{count:,}", help=rule.rule(lang), icon=icon)
            drill_link(t("stats.drill"), filters, a=kind)
st.caption(t("stats.overdue_total", n=f"{board.alerts.overdue_total:,}"))
flags = [f"{t('flag.' + f)} {n}" for f, n in board.alerts.by_flag.items() if n]
if flags:
    st.caption(t("stats.flags_caption", flags=" · ".join(flags)))
supervision_figures.render(actor, filters.period.start, filters.period.end)  # 督办 (issue 18)

st.subheader(t("stats.section_charts"))
org_names = {r.key: r.name or t("stats.own_cases") for r in board.by_org}
org_names[board.scope.org_id] = t("stats.own_cases")
category_names = {**labels["category"], "": t("stats.unlisted")}
source_names = {**labels["source"], "": t("stats.unlisted")}
tabs = st.tabs([t("stats.tab_trend"), t("stats.tab_category"), t("stats.tab_source"), t("stats.tab_org")])
charts: list[tuple[Any, str, Any, dict[Any, str], str]] = [
    (
        tabs[0],
        "trend",
        trend_chart(board.by_month),
        {str(r.key): f"{r.key // 100}-{r.key % 100:02d}" for r in board.by_month},
        "m",
    ),
    (tabs[1], "category", bar_chart(board.by_category, category_names), category_names, "sc"),
    (tabs[2], "source", bar_chart(board.by_source, source_names), source_names, "ss"),
    (tabs[3], "org", bar_chart(board.by_org, org_names), org_names, "so"),
]
for tab, name, chart, names, param in charts:
    with tab:
        state = st.vega_lite_chart(
            chart, width="stretch", on_select="rerun", selection_mode="pick", key=f"dashboard.chart_{name}"
        )
        picked = selected_key(state)
        if picked is not None and picked != "":
            label = names.get(picked) or names.get(int(picked) if picked.isdigit() else picked) or picked
            drill_link(t("stats.drill_slice", item=label), filters, k="received", **{param: picked})
        else:
            st.caption(t("stats.chart_hint"))
