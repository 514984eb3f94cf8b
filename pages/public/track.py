"""/track: tracking code + last 4 phone digits → status in plain words, next step; a rating once closed."""

from __future__ import annotations

import streamlit as st

from pages.ui import trust_resident
from pages.ui.auth import client_id
from pages.ui.db import get_db
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt
from services.core.text import escape_markdown as esc
from services.intake import tracking
from services.intake.tracking import TrackView
from services.lowcode import dictionaries

db = get_db()
VIEW, ASKED = "track.view", "track.asked"
st.title(t("track.title"), anchor=False)
st.caption(t("track.help"))

prefill = tracking.format_code(tracking.normalise_code(str(st.query_params.get("code", ""))))
with st.form("track.form", border=False, enter_to_submit=True):
    code = st.text_input(
        t("track.code"), value=prefill, key="track.code", placeholder="ABCD-EFGH-JKMN", autocomplete="off"
    )
    last4 = st.text_input(t("track.last4"), key="track.last4", max_chars=4, placeholder="1234", autocomplete="off")
    if st.form_submit_button(
        t("track.submit"), type="primary", icon=":material/search:", width="stretch", key="track.submit"
    ):
        st.session_state.pop(VIEW, None)
        found = attempt(lambda: tracking.lookup(db, code=code, last4=last4, client=client_id()))
        if found is not None:
            st.session_state[VIEW], st.session_state[ASKED] = found, (code, last4)

view: TrackView | None = st.session_state.get(VIEW)
if view is None:
    st.stop()


def labels(dictionary: str) -> dict[str, str]:
    with db.read() as s:
        return dictionaries.labels(s, dictionary, current_language())


with st.container(border=True):
    st.caption(t("track.code_label", code=view.code))
    st.subheader(t(f"status.{view.status}"), anchor=False)
    if view.status == "rejected":
        reason = view.reject_reason or "other"
        reason_text = esc(labels("reject_reason").get(reason, reason))
        st.warning(t("track.rejected", reason=reason_text), icon=":material/block:")
        st.write(t(f"track.advice_{reason}") if reason in tracking.KNOWN_REASONS else t("track.advice_other"))
        if view.advice:
            st.caption(t("track.advice_from_staff"))
            st.text(view.advice)
    else:
        due = view.due.isoformat() if view.due else ""
        diversion = esc(labels("diversion").get(view.diversion or "", ""))
        st.info(t(f"track.next_{view.next_step}", date=due, diversion=diversion), icon=":material/route:")
        if view.overdue:
            st.warning(t("track.overdue", phone=esc(view.org_phone or "—")), icon=":material/schedule:")
    st.write(
        t(
            "track.received",
            date=view.received_on.isoformat(),
            category=esc(labels("category").get(view.category, view.category)),
        )
    )
    st.caption(t("track.handled_by"))
    st.text(view.org_name)
    contact = " · ".join(x for x in (view.org_address, view.org_phone, view.org_hours) if x)
    if contact:
        st.text(contact)

trust_resident.track_panel(db, *st.session_state[ASKED])  # booking a time with the mediator (issue 20)

if view.rated:
    st.success(t("track.rated"), icon=":material/thumb_up:")
elif view.can_rate:
    st.subheader(t("track.rate_title"), anchor=False)
    stars = st.feedback("stars", key="track.stars")
    comment = st.text_area(t("track.rate_comment"), key="track.comment", height=100)
    if st.button(
        t("track.rate_submit"), key="track.rate", type="primary", icon=":material/rate_review:", width="stretch"
    ):
        if stars is None:
            st.error(t("error.rating_stars"), icon=":material/error:")
        else:
            asked_code, asked_last4 = st.session_state[ASKED]
            chosen = stars + 1  # st.feedback counts stars from 0
            fresh = attempt(
                lambda: tracking.rate_case(
                    db, code=asked_code, last4=asked_last4, stars=chosen, comment=comment, client=client_id()
                )
            )
            if fresh is not None:
                st.session_state[VIEW] = fresh
                st.rerun()
