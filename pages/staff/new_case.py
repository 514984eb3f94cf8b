"""Staff intake: walk-ins, phone calls, screening visits and disputes handed over on paper by police, courts or 信访."""

from __future__ import annotations

import streamlit as st

from pages.ui import custom_form
from pages.ui.case_ui import open_case, party_count_buttons, party_rows
from pages.ui.db import get_db
from pages.ui.form_token import next_staff_form, staff_token
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from services.access.permissions import P
from services.cases import record as case_record
from services.cases import referrals, warnings
from services.lowcode import custom_fields, dictionaries

actor = require_page(P.CASE_CREATE)
PREFIX = "new_case.party"
lang = current_language()

st.title(t("new_case.title"), anchor=False)
token = staff_token("new_case")
with get_db().read() as s:
    saved = case_record.find_saved_case(s, actor=actor, token=token)
    sources = dictionaries.labels(s, "source", lang)
    categories = dictionaries.labels(s, "category", lang)
    flags = dictionaries.labels(s, "risk_flag", lang)
    offered = {d: dictionaries.active_codes(s, d) for d in ("source", "category")}  # retired values: not offered
    _, extra = custom_fields.staff_fields(s)

if saved is not None:  # this form was saved: say what, instead of the form (a late second tap reaches nothing)
    st.success(t("new_case.saved", no=saved.case_no), icon=":material/check_circle:")
    row = st.container(horizontal=True, gap="small")
    if row.button(t("quick.open"), key="new_case.open", type="primary", width="stretch", icon=":material/folder_open:"):
        next_staff_form("new_case", "new_case.")
        open_case(saved.id)
    if row.button(t("new_case.next"), key="new_case.next", width="stretch", icon=":material/add:"):
        next_staff_form("new_case", "new_case.")
        st.rerun()
    st.stop()

source = st.selectbox(
    t("new_case.source"),
    [c for c in case_record.STAFF_SOURCES if c in offered["source"]],
    key="new_case.source",
    format_func=lambda c: sources.get(c, c),
)
referring = None
if source in case_record.HANDOVER_KINDS:
    with get_db().read() as s:
        senders = {o.id: o.name for o in referrals.sender_choices(s, actor=actor, source=source)}
    referring = st.selectbox(
        t("new_case.referring_org"),
        list(senders),
        index=None,
        key="new_case.referring",
        format_func=lambda i: senders[i],
        placeholder=t("new_case.referring_hint"),
    )
st.subheader(t("new_case.parties"), anchor=False)
party_count_buttons(PREFIX)

with st.form("new_case.form", border=False):
    parties = party_rows(PREFIX)
    category = st.selectbox(
        t("new_case.category"), offered["category"], key="new_case.category", format_func=lambda c: categories[c]
    )
    description = st.text_area(t("new_case.description"), key="new_case.description", max_chars=5000)
    request = st.text_area(t("new_case.request"), key="new_case.request", max_chars=2000)
    place = st.text_input(t("new_case.place"), key="new_case.place", max_chars=200)
    row = st.container(horizontal=True, gap="small")
    amount = row.number_input(t("new_case.amount"), min_value=0.0, step=100.0, key="new_case.amount")
    group = row.number_input(t("new_case.group_size"), min_value=0, step=1, key="new_case.group")
    risk = st.multiselect(
        t("new_case.flags"),
        warnings.MANUAL_FLAGS,
        key="new_case.flags",
        format_func=lambda f: flags.get(f, t(f"flag.{f}")),
    )
    ref_no = (
        st.text_input(t("new_case.referral_ref"), key="new_case.ref_no", max_chars=200) if referring is not None else ""
    )
    custom = custom_form.inputs("new_case", extra)
    publish_ok = st.checkbox(t("consent.ask"), key="new_case.publication_consent", help=t("consent.ask_help"))
    accept_now = st.checkbox(
        t("new_case.accept_now"), value=True, key="new_case.accept_now", disabled=not actor.can(P.CASE_ACCEPT)
    )
    submitted = st.form_submit_button(t("new_case.submit"), type="primary", width="stretch", icon=":material/save:")

if submitted:
    data = case_record.StaffCaseInput(
        source=source or "",
        category=category or "",
        description=description,
        parties=parties,
        request=request,
        place=place,
        amount_fen=round((amount or 0) * 100),
        group_size=int(group or 0),
        risk_flags=list(risk),
        referring_org_id=referring,
        referral_ref=ref_no or "",
        accept_now=accept_now,
        form_token=token,
        custom=custom,
        publication_consent=publish_ok,
    )
    if custom_form.save("new_case", lambda s: case_record.register_case(s, actor=actor, data=data)) is not None:
        st.rerun()  # the next run finds the saved case by the token and shows it (a refused form stays as typed)
