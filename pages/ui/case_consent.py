"""Case page: the parties' consent to publication as a de-identified typical case (典型案例) — who recorded it, when
and how; recorded later (written, oral, by phone) or withdrawn by those who work on the case. The service checks
permission and scope again and audits every change."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import flash, write
from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access.authz import Actor
from services.board import consent
from services.cases.view import CaseDetail
from services.core.clock import format_local
from services.core.errors import DomainError


def render(d: CaseDetail, actor: Actor) -> None:
    """A small expander under the case's actions."""
    case_id = d.case.id or 0
    try:
        with get_db().read() as s:
            view = consent.consent_of(s, actor=actor, case_id=case_id)
    except DomainError:
        return
    with st.expander(t("consent.title"), icon=":material/campaign:", expanded=False):
        if view.given:
            who = view.recorded_by or (t("consent.by_applicant") if view.how == "online" else "—")
            st.text(t("consent.given", at=format_local(view.at), who=who, how=t(f"consent.how_{view.how or 'online'}")))
        else:
            st.text(t("consent.not_given"))
        if view.non_public:
            st.caption(t("consent.non_public"))
        if not view.may_change:
            return
        if view.given:
            withdraw = st.button(t("consent.withdraw"), key="case.consent.withdraw", icon=":material/unpublished:")
            if withdraw and write(lambda s: consent.withdraw_consent(s, actor=actor, case_id=case_id)) is not None:
                flash("consent.withdrawn")
                st.rerun()
            return
        if view.non_public:
            return
        with st.form("case.consent.form", border=False):
            how = st.radio(
                t("consent.how"),
                consent.RECORDED_BY_STAFF,
                key="case.consent.how",
                format_func=lambda h: t(f"consent.how_{h}"),
                horizontal=True,
            )
            sent = st.form_submit_button(t("consent.record"), icon=":material/how_to_reg:")
        if sent and write(lambda s: consent.record_consent(s, actor=actor, case_id=case_id, how=how)) is not None:
            flash("consent.recorded")
            st.rerun()
