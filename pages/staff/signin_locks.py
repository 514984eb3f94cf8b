"""Sign-in locks: accounts or clients locked after failed attempts; an administrator can unlock them."""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.guard import require_page
from pages.ui.i18n import t
from pages.ui.widgets import attempt
from services.access import signin as auth_service
from services.access.permissions import P
from services.core.clock import format_local

actor = require_page(P.USER_ADMIN)
db = get_db()

st.title(t("locks.title"))
st.caption(t("locks.help"))
with db.read() as s:
    locks = auth_service.list_locks(s)
if not locks:
    st.info(t("locks.none"), icon=":material/lock_open:")
for lock in locks:
    with st.container(border=True):
        st.text(lock.key)
        st.caption(t("locks.until", until=format_local(lock.locked_until)))
        if st.button(t("locks.unlock"), key=f"locks.unlock.{lock.id}", icon=":material/lock_open:", width="stretch"):

            def do_unlock(key: str = lock.key) -> bool:
                with db.write() as s:
                    auth_service.unlock(s, key=key, actor=actor)
                return True

            if attempt(do_unlock):
                st.rerun()
