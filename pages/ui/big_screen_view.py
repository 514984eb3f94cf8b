"""The coordination centre's wall (1920×1080): large numbers, the month trend, areas, a rotating honour roll;
refreshes itself. Public aggregates only, from the publication layer."""

from __future__ import annotations

import time

import streamlit as st

from models.base import utc_now
from pages.ui import board_view as V
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.streamlit_texts import hide_streamlit_chrome
from services.board import publicity as PUB
from services.core import clock
from services.core.text import escape_markdown as esc

ROTATE = 10  # seconds per honour-roll page
PER_PAGE = 6


def big_number(label: str, value: str) -> None:
    with st.container(border=True):
        st.markdown(f"### {label}")
        st.markdown(f"# {value}")


@st.fragment(run_every=60)
def figures_panel() -> None:
    figures = V.statistics()
    st.caption(t("screen.updated", time=clock.format_local_time(utc_now())))
    cols = st.columns(3)
    with cols[0]:
        big_number(t("board.received"), f"{figures.received:,}")
    with cols[1]:
        big_number(t("board.succeeded"), f"{figures.succeeded:,}")
    with cols[2]:
        big_number(t("board.success_rate"), V.rate_text(figures))
    st.caption(t("board.formula", formula=figures.formula))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"### {t('screen.trend')}")
        st.altair_chart(V.month_chart(figures, big=True), width="stretch")
    with right:
        st.markdown(f"### {t('screen.counties')}")
        for row in figures.by_county[:8]:
            st.markdown(f"#### {esc(row.label)}　{row.received} / {row.succeeded}")
        st.caption(f"{t('board.received')} / {t('board.succeeded')} · {t('board.small_note')}")


@st.fragment(run_every=ROTATE)
def honour_panel() -> None:
    with get_db().read() as s:
        honour = PUB.honour_roll(s)
    st.markdown(f"### {t('screen.honour')}")
    if not honour:
        st.caption(t("board.no_honour"))
        return
    pages = max(1, -(-len(honour) // PER_PAGE))
    start = (int(time.time()) // ROTATE % pages) * PER_PAGE
    cols = st.columns(PER_PAGE)
    for col, person in zip(cols, honour[start : start + PER_PAGE], strict=False):
        with col, st.container(border=True):
            st.markdown(f"#### {esc(person.name)}")
            stars = " " + t("board.stars", n=person.stars) if person.stars else ""
            # one line under the name whatever the titles: the wall never grows past 1080 px and never scrolls
            st.caption(esc(" · ".join(p for p in [person.org_name + stars, *person.titles[:2]] if p.strip())))


def render_big_screen() -> None:
    """The whole wall display (wide layout); used by /big-screen and /board?screen=1."""
    st.set_page_config(layout="wide", page_title=t("nav.big_screen"), initial_sidebar_state="collapsed")
    hide_streamlit_chrome()
    st.title(t("screen.title"), anchor=False)
    figures_panel()
    honour_panel()
