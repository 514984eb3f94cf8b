"""卷宗评查: draw a reproducible sample of an organisation's dossiers for a quarter and review them one by one
(`?case=<id>` opens one dossier's checklist; `&sample=<id>` ties the review to its sample)."""

from __future__ import annotations

import streamlit as st

from pages.nav import spec_for
from pages.ui import assessment_dossier as ui
from pages.ui import assessment_setup as setup
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import page_title
from services.access.permissions import P

actor = require_page(P.DOSSIER_REVIEW)
page_title("assessment.dossier_page")
ui.show_flash()


def _id(name: str) -> int | None:
    raw = st.query_params.get_all(name)
    return int(raw[0]) if len(raw) == 1 and raw[0].isdigit() and len(raw[0]) <= 12 else None


case_id = _id("case")
if case_id is None:
    st.caption(t("assessment.dossier_intro"))
    ui.sample_panel(actor)
    setup.checklist_editor(actor)
else:
    st.page_link(spec_for("dossier_review").path, label=t("assessment.back_to_samples"), icon=":material/arrow_back:")
    st.page_link(
        spec_for("case").path,
        label=t("assessment.open_case"),
        icon=":material/folder_open:",
        query_params={"case": str(case_id)},
    )
    ui.review_form(actor, case_id, _id("sample"))
