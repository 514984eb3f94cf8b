"""Every page calls `require_page()` first; services check again (hiding a page is never the only guard)."""

from __future__ import annotations

import streamlit as st

from pages.ui.auth import current_actor
from pages.ui.i18n import t
from services.access.authz import Actor
from services.access.permissions import P


def require_page(permission: P | str) -> Actor:
    """The signed-in actor holding `permission`, or a clear refusal that stops the page."""
    actor = current_actor()
    if actor is None:
        st.warning(t("auth.required"), icon=":material/lock:")
        st.stop()
    if not actor.can(permission):
        st.error(t("error.permission_denied"), icon=":material/block:")
        st.stop()
    return actor
