"""Case page: correct a party's name, phone, address or ID number (PIPL 46), for staff who handle the case."""

from __future__ import annotations

import streamlit as st

from pages.ui.auth import client_id
from pages.ui.case_ui import flash, write
from pages.ui.i18n import t
from services.access.authz import Actor
from services.cases.view import CaseDetail
from services.privacy.correction import PartyCorrection, correct_party


def form(d: CaseDetail, actor: Actor) -> None:
    """An expander with one form; shown only to those who may see the full numbers (the service checks again)."""
    if not d.can_reveal or not d.parties:
        return
    with st.expander(t("privacy.correct"), icon=":material/edit:"):
        st.caption(t("privacy.note"))
        with st.form("case.correct_party", border=False, clear_on_submit=True):  # the typed numbers do not stay
            choice = st.selectbox(
                t("privacy.correct_party"),
                [p.id for p in d.parties],
                key="case.correct.party",
                format_func=lambda pid: next(f"{t(f'side.{p.side}')} · {p.name}" for p in d.parties if p.id == pid),
            )
            name = st.text_input(t("privacy.name"), key="case.correct.name", max_chars=80)
            phone = st.text_input(t("privacy.phone"), key="case.correct.phone", max_chars=20)
            address = st.text_input(t("privacy.address"), key="case.correct.address", max_chars=200)
            id_number = st.text_input(t("privacy.id_number"), key="case.correct.id", max_chars=20)
            sent = st.form_submit_button(t("privacy.save"), icon=":material/save:", width="stretch")
    if not sent:
        return
    change = PartyCorrection(
        name=name.strip() or None,
        phone=phone.strip() or None,
        address=address.strip() or None,
        id_number=id_number.strip() or None,
    )
    if change == PartyCorrection():
        st.info(t("privacy.nothing"))
        return
    if (
        write(lambda s: correct_party(s, actor=actor, party_id=int(choice), correction=change, client=client_id()))
        is not None
    ):
        flash("privacy.saved")
        st.rerun()
