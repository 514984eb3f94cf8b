"""/party?t=<token>: a party's own page on their phone — last 4 phone digits, then the agreement to confirm or
decline, and online sessions with a join button. No sign-in; nothing of the case before the digits match."""

from __future__ import annotations

import streamlit as st

from pages.ui import trust_resident
from pages.ui.auth import client_id
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.cases import party_links
from services.cases import party_view as party_page
from services.cases.party_view import PartyView
from services.core.clock import format_local
from services.core.errors import DomainError

db = get_db()
VIEW, DIGITS, TOKEN = "party.view", "party.digits", "party.token"
token = str(st.query_params.get("t", ""))
if st.session_state.get(TOKEN) != token:  # another link in the same browser starts over
    st.session_state[TOKEN] = token
    st.session_state.pop(VIEW, None)
    st.session_state.pop(DIGITS, None)

st.title(t("party.title"), anchor=False)
try:
    party_links.check_token(db, token=token)
except DomainError as err:
    st.session_state.pop(VIEW, None)
    st.error(t(err.key, **err.params), icon=":material/link_off:")
    st.caption(t("party.ask_office"))
    st.stop()

view: PartyView | None = st.session_state.get(VIEW)
if view is None:
    st.caption(t("party.help"))
    with st.form("party.form", border=False, enter_to_submit=True):
        last4 = st.text_input(t("party.last4"), key="party.last4", max_chars=4, placeholder="1234", autocomplete="off")
        if st.form_submit_button(
            t("party.open"), type="primary", icon=":material/lock_open:", width="stretch", key="party.submit"
        ):
            found = attempt(lambda: party_page.open_page(db, token=token, last4=last4, client=client_id()))
            if found is not None:
                st.session_state[VIEW], st.session_state[DIGITS] = found, last4
                st.rerun()
    st.stop()


digits = str(st.session_state.get(DIGITS, ""))
with st.container(border=True):
    st.caption(t("party.case_no"))
    st.text(view.case_no)
    st.caption(t("party.handled_by"))
    st.text(" · ".join(x for x in (view.org_name, view.org_phone) if x))

for s in view.sessions:
    with st.container(border=True):
        st.markdown(f":material/videocam: **{t('party.online_session')}**")
        st.text(
            format_local(s.held_at) + (" · " + t("party.minutes", n=s.duration_minutes) if s.duration_minutes else "")
        )
        if s.upcoming and s.meeting_url:
            st.link_button(
                t("party.join"), s.meeting_url, type="primary", icon=":material/video_call:", width="stretch"
            )
        elif s.upcoming:
            st.caption(t("party.join_link_soon"))

st.subheader(t("party.parties"), anchor=False)
for p in view.parties:
    with st.container(border=True):
        st.caption(t(f"party.side_{p.side}") + (" · " + t("party.you") if p.own else ""))
        st.text(" · ".join(x for x in (p.name, p.phone, p.address) if x))

trust_resident.party_panels(db, token, digits)  # booking a time and asking for another mediator (issue 20)
if view.agreement_version is None:
    st.info(t("party.no_agreement"), icon=":material/hourglass_empty:")
    st.stop()

st.subheader(t("party.agreement", version=view.agreement_version), anchor=False)
with st.container(border=True):
    st.text(view.terms)
    if view.obligations:
        st.caption(t("party.obligations"))
        st.text(view.obligations)
    if view.amount_fen:
        st.caption(t("party.amount"))
        st.text(f"¥{view.amount_fen / 100:,.2f}")
    if view.performance_due:
        st.caption(t("party.due"))
        st.text(view.performance_due.isoformat())

if view.all_confirmed:
    st.success(t("party.all_confirmed"), icon=":material/verified:")
if view.my_decision == "confirmed":
    st.success(t("party.you_confirmed", at=format_local(view.my_decision_at)), icon=":material/task_alt:")
elif view.my_decision == "declined":
    st.warning(t("party.you_declined", at=format_local(view.my_decision_at)), icon=":material/block:")
else:
    version = view.agreement_version
    if st.button(
        t("party.confirm"), type="primary", icon=":material/check_circle:", width="stretch", key="party.confirm"
    ):
        done = attempt(
            lambda: party_page.decide(
                db, token=token, last4=digits, version=version, decision="confirmed", client=client_id()
            )
        )
        if done is not None:
            st.session_state[VIEW] = done
            st.rerun()
    with st.expander(t("party.decline"), icon=":material/cancel:"), st.form("party.decline_form", border=False):
        reason = st.text_area(t("party.reason"), key="party.reason", max_chars=1000)
        if st.form_submit_button(
            t("party.decline_submit"), icon=":material/cancel:", width="stretch", key="party.decline_submit"
        ):
            done = attempt(
                lambda: party_page.decide(
                    db,
                    token=token,
                    last4=digits,
                    version=version,
                    decision="declined",
                    reason=reason,
                    client=client_id(),
                )
            )
            if done is not None:
                st.session_state[VIEW] = done
                st.rerun()
if st.button(t("party.refresh"), icon=":material/refresh:", key="party.refresh"):
    fresh = attempt(lambda: party_page.open_page(db, token=token, last4=digits, client=client_id()))
    if fresh is not None:
        st.session_state[VIEW] = fresh
        st.rerun()
