"""Workbench: the open work of the signed-in user's organisation subtree, on a phone."""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from services import dictionaries, workbench
from services.permissions import P

actor = require_page(P.WORKBENCH)
db = get_db()
FILTERS = {"open": workbench.OPEN_STATES, "submitted": ("submitted",), "all": None}

st.title(t("workbench.title"))
if not actor.can(P.CASE_VIEW):
    st.info(t("workbench.no_cases_role"), icon=":material/admin_panel_settings:")
    st.stop()
with db.read() as s:
    counts = workbench.count_cases(s, actor=actor)
    categories = dictionaries.labels(s, "category", current_language())

c1, c2 = st.columns(2)
c1.metric(t("workbench.submitted"), counts.submitted)
c2.metric(t("workbench.open"), counts.open)
c3, c4 = st.columns(2)
c3.metric(t("workbench.high_risk"), counts.high_risk)
c4.metric(t("workbench.overdue"), counts.overdue)

choice = st.segmented_control(t("workbench.filter"), options=list(FILTERS), default="open", key="workbench.filter",
                              format_func=lambda k: t(f"workbench.filter_{k}"))
pages_key = f"workbench.cursor.{choice}"
cursor = st.session_state.get(pages_key)
with db.read() as s:
    rows = workbench.list_cases(s, actor=actor, statuses=FILTERS.get(choice or "open"), before_id=cursor)

if not rows:
    st.info(t("workbench.empty"), icon=":material/inbox:")
for row in rows:
    with st.container(border=True):
        flags = (" · " + t("workbench.flag_risk") if row.high_risk else "") + (
            " · " + t("workbench.flag_overdue") if row.overdue else "")
        st.markdown(f"**{row.case_no}** · {t('status.' + row.status)}{flags}")
        st.text(f"{categories.get(row.category, row.category)} · {row.org_name}")
        st.caption(f"{row.received_on.isoformat()} · {row.parties}")

nav1, nav2 = st.columns(2)
if cursor is not None and nav1.button(t("workbench.first_page"), key="workbench.first", width="stretch",
                                      icon=":material/first_page:"):
    st.session_state.pop(pages_key, None)
    st.rerun()
if len(rows) == 20 and nav2.button(t("workbench.next_page"), key="workbench.next", width="stretch",
                                   icon=":material/navigate_next:"):
    st.session_state[pages_key] = rows[-1].id
    st.rerun()
