"""随手调: register and close a small dispute with an oral agreement, on the spot, in one short form."""

from __future__ import annotations

import streamlit as st

from pages.ui import custom_form
from pages.ui.case_ui import form_token, open_case, renew_token, show_flash
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from services.access.permissions import P
from services.cases import record as case_record
from services.lowcode import custom_fields, dictionaries

actor = require_page(P.CASE_CREATE)
COMMON = ("neighbour", "marriage_family", "damages", "loan", "housing_land", "other")
LAST = "quick_case.last"

st.title(t("quick.title"), anchor=False)
show_flash()
if not actor.can(P.CASE_MEDIATE):
    st.info(t("quick.needs_mediator"), icon=":material/info:")
    st.stop()
with get_db().read() as s:
    labels = dictionaries.labels(s, "category", current_language())
    common = [c for c in COMMON if c in dictionaries.active_codes(s, "category")]  # retired ones: not offered
    _, extra = custom_fields.staff_fields(s)

with st.form("quick_case.form", border=False):
    parties = st.text_input(
        t("quick.parties"), key="quick_case.parties", max_chars=200, placeholder=t("quick.parties_hint")
    )
    category = st.pills(
        t("quick.category"),
        common,
        default=common[0] if common else None,
        required=True,
        key="quick_case.category",
        format_func=lambda c: labels[c],
    )
    terms = st.text_area(
        t("quick.terms"), key="quick_case.terms", max_chars=2000, height=110, placeholder=t("quick.terms_hint")
    )
    with st.expander(t("quick.more")):
        amount = st.number_input(t("quick.amount"), min_value=0.0, step=50.0, key="quick_case.amount")
        place = st.text_input(t("quick.place"), key="quick_case.place", max_chars=200)
    custom = custom_form.inputs("quick_case", extra)
    saved = st.form_submit_button(t("quick.submit"), type="primary", width="stretch", icon=":material/check:")

if saved:
    data = case_record.QuickCaseInput(
        parties_text=parties,
        terms=terms,
        category=category or "neighbour",
        amount_fen=round((amount or 0) * 100),
        place=place,
        form_token=form_token("quick"),
        custom=custom,
    )
    case = custom_form.save("quick_case", lambda s: case_record.quick_case(s, actor=actor, data=data))
    if case is not None:
        renew_token("quick")
        for k in [k for k in st.session_state if str(k).startswith("quick_case.")]:
            del st.session_state[k]  # a fresh form for the next dispute (a refused one stays as typed)
        st.session_state[LAST] = (case.id, case.case_no)
        st.rerun()

if last := st.session_state.get(LAST):
    st.success(t("quick.saved", no=last[1]), icon=":material/check_circle:")
    if st.button(t("quick.open"), key="quick_case.open", width="stretch", icon=":material/folder_open:"):
        st.session_state.pop(LAST, None)
        open_case(int(last[0]))
