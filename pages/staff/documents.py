"""Case documents on their own page: /documents?case=<id>, or find the case by its number."""

from __future__ import annotations

import streamlit as st

from pages.nav import spec_for
from pages.ui.db import get_db
from pages.ui.documents import render_documents
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.documents import catalog as documents

actor = require_page(P.CASE_VIEW)
st.title(t("documents.page_title"))

raw = st.query_params.get("case", "")
if raw.isdigit() and len(raw) <= 12:  # from the case page's "本案全部文书" link
    st.page_link(
        spec_for("case").path, label=t("case_links.back"), icon=":material/arrow_back:", query_params={"case": raw}
    )
    render_documents(int(raw), actor, show_case=True)
    st.stop()

with st.form("documents.find", border=True):
    case_no = st.text_input(t("documents.case_no"), key="documents.case_no", max_chars=40)
    opened = st.form_submit_button(t("documents.open"), icon=":material/search:", width="stretch")
if opened and case_no.strip():
    found = attempt(lambda: documents.find_case(get_db(), actor=actor, case_no=case_no))
    if found is not None:
        st.query_params["case"] = str(found)
        st.rerun()
else:
    st.info(t("documents.pick_case"), icon=":material/folder_open:")
