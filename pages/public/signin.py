"""Staff sign-in; also served at every staff URL while signed out, so deep links survive sign-in.

The password is checked on the light /signin page, which sets the sign-in cookie from the server: a page load of
this address is sent there by the server (web.public); a tab already open here shows the way there.
"""

from __future__ import annotations

import streamlit as st

from pages.ui.auth import current_actor, sign_in_prompt
from pages.ui.navigation import URL_PATH_KEY

if current_actor() is not None:
    st.switch_page("pages/staff/workbench.py")
sign_in_prompt(str(st.session_state.get(URL_PATH_KEY) or ""))
