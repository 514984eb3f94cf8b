"""The register list's widgets: filters, totals, the altair chart and the entries as a table."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import altair as alt
import streamlit as st

from pages.ui.i18n import current_language, t
from services.core.text import escape_markdown as esc
from services.lowcode.fields import FieldSpec, display_value
from services.lowcode.register_views import EntryQuery, EntryRow, Totals, chart_by_field, chart_by_month, chart_fields


def filters(fields: list[FieldSpec], orgs: dict[int, str]) -> EntryQuery:
    """The filter widgets (folded away on a phone), read into a query."""
    lang = current_language()
    q = EntryQuery()
    q.search = st.text_input(
        t("register.search"), key="registers.search", placeholder=t("register.search_hint"), icon=":material/search:"
    )
    with st.expander(t("register.filters"), icon=":material/filter_list:"):
        span = st.date_input(t("register.date_range"), value=[], key="registers.dates")
        if isinstance(span, tuple | list) and span:
            q.date_from, q.date_to = span[0], span[-1]
        elif isinstance(span, date):
            q.date_from = q.date_to = span
        if len(orgs) > 1:
            q.org_id = st.selectbox(
                t("register.org"),
                [None, *orgs],
                key="registers.org",
                format_func=lambda o: t("register.all") if o is None else orgs[o],
            )
        for f in chart_fields(fields):
            codes = ["yes", "no"] if f.type == "yes_no" else [c for c, _, _ in f.options]
            choices: list[str | None] = [None, *codes]
            picked = st.selectbox(
                esc(f.label(lang)), choices, key=f"registers.eq.{f.key}", format_func=partial(_choice_label, f, lang)
            )
            if picked is not None:
                q.equals[f.key] = (picked == "yes") if f.type == "yes_no" else picked
    return q


def _choice_label(f: FieldSpec, lang: str, code: str | None) -> str:
    if code is None:
        return t("register.all")
    return t(f"form.{code}") if f.type == "yes_no" else f.option_label(code, lang)


def show_totals(fields: list[FieldSpec], tot: Totals) -> None:
    lang = current_language()
    cols = st.columns(2)
    cols[0].metric(t("register.count"), tot.count)
    for i, f in enumerate(f for f in fields if f.key in tot.sums):
        value = tot.sums[f.key]
        cols[(i + 1) % 2].metric(t("register.sum_of", field=f.label(lang)), int(value) if value.is_integer() else value)


def chart(fields: list[FieldSpec], rows: list[EntryRow]) -> None:
    """A bar chart by any choice field, or a line of entries per month."""
    lang = current_language()
    by = {f.key: f for f in chart_fields(fields)}
    pick = st.selectbox(
        t("register.chart_by"),
        ["month", *by],
        key="registers.chart_by",
        format_func=lambda k: t("register.by_month") if k == "month" else by[k].label(lang),
    )
    count = t("register.count")
    if pick == "month" or pick not in by:
        data = [{t("register.month"): d["month"], count: d["count"]} for d in chart_by_month(rows)]
        c: Any = (
            alt.Chart(alt.Data(values=data))
            .mark_bar()
            .encode(
                x=alt.X(f"{t('register.month')}:N", title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y(f"{count}:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1)),
            )
        )
    else:
        data = [{t("register.value"): d["label"], count: d["count"]} for d in chart_by_field(by[pick], rows, lang)]
        c = (
            alt.Chart(alt.Data(values=data))
            .mark_bar()
            .encode(
                y=alt.Y(f"{t('register.value')}:N", sort="-x", title=None),
                x=alt.X(f"{count}:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1)),
            )
        )
    if not data:
        st.caption(t("register.no_entries"))
        return
    height = 200 if pick == "month" or pick not in by else max(120, 32 * len(data))
    st.altair_chart(c.properties(height=height), width="stretch")


def table(fields: list[FieldSpec], rows: list[EntryRow]) -> None:
    """The entries as a table (values as plain text: ID numbers masked, photos counted)."""
    lang = current_language()
    shown = [f for f in fields if f.type != "long_text"][:6]
    data = [
        {
            t("register.col_reference"): r.reference,
            t("register.col_day"): r.day.isoformat(),
            **{f.label(lang): display_value(f, r.data.get(f.key), lang) for f in shown},
            t("register.col_org"): r.org_name,
            t("register.col_submitted"): r.submitted,  # China time
            t("register.col_channel"): t(f"register.channel_{r.channel}"),
        }
        for r in rows
    ]
    st.dataframe(data, hide_index=True, width="stretch", key="registers.table")


def entry_detail(fields: list[FieldSpec], rows: list[EntryRow], photos: Any) -> None:
    """One entry in full, as plain text, with its photos (`photos(entry_id)` loads them)."""
    lang = current_language()
    by_id = {r.id: r for r in rows}
    pick = st.selectbox(
        t("register.open_entry"),
        [None, *by_id],
        key="registers.entry",
        format_func=lambda i: (
            t("register.choose_entry") if i is None else f"{by_id[i].reference} · {by_id[i].day.isoformat()}"
        ),
    )
    if pick is None:
        return
    row = by_id[pick]
    with st.container(border=True):
        st.caption(
            f"{row.reference} · {esc(row.org_name)} · v{row.version} · {row.submitted}"
            f" · {t(f'register.channel_{row.channel}')}"
        )
        for f in fields:
            if f.key in row.data and f.type != "photo":
                st.caption(esc(f.label(lang)))
                st.text(display_value(f, row.data[f.key], lang))
        for p in photos(pick) or []:
            st.image(p.content, width="stretch")
