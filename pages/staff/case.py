"""The case page: what the case is, who is involved (masked), what happened, and what may be done now.

The case comes from `?case=<id>`; every load asks the services again, which check permission and scope,
and a missing or foreign id gets the same refusal.
"""

from __future__ import annotations

import streamlit as st

from pages.ui import case_consent, case_forms, case_links, case_sections, party_correction
from pages.ui.assessment_dossier import case_grade
from pages.ui.case_ui import show_flash
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.supervision_case import render as render_supervision
from pages.ui.trust_case import render as render_trust
from pages.ui.widgets import show_error
from services.access.permissions import P
from services.cases import view as case_view
from services.core.errors import DomainError
from services.lowcode import dictionaries

actor = require_page(P.CASE_VIEW)
raw = st.query_params.get_all("case")
wanted = st.query_params.get("do") or ""

if st.button(t("case.back"), key="case.back", icon=":material/arrow_back:"):
    st.switch_page("pages/staff/workbench.py")
if len(raw) != 1 or not raw[0].isdigit() or len(raw[0]) > 12:
    st.info(t("case.pick"), icon=":material/folder_open:")
    st.stop()

lang = current_language()
with get_db().read() as s:
    try:
        detail = case_view.get_case_detail(s, actor=actor, case_id=int(raw[0]))
    except DomainError as err:
        show_error(err)
        st.stop()
    labels = {
        name: dictionaries.labels(s, name, lang)
        for name in ("category", "source", "grade", "reject_reason", "diversion", "risk_flag")
    }

case_sections.header(detail, labels)
case_grade(detail, actor)  # issue 19: the dossier review grade (卷宗评查)
show_flash()
if detail.actions:
    st.subheader(t("case.actions"), anchor=False)
    first = wanted if wanted in detail.actions else detail.actions[0]
    for action in sorted(detail.actions, key=lambda a: a != first):
        case_forms.render(action, detail, actor, labels, expanded=action == first)
elif detail.relation == "visible":
    st.caption(t("case.read_only"))
case_links.render(detail, actor)
render_supervision(detail, actor)  # issue 18: risk level and clocks, 会商, the person's other disputes, 督办
case_sections.parties(detail, actor)
party_correction.form(detail, actor)
case_consent.render(detail, actor)
render_trust(detail, actor)  # recusal, appointments, issued documents (issue 20)
case_sections.record(detail, labels, actor)
case_sections.timeline(detail, labels)
