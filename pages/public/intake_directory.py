"""The directory of organisations that take disputes online, by county and town, each linking to its form."""

from __future__ import annotations

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.i18n import t
from services.core.text import escape_markdown as esc
from services.intake import posters as qr


def render_directory() -> None:
    """Search box and the grouped list; also shown by /intake when a QR code is unknown or inactive."""
    with get_db().read() as s:
        groups = qr.directory(s)
    st.subheader(t("directory.heading"), anchor=False)
    st.caption(t("directory.help"))
    query = st.text_input(
        t("directory.search"), key="directory.search", placeholder=t("directory.search_hint"), icon=":material/search:"
    ).strip()
    shown = 0
    target = spec_for("intake").path
    counties = list(dict.fromkeys(g.county for g in groups))
    for county in counties:
        in_county = [g for g in groups if g.county == county]
        matches = [(g, [o for o in g.orgs if not query or query in o.name or query in o.address]) for g in in_county]
        matches = [(g, orgs) for g, orgs in matches if orgs]
        if not matches:
            continue
        with st.expander(
            esc(county or t("directory.city_level")),
            icon=":material/location_city:",
            expanded=bool(query) or len(counties) == 1,
        ):
            for group, orgs in matches:
                st.caption(esc(group.area or t("directory.county_level")))
                for org in orgs:
                    shown += 1
                    st.page_link(
                        target,
                        label=esc(org.name),
                        icon=":material/edit_note:",
                        query_params={"org": org.code},
                        width="stretch",
                    )
    if shown == 0:
        st.info(t("directory.none"), icon=":material/search_off:")


if __name__ == "__main__":  # run as a page (Streamlit runs page files as __main__), not when imported
    st.title(t("directory.title"), anchor=False)
    render_directory()
