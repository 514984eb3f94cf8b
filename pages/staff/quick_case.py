"""随手调: register and close a small dispute with an oral agreement, on the spot, in one short form."""

from __future__ import annotations

import streamlit as st

from pages.ui import custom_form
from pages.ui.case_ui import open_case, show_flash
from pages.ui.db import get_db
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from services.access.permissions import P
from services.cases import record as case_record
from services.lowcode import custom_fields, dictionaries

actor = require_page(P.CASE_CREATE)
FIRST = "neighbour"  # the most frequent on-the-spot dispute, offered first when the office keeps it

st.title(t("quick.title"), anchor=False)
show_flash()
if not actor.can(P.CASE_MEDIATE):
    st.info(t("quick.needs_mediator"), icon=":material/info:")
    st.stop()
token = staff_token("quick")
with get_db().read() as s:
    saved = case_record.find_saved_case(s, actor=actor, token=token)
    labels = dictionaries.labels(s, "category", current_language())
    offered = [c for c in dictionaries.active_codes(s, "category") if c in labels]  # the office's list, its order
    _, extra = custom_fields.staff_fields(s)

if saved is not None:  # this form was saved: say what, instead of the form (a late second tap reaches nothing)
    st.success(t("quick.saved", no=saved.case_no), icon=":material/check_circle:")
    row = st.container(horizontal=True, gap="small")
    if row.button(t("quick.open"), key="quick_case.open", width="stretch", icon=":material/folder_open:"):
        next_staff_form("quick", "quick_case.")
        open_case(saved.id)
    if row.button(t("quick.next"), key="quick_case.next", type="primary", width="stretch", icon=":material/add:"):
        next_staff_form("quick", "quick_case.")
        st.rerun()
    st.stop()

categories = sorted(offered, key=lambda c: c != FIRST)
with st.form("quick_case.form", border=False):
    parties = st.text_input(
        t("quick.parties"), key="quick_case.parties", max_chars=200, placeholder=t("quick.parties_hint")
    )
    category = st.pills(
        t("quick.category"),
        categories,
        default=categories[0] if categories else None,
        required=True,
        key="quick_case.category",
        format_func=lambda c: labels.get(c, c),
    )
    terms = st.text_area(
        t("quick.terms"), key="quick_case.terms", max_chars=2000, height=110, placeholder=t("quick.terms_hint")
    )
    with st.expander(t("quick.more")):
        amount = st.number_input(t("quick.amount"), min_value=0.0, step=50.0, key="quick_case.amount")
        place = st.text_input(t("quick.place"), key="quick_case.place", max_chars=200)
    custom = custom_form.inputs("quick_case", extra)
    submitted = st.form_submit_button(t("quick.submit"), type="primary", width="stretch", icon=":material/check:")

if submitted:
    data = case_record.QuickCaseInput(
        parties_text=parties,
        terms=terms,
        category=category or FIRST,
        amount_fen=round((amount or 0) * 100),
        place=place,
        form_token=token,
        custom=custom,
    )
    if custom_form.save("quick_case", lambda s: case_record.quick_case(s, actor=actor, data=data)) is not None:
        st.rerun()  # the next run finds the saved case by the token and shows it (a refused form stays as typed)
