"""My account: who I am, my organisation and roles, change my password."""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import current_language, t
from pages.ui.widgets import attempt
from services.access import accounts
from services.access.permissions import P

actor = require_page(P.WORKBENCH)
db = get_db()

st.title(t("account.title"))
with db.read() as s:
    profile = accounts.profile(s, actor=actor)
st.text(t("account.name", name=profile.display_name))
st.text(t("account.org", org=profile.org_name))
st.text(t("account.roles", roles=", ".join(profile.role_names(current_language()))))

with st.form("account.password_form", clear_on_submit=True):
    st.subheader(t("account.change_password"))
    new = st.text_input(
        t("account.new_password"), type="password", key="account.new", max_chars=256, autocomplete="new-password"
    )
    again = st.text_input(
        t("account.repeat_password"), type="password", key="account.again", max_chars=256, autocomplete="new-password"
    )
    st.caption(t("account.password_rule"))
    submitted = st.form_submit_button(
        t("account.save_password"), type="primary", width="stretch", icon=":material/key:"
    )
if submitted:
    if new != again:
        st.error(t("error.password_mismatch"))
    else:

        def change() -> bool:
            with db.write() as s:
                accounts.set_password(s, user_id=actor.user_id, password=new, actor_id=actor.user_id)
            return True

        if attempt(change):
            st.success(t("account.password_changed"), icon=":material/check_circle:")
