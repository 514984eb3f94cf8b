"""公示栏: rules and process, where to go (with QR codes), honour roll, live statistics, typical cases, subsidy
notices and supervision — public, phone-first, from the publication layer only. `?screen=1` → the big screen."""

from __future__ import annotations

import streamlit as st

from pages.nav import spec_for
from pages.ui import board_view as V
from pages.ui.big_screen_view import render_big_screen
from pages.ui.db import get_db
from pages.ui.i18n import t
from services.board import publicity as PUB
from services.core import clock
from services.core.text import escape_markdown as esc

if st.query_params.get("screen") == "1":  # the wall display at the board's own address
    render_big_screen()
    st.stop()

st.title(t("board.title"), anchor=False)
st.caption(t("board.subtitle"))
today = clock.today()
with get_db().read() as s:
    texts = PUB.texts(s)
    honour = PUB.honour_roll(s)
    cases = PUB.typical_cases(s, today=today)
    notices = PUB.notices(s, today=today)
figures = V.statistics()
areas = V.directory()

tabs = st.tabs(
    [
        t("board.sec_rules"),
        t("board.sec_directory"),
        t("board.sec_stats"),
        t("board.sec_honour"),
        t("board.sec_cases"),
        t("board.sec_notices"),
        t("board.sec_supervision"),
    ]
)

with tabs[0]:
    for text in (x for x in texts if x.kind == "rules"):
        with st.expander(esc(text.title), icon=":material/gavel:", expanded=text.slug == "process"):
            st.text(text.body)

with tabs[1]:
    labels = [f"{a.county} · {a.town}" if a.town else (a.county or t("board.city_level")) for a in areas]
    if labels:
        chosen = st.selectbox(
            t("board.sec_directory"),
            range(len(areas)),
            format_func=lambda i: labels[i],
            key="board.area",
            label_visibility="collapsed",
        )
        for org in areas[chosen].orgs:
            V.render_org(org)

with tabs[2]:
    cols = st.columns(3)
    cols[0].metric(t("board.received"), f"{figures.received:,}")
    cols[1].metric(t("board.succeeded"), f"{figures.succeeded:,}")
    cols[2].metric(t("board.success_rate"), V.rate_text(figures))
    st.caption(t("board.formula", formula=figures.formula))
    if figures.by_category:
        st.markdown(f"**{t('board.by_category')}**")
        st.altair_chart(V.category_chart(figures), width="stretch")
    if figures.by_month:
        st.markdown(f"**{t('board.by_month')}**")
        st.altair_chart(V.month_chart(figures), width="stretch")
    if figures.by_county:
        st.markdown(f"**{t('board.by_county')}**")
        for row in figures.by_county:
            st.text(f"{row.label}：{t('board.received')} {row.received} · {t('board.succeeded')} {row.succeeded}")
        for row in figures.by_town:
            st.text(f"　{row.label}：{t('board.received')} {row.received} · {t('board.succeeded')} {row.succeeded}")
        st.caption(t("board.small_note"))

with tabs[3]:
    for person in honour:
        V.render_honour(person)
    if not honour:
        st.info(t("board.no_honour"), icon=":material/military_tech:")

with tabs[4]:
    for case in cases:
        with st.container(border=True):
            V.render_text(case.title, case.body)
            if case.published_on:
                st.caption(t("board.published_on", value=case.published_on.isoformat()))
    if not cases:
        st.info(t("board.no_cases"), icon=":material/article:")

with tabs[5]:
    for notice in notices:
        with st.container(border=True):
            head = t(
                "board.notice_head", region=notice.region, code=notice.code, until=notice.until, total=notice.total_yuan
            )
            st.markdown(f"**{esc(head)}**")
            for line in notice.lines:
                st.text(
                    t(
                        "board.notice_line",
                        name=line.mediator,
                        org=line.org_name,
                        cases=line.cases,
                        amount=line.amount_yuan,
                    )
                )
    if not notices:
        st.info(t("board.no_notices"), icon=":material/payments:")

with tabs[6]:
    for text in (x for x in texts if x.kind == "supervision"):
        V.render_text(text.title, text.body)

st.divider()
st.caption(t("board.privacy_note"))
st.page_link(spec_for("big_screen").path, label=t("board.big_screen_link"), icon=":material/tv:")
