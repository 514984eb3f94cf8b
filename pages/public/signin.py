"""Staff sign-in; also served at every staff URL while signed out, so deep links survive sign-in."""

from __future__ import annotations

import streamlit as st

from pages.ui.auth import current_actor, current_authenticator, sign_in_form
from pages.ui.i18n import t

if current_actor() is not None:
    st.switch_page("pages/staff/workbench.py")
st.title(t("app.title"))
sign_in_form(current_authenticator())
