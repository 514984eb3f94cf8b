"""/verify?code=…: what a receiver of a printed document needs — kind, issuing organisation, date, case number,
parties masked, state — and a byte-for-byte check of a file or digest. No sign-in; rate-limited per client."""

from __future__ import annotations

import streamlit as st

from pages.ui.auth import client_id
from pages.ui.db import get_db
from pages.ui.i18n import t
from pages.ui.trust_verify import show_verify_view
from pages.ui.widgets import attempt, upload_file
from services.trust import verify
from services.trust.verify import VerifyView

db = get_db()
VIEW, ASKED, RESULT, SCANNED = "verify.view", "verify.asked", "verify.result", "verify.scanned"
st.title(t("verify.title"), anchor=False)
st.caption(t("verify.help"))

prefill = verify.format_code(verify.normalise_code(str(st.query_params.get("code", ""))))
with st.form("verify.form", border=False, enter_to_submit=True):
    code = st.text_input(
        t("verify.code"), value=prefill, key="verify.code", placeholder="ABCD-EFGH-JKMN-PQRS", autocomplete="off"
    )
    submitted = st.form_submit_button(
        t("verify.submit"), type="primary", icon=":material/verified:", width="stretch", key="verify.submit"
    )
scanned = verify.normalise_code(prefill)
if scanned and st.session_state.get(SCANNED) != scanned:  # a scanned QR code opens its answer at once
    st.session_state[SCANNED], submitted = scanned, True
wanted = verify.normalise_code(code) if code else scanned
if submitted:
    st.session_state[ASKED] = wanted
    st.session_state.pop(VIEW, None)
    st.session_state.pop(RESULT, None)
    found = attempt(lambda: verify.lookup(db, code=wanted, client=client_id()))
    if found is not None:
        st.session_state[VIEW] = found

view: VerifyView | None = st.session_state.get(VIEW)
if view is None:
    st.stop()
show_verify_view(view)

st.subheader(t("verify.check_title"), anchor=False)
st.caption(t("verify.check_help"))
with st.form("verify.check_form", border=False):
    upload = upload_file(t("verify.upload"), types=("docx", "pdf", "zip"), key="verify.file")
    digest = st.text_input(t("verify.digest"), key="verify.digest", max_chars=80, autocomplete="off")
    checked = st.form_submit_button(t("verify.check"), icon=":material/fact_check:", width="stretch", key="verify.go")
if checked:
    asked = str(st.session_state.get(ASKED) or "")
    if upload is None and not digest.strip():
        st.warning(t("verify.nothing_to_check"), icon=":material/info:")
    else:
        content = upload.getvalue() if upload is not None else None
        same = attempt(lambda: verify.check_file(db, code=asked, client=client_id(), content=content, digest=digest))
        if same is not None:
            st.session_state[RESULT] = same
result = st.session_state.get(RESULT)
if result is True:
    st.success(t("verify.match"), icon=":material/task_alt:")
elif result is False:
    st.error(t("verify.mismatch"), icon=":material/gpp_bad:")
