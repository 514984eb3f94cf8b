"""/recusals: the organisation head's queue of recusal (回避) requests to decide, the count per mediator for the
justice office, and bookings, cancellations and no-shows per organisation."""

from __future__ import annotations

import streamlit as st

from pages.ui.case_ui import open_case, show_flash
from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.trust_case import decide_form, request_line
from pages.ui.widgets import attempt
from services.access.permissions import P
from services.trust import appointments, recusal

actor = require_page(P.RECUSAL_DECIDE)
db = get_db()
st.title(t("recusal.decide_title"), anchor=False)
show_flash()

pending = attempt(lambda: recusal.pending_requests(db, actor=actor)) or []
if not pending:
    st.info(t("recusal.none_pending"), icon=":material/task_alt:")
for row in pending:
    with st.container(border=True):
        st.caption(t("verify.case_no"))
        st.text(row.case_no)
        st.caption(request_line(row))
        st.text(row.reason)
        if st.button(t("nav.case"), key=f"recusals.open.{row.id}", icon=":material/folder_open:"):
            open_case(row.case_id)
        decide_form(row, actor, "recusals")

st.subheader(t("recusal.counts_title"), anchor=False)
st.caption(t("recusal.counts_note"))
counts = attempt(lambda: recusal.recusal_counts(db, actor=actor)) or []
st.dataframe(
    [
        {
            t("recusal.col.mediator"): c.name,
            t("recusal.col.org"): c.org_name,
            t("recusal.col.requested"): c.requested,
            t("recusal.col.granted"): c.granted,
        }
        for c in counts
    ],
    hide_index=True,
    width="stretch",
)

st.subheader(t("appointment.counts_title"), anchor=False)
booked = attempt(lambda: appointments.appointment_counts(db, actor=actor)) or []
st.dataframe(
    [
        {
            t("recusal.col.org"): c.org_name,
            t("appointment.col.booked"): c.booked,
            t("appointment.col.cancelled"): c.cancelled,
            t("appointment.col.no_show"): c.no_show,
        }
        for c in booked
    ],
    hide_index=True,
    width="stretch",
)
