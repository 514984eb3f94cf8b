"""QR posters: an A4 poster (PNG or PDF) for each organisation that takes disputes online, and a county PDF.

Shown to whoever works the intake queue (P.INTAKE_QUEUE): the people who put a poster on their wall are
the ones who answer what it brings in. Posters hold only public data, so the list is the whole county.
"""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.core.text import escape_markdown as esc
from services.intake import posters as qr

actor = require_page(P.INTAKE_QUEUE)


@st.cache_data(max_entries=64, show_spinner=False)
def preview_png(org: qr.PosterOrg, url: str) -> bytes:
    """Posters hold only public data, so one cache serves every user (keyed by everything drawn)."""
    return qr.poster_png(org, url, size=qr.A4_SCREEN)


st.title(t("posters.title"), anchor=False)
st.caption(t("posters.help"))

with get_db().read() as s:
    scope = attempt(lambda: qr.poster_scope(s, actor=actor))
if scope is None:
    st.stop()
if not scope.orgs:
    st.info(t("posters.none"), icon=":material/info:")
    st.stop()

by_code = {o.code: o for o in scope.orgs}
code = st.selectbox(
    t("posters.org"), list(by_code), key="posters.org", format_func=lambda c: f"{by_code[c].name} ({c})"
)  # options are plain text
org = by_code[code or scope.orgs[0].code]
url = qr.intake_url(org.code)
st.caption(t("posters.url"))
st.text(url)

preview = attempt(lambda: preview_png(org, url))
if preview is None:
    st.stop()
st.image(preview, width="stretch")
st.download_button(
    t("posters.png"),
    data=lambda: qr.poster_png(org, url),
    file_name=f"{org.code}.png",
    mime="image/png",
    key="posters.png",
    icon=":material/image:",
    width="stretch",
    on_click="ignore",
)
st.download_button(
    t("posters.pdf"),
    data=lambda: qr.posters_pdf([org], size=qr.A4_PRINT),
    file_name=f"{org.code}.pdf",
    mime="application/pdf",
    key="posters.pdf",
    icon=":material/picture_as_pdf:",
    width="stretch",
    on_click="ignore",
)

st.divider()
st.subheader(t("posters.county_title", county=esc(scope.county_name)), anchor=False)
st.caption(t("posters.county_help", n=len(scope.orgs)))
county_orgs = scope.orgs
st.download_button(
    t("posters.county_pdf"),
    data=lambda: qr.posters_pdf(county_orgs),
    file_name="posters-county.pdf",
    mime="application/pdf",
    key="posters.county",
    icon=":material/print:",
    width="stretch",
    on_click="ignore",
)
