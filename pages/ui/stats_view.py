"""Shared pieces of the statistics pages: filters in the URL, the filter form, number formats, altair charts.

Filters travel as query parameters, so every number links to its case list with `st.page_link` and a
list can be bookmarked or shared. Charts get only aggregated rows (a few dozen), never cases.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import altair as alt
import streamlit as st

from pages.nav import spec_for
from pages.ui.case_ui import open_case
from pages.ui.i18n import current_language, t
from pages.ui.widgets import status_label
from services.core.text import escape_markdown as esc
from services.stats import kpi as K
from services.stats.dashboard import Row
from services.stats.drilldown import CaseItem
from services.stats.sql import COMPARE_MODES, Filters, Period, Slice, add_months, month_of

PRESETS = ("this_month", "this_quarter", "this_year", "last_12", "custom")
CHART_HEIGHT = 240
TOP = 10


def preset_period(preset: str, today: date) -> Period:
    """The period a preset names, ending today (or this month)."""
    m = month_of(today)
    if preset == "this_month":
        return Period(date(today.year, today.month, 1), today)
    if preset == "this_quarter":
        first = today.year * 100 + (today.month - 1) // 3 * 3 + 1
        return Period(date(first // 100, first % 100, 1), today)
    if preset == "last_12":
        return Period.months(add_months(m, -11), m)
    return Period(date(today.year, 1, 1), today)


def to_params(filters: Filters, compare: str | None = None, **extra: Any) -> dict[str, str]:
    """Filters (and a drill-down's KPI and slice) as query parameters."""
    out = {"from": filters.period.start.isoformat(), "to": filters.period.end.isoformat()}
    for key, value in (
        ("org", filters.org_id),
        ("cat", filters.category),
        ("src", filters.source),
        ("cmp", compare),
        *extra.items(),
    ):
        if value not in (None, ""):
            out[key] = str(value)
    return out


def from_params(params: Mapping[str, str], default: Period) -> tuple[Filters, str | None]:
    """Filters from query parameters; anything malformed falls back to the default."""
    try:
        period = Period(date.fromisoformat(params["from"]), date.fromisoformat(params["to"]))
    except (KeyError, ValueError):
        period = default
    org = params.get("org", "")
    compare = params.get("cmp")
    return (
        Filters(
            period,
            org_id=int(org) if org.isdigit() else None,
            category=params.get("cat") or None,
            source=params.get("src") or None,
        ),
        compare if compare in COMPARE_MODES else None,
    )


def slice_from_params(params: Mapping[str, str]) -> Slice | None:
    month, org = params.get("m", ""), params.get("so", "")
    piece = Slice(
        month=int(month) if month.isdigit() else None,
        category=params.get("sc") or None,
        source=params.get("ss") or None,
        org_id=int(org) if org.isdigit() else None,
    )
    return None if piece == Slice() else piece


def drill_link(label: str, filters: Filters, **extra: Any) -> None:
    """A link to the list of exactly the cases behind a number."""
    st.page_link(
        spec_for("stats_cases").path,
        label=label,
        icon=":material/list:",
        query_params=to_params(filters, **extra),
        help=t("stats.drill_help"),
    )


def case_item(item: CaseItem, labels: Mapping[str, Mapping[str, str]], key: str) -> None:
    """One case behind a number or a warning, as a card with a one-tap open of its case page."""
    with st.container(border=True):
        head = st.container(horizontal=True, gap="small", vertical_alignment="center")
        head.text(item.case_no)
        head.badge(status_label(item.status), color="blue")
        if item.high_risk:
            head.badge(t("stats.high_risk_tag"), icon=":material/warning:", color="red")
        st.text(
            f"{labels['category'].get(item.category, item.category)} · {labels['source'].get(item.source, item.source)}"
        )
        st.caption(f"{item.received_on.isoformat()} · {esc(item.org_name)}")
        if st.button(t("stats.open_case"), key=f"{key}.open.{item.id}", icon=":material/open_in_new:", width="stretch"):
            open_case(item.id)


def fmt(value: float | None, kpi: K.Kpi) -> str:
    """601 → '601'; 0.9190 → '91.9%'; 4.338 → '4.34'; nothing to divide → '—'."""
    if value is None:
        return "—"
    if kpi.unit == "percent":
        return f"{value * 100:.1f}%"
    if kpi.unit == "score":
        return f"{value:.2f}"
    return f"{int(value):,}"


def delta(current: float | None, previous: float | None, kpi: K.Kpi) -> str | None:
    """The change against the comparison period: a count's growth in %, a rate's change in points (no sign
    when nothing changed, so the metric shows no arrow)."""
    if current is None or previous is None:
        return None
    if kpi.kind in ("count", "sum"):
        decline = K.decline_rate(previous, current)
        return None if decline is None else _signed(-decline * 100, "{:.1f}%")
    if kpi.unit == "percent":
        return t("stats.points", value=_signed((current - previous) * 100, "{:.1f}"))
    return _signed(current - previous, "{:.2f}")


def _signed(value: float, pattern: str) -> str:
    text = pattern.format(abs(value))
    return text if text == pattern.format(0) else ("+" if value > 0 else "-") + text


def unchanged(text: str | None) -> bool:
    return text is not None and text[:1] not in "+-"


def filter_form(
    choices: Sequence[tuple[int, str, int]], labels: Mapping[str, Mapping[str, str]], today: date, key: str
) -> tuple[Filters, str | None]:
    """The filter widgets (region/organisation, period, category, source, comparison) in an expander."""
    with st.expander(t("stats.filters"), icon=":material/filter_list:"):
        org_ids = [c[0] for c in choices]
        names = {c[0]: "\u3000" * c[2] + c[1] for c in choices}
        org = st.selectbox(t("stats.org"), org_ids, format_func=lambda i: names.get(i, str(i)), key=f"{key}.org")
        preset = (
            st.segmented_control(
                t("stats.period"),
                PRESETS,
                default="this_year",
                key=f"{key}.preset",
                format_func=lambda p: t(f"stats.preset_{p}"),
            )
            or "this_year"
        )
        period = preset_period(preset, today)
        if preset == "custom":
            picked = st.date_input(
                t("stats.custom_range"), value=(period.start, period.end), max_value=today, key=f"{key}.range"
            )
            if isinstance(picked, tuple) and len(picked) == 2:
                period = Period(picked[0], picked[1])
        category = st.selectbox(
            t("stats.category"),
            ["", *labels["category"]],
            key=f"{key}.category",
            format_func=lambda c: labels["category"].get(c, t("stats.all")),
        )
        source = st.selectbox(
            t("stats.source"),
            ["", *labels["source"]],
            key=f"{key}.source",
            format_func=lambda c: labels["source"].get(c, t("stats.all")),
        )
        compare = st.segmented_control(
            t("stats.compare"),
            [*COMPARE_MODES, "none"],
            default="previous-year",
            key=f"{key}.compare",
            format_func=lambda m: t(f"stats.compare_{m}"),
        )
    root = org_ids[0] if org_ids else None
    return (
        Filters(period, org_id=None if org == root else org, category=category or None, source=source or None),
        None if compare in (None, "none") else compare,
    )


def _frame(rows: Sequence[Row], label: Mapping[Any, str]) -> list[dict[str, Any]]:
    return [
        {
            "key": str(r.key),
            "name": label.get(r.key) or r.name or str(r.key),
            "received": r["received"],
            "succeeded": r["succeeded"],
            "rate": r.success_rate if r.success_rate is not None else None,
        }
        for r in rows
    ]


@functools.lru_cache(maxsize=8)
def _template(kind: str, lang: str) -> str:
    """A chart authored in altair and validated once per language, without data (the data goes in per render).

    altair validates every spec against the vega-lite JSON schema, which costs ~70 ms a chart on each
    rerun; the charts' shape never changes, only their aggregated rows, so it is validated once."""
    del lang  # part of the cache key: the titles below are in the current language
    pick = alt.selection_point(name="pick", fields=["key"])
    empty = alt.Data(values=[])
    if kind == "bar":
        chart: Any = (
            alt.Chart(empty)
            .mark_bar(cornerRadiusEnd=3)
            .encode(
                x=alt.X("received:Q", title=t("stats.kpi_received")),
                y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=110)),
                color=alt.condition(pick, alt.value("#1f6feb"), alt.value("#9db8e8")),
                tooltip=[
                    alt.Tooltip("name:N", title=t("stats.item")),
                    alt.Tooltip("received:Q", title=t("stats.kpi_received")),
                    alt.Tooltip("succeeded:Q", title=t("stats.kpi_succeeded")),
                    alt.Tooltip("rate:Q", title=t("stats.kpi_success_rate"), format=".1%"),
                ],
            )
            .add_params(pick)
        )
    else:
        base = alt.Chart(empty).encode(x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)))
        bars = (
            base.mark_bar(color="#9db8e8")
            .encode(
                y=alt.Y("received:Q", title=t("stats.kpi_received")),
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
                tooltip=[
                    alt.Tooltip("month:O", title=t("stats.month")),
                    alt.Tooltip("received:Q", title=t("stats.kpi_received")),
                    alt.Tooltip("succeeded:Q", title=t("stats.kpi_succeeded")),
                ],
            )
            .add_params(pick)
        )
        chart = (bars + base.mark_line(point=True, color="#1a7f37").encode(y="succeeded:Q")).properties(
            height=CHART_HEIGHT
        )
    return json.dumps(chart.to_dict())


def _with_data(kind: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(_template(kind, current_language()))
    spec["data"] = {"values": data}
    return spec


def bar_chart(rows: Sequence[Row], label: Mapping[Any, str]) -> dict[str, Any]:
    """Horizontal bars of received cases (the top ten); a click selects one bar."""
    data = _frame(list(rows)[:TOP], label)
    return {**_with_data("bar", data), "height": {"step": 30}}


def trend_chart(rows: Sequence[Row]) -> dict[str, Any]:
    """Received (bars) and succeeded (line) per month; a click selects a month."""
    return _with_data(
        "trend",
        [
            {
                "key": str(r.key),
                "month": f"{r.key // 100}-{r.key % 100:02d}",
                "received": r["received"],
                "succeeded": r["succeeded"],
            }
            for r in rows
        ],
    )


def selected_key(state: Any) -> str | None:
    """The key of the bar or month the user clicked, if any."""
    try:
        picked = state["selection"]["pick"]
    except (KeyError, TypeError):
        return None
    if isinstance(picked, list) and picked and isinstance(picked[0], dict):
        return str(picked[0].get("key"))
    return None


def language() -> str:
    return "en" if current_language() == "en" else "zh"
