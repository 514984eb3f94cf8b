"""Home (the default page): what mediation is, where to go, staff sign-in. No personal data."""

from __future__ import annotations

import streamlit as st

from pages.nav import PAGES
from pages.ui.board_view import rate_text
from pages.ui.board_view import statistics as board_statistics
from pages.ui.i18n import t

st.title(t("home.title"))
st.caption(t("home.subtitle"))

with st.container(border=True):
    st.markdown(f"**{t('home.what_title')}**")
    st.write(t("home.what_body"))

figures = board_statistics()  # the board's headlines (public aggregates, cached briefly)
cols = st.columns(3)
cols[0].metric(t("board.received"), f"{figures.received:,}")
cols[1].metric(t("board.succeeded"), f"{figures.succeeded:,}")
cols[2].metric(t("board.success_rate"), rate_text(figures))

links = [p for p in PAGES if p.permission is None and p.key in ("intake_directory", "track", "board")]
for spec in links:
    st.page_link(spec.path, label=t(spec.title_key), icon=spec.icon, width="stretch")

with st.expander(t("home.process_title"), icon=":material/route:"):
    for i in range(1, 6):
        st.write(f"{i}. {t(f'home.process_{i}')}")

st.divider()
st.page_link("pages/public/home.py", label=t("home.free_note"), icon=":material/verified:", disabled=True)
