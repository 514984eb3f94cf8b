"""Widgets of the public board and the big screen. Everything shown comes from services.board.publicity (whitelisted
public data); stored text is shown with st.text / escaped, never as markdown or HTML."""

from __future__ import annotations

from datetime import date
from typing import cast

import altair as alt
import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from services.board import publicity as PUB
from services.core import clock
from services.core.config import get_settings
from services.core.text import escape_markdown as esc
from services.intake import posters as qr

TTL = 60  # seconds: public aggregates only


@st.cache_data(ttl=TTL, show_spinner=False)
def public_statistics(url: str, today: date, lang: str) -> PUB.StatsPublic:
    """This year's public figures (aggregates only), cached per database, day and language."""
    with get_db().read() as s:
        return PUB.statistics(s, today=today, lang=lang)


@st.cache_data(ttl=TTL, show_spinner=False)
def public_directory(url: str, base_url: str) -> list[PUB.AreaPublic]:
    """The directory of organisations (public office contacts), cached briefly."""
    with get_db().read() as s:
        return PUB.org_directory(s, base_url)


@st.cache_data(ttl=3600, show_spinner=False, max_entries=500)
def qr_png(url: str) -> bytes:
    return qr.qr_png(url, box_size=4, border=2)


def statistics() -> PUB.StatsPublic:
    settings = get_settings()
    return public_statistics(settings.database_url, clock.today(), current_language())


def directory() -> list[PUB.AreaPublic]:
    settings = get_settings()
    return public_directory(settings.database_url, settings.public_base_url)


def month_label(month: int) -> str:
    return f"{month % 100}月" if current_language() != "en" else f"{month // 100}-{month % 100:02d}"


def category_chart(figures: PUB.StatsPublic, *, big: bool = False) -> alt.Chart:
    data = [{t("board.col_category"): c.label, t("board.col_count"): int(c.received)} for c in figures.by_category]
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            y=alt.Y(f"{t('board.col_category')}:N", sort="-x", title=None),
            x=alt.X(f"{t('board.col_count')}:Q", title=None),
        )
    )
    return _sized(chart, big, max(160, 26 * len(data)))


def month_chart(figures: PUB.StatsPublic, *, big: bool = False) -> alt.Chart:
    data = [
        {t("board.col_month"): month_label(m), "order": m, t("board.col_series"): label, t("board.col_count"): n}
        for m, received, succeeded in figures.by_month
        for label, n in ((t("board.received"), received), (t("board.succeeded"), succeeded))
    ]
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{t('board.col_month')}:N", sort=alt.SortField("order"), title=None),
            y=alt.Y(f"{t('board.col_count')}:Q", title=None),
            color=alt.Color(f"{t('board.col_series')}:N", legend=alt.Legend(orient="bottom", title=None)),
        )
    )
    return _sized(chart, big, 240)


def _sized(chart: alt.Chart, big: bool, height: int) -> alt.Chart:
    size = 22 if big else 12
    sized = (
        chart.properties(height=420 if big else height)
        .configure_axis(labelFontSize=size, titleFontSize=size, labelLimit=240)
        .configure_legend(labelFontSize=size)
    )
    return cast(alt.Chart, sized)  # altair's configure_* return Self, lost through its @use_signature decorator


def rate_text(figures: PUB.StatsPublic) -> str:
    return "—" if figures.success_rate is None else f"{figures.success_rate * 100:.1f}%"


def render_text(title: str, body: str) -> None:
    """An office text: the title escaped, the body as plain text."""
    st.markdown(f"**{esc(title)}**")
    st.text(body)


def render_marked(title: str, parts: list[tuple[str, bool]]) -> None:
    """A text with its replaced spans highlighted (for the approver): every segment escaped, the marked ones on a
    coloured background; line by line, so no user text becomes markdown."""
    st.markdown(f"**{esc(title)}**")
    lines = [""]
    for segment, marked in parts:
        for i, piece in enumerate(segment.split("\n")):
            if i:
                lines.append("")
            if piece:
                lines[-1] += f":orange-background[{esc(piece)}]" if marked else esc(piece)
    st.markdown("  \n".join(line.lstrip() for line in lines))


def render_org(org: PUB.OrgPublic) -> None:
    with st.container(border=True):
        st.markdown(f"**{esc(org.name)}**")
        for key, value in (("board.address", org.address), ("board.phone", org.phone), ("board.hours", org.hours)):
            if value:
                st.text(t(key, value=value))
        cols = st.columns([1, 2], vertical_alignment="center")
        cols[0].image(qr_png(org.intake_url), width=110)
        cols[1].link_button(t("board.apply"), org.intake_url, icon=":material/qr_code_2:", width="stretch")


def render_honour(person: PUB.HonourPublic) -> None:
    with st.container(border=True):
        if person.photo:
            photo, body = st.columns([1, 4], vertical_alignment="center")
            photo.image(person.photo, width=64)
        else:
            body = st.container()
        body.markdown(f"**{esc(person.name)}**" + (f" · {esc(person.org_name)}" if person.org_name else ""))
        if person.stars:
            body.caption(":material/star:" * person.stars + " " + t("board.stars", n=person.stars))
        for title in person.titles:
            body.caption(f":material/military_tech: {esc(title)}")
