"""目标考核: the schemes over the office's area, each unit's scorecard (`?card=<id>`) and the ranked tables."""

from __future__ import annotations

import streamlit as st

from pages.nav import spec_for
from pages.ui import assessment_card as ui
from pages.ui import assessment_setup as setup
from pages.ui.assessment_dossier import show_flash
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt, page_title
from services.access.permissions import P
from services.assessment import schemes

actor = require_page(P.ASSESSMENT_VIEW)
page_title("assessment.page")
show_flash()
raw = st.query_params.get_all("card")
if len(raw) == 1 and raw[0].isdigit() and len(raw[0]) <= 12:
    st.page_link(spec_for("assessment").path, label=t("assessment.back_to_tables"), icon=":material/arrow_back:")
    ui.card_page(actor, int(raw[0]))
    st.stop()

with get_db().read() as s:
    found = attempt(lambda: schemes.schemes_for(s, actor=actor)) or []
if found:
    by_id = {x.id: x for x in found}
    chosen = st.selectbox(
        t("assessment.scheme"),
        list(by_id),
        format_func=lambda i: t(
            "assessment.scheme_option", name=by_id[i].name, period=by_id[i].period, version=by_id[i].version
        ),
        key="assessment.scheme",
    )
    ui.scheme_panel(actor, by_id[chosen])
else:
    st.info(t("assessment.no_schemes"), icon=":material/info:")
ui.scheme_editor(actor)
setup.numbering_editor(actor)
