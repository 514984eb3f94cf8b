"""Who is signed in, for the Streamlit frame: the sign-in cookie read, the session checked in our database.

The light /signin (`web.signin`) checks the password and sets the cookie from the server, so no component runs
in the browser for it. Here each rerun reads that cookie (`services.access.cookie`) and asks the session table
whether the session it names is still alive; signing out ends the session there, which kills the cookie
everywhere at once. The throttle and the sessions live in the database, never in this process.
"""

from __future__ import annotations

import streamlit as st

from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access import cookie
from services.access import signin as auth_service
from services.access.authz import Actor
from services.core.config import Settings, get_settings
from services.core.ratelimit import client_address

KEY_STATE = "auth.session_key"
ACTOR_STATE = "auth.actor"
SIGNED_OUT_STATE = "auth.signed_out"  # this browser tab signed out: its cookie is not read again
JUST_SIGNED_OUT = "just"  # …and has not yet been shown the sign-in page


def after_sign_out(login: st.Page) -> None:
    """On the run right after signing out, go to the sign-in page, which says so (the staff page is gone)."""
    if st.session_state.get(SIGNED_OUT_STATE) == JUST_SIGNED_OUT:
        st.session_state[SIGNED_OUT_STATE] = True
        st.switch_page(login)


def client_id() -> str:
    """The client address: the connecting peer's, or what a trusted proxy (MEDIATION_TRUSTED_PROXIES) forwards."""
    forwarded = st.context.headers.get("X-Forwarded-For", "") if st.context.headers else ""
    ip = st.context.ip_address
    return client_address(
        ip if isinstance(ip, str) else "",
        forwarded if isinstance(forwarded, str) else "",
        get_settings().trusted_proxies,
    )


def resolve_actor(settings: Settings) -> Actor | None:
    """Who is signed in on this rerun, checked against the session table every time."""
    key = st.session_state.get(KEY_STATE)
    if key is None and not st.session_state.get(SIGNED_OUT_STATE):
        raw = st.context.cookies.get(cookie.COOKIE_NAME) if st.context.cookies else None
        claims = cookie.read(settings, raw)
        key = claims.session_key if claims is not None else None
    actor = None
    if key:
        db = get_db()
        with db.read() as s:
            actor, stale = auth_service.check_session(s, settings, key=key)
        if actor is not None and stale:
            with db.write() as s:
                auth_service.touch_session(s, key=key)
    if actor is None:
        for k in (KEY_STATE, ACTOR_STATE):
            st.session_state.pop(k, None)
        return None
    st.session_state[KEY_STATE] = key
    st.session_state[ACTOR_STATE] = actor
    return actor


def current_actor() -> Actor | None:
    """The actor resolved by app.py on this rerun (pages never trust anything else)."""
    actor = st.session_state.get(ACTOR_STATE)
    return actor if isinstance(actor, Actor) else None


def sign_out() -> None:
    """End the server-side session (the cookie that names it dies with it) and rerun signed out."""
    key = st.session_state.get(KEY_STATE)
    if key:
        with get_db().write() as s:
            auth_service.end_session(s, key=key)
    for k in (KEY_STATE, ACTOR_STATE):
        st.session_state.pop(k, None)
    st.session_state[SIGNED_OUT_STATE] = JUST_SIGNED_OUT
    st.rerun()


def sign_in_prompt(url_path: str) -> None:
    """What a signed-out tab shows at a staff address: the way to the light sign-in page, keeping the page.

    A page load there is sent to /signin by the server itself; this is for a tab whose session ended (signed
    out, idle) or a visitor choosing 工作人员登录 in the menu."""
    st.title(t("auth.title"))
    if st.session_state.get(SIGNED_OUT_STATE):
        st.success(t("auth.signed_out"), icon=":material/logout:")
    st.info(t("auth.required"), icon=":material/lock:")
    target = cookie.HOME if url_path in ("", "login") else f"/{url_path}"
    address = cookie.signin_address(target)
    st.link_button(t("auth.go_signin"), address, type="primary", icon=":material/login:", width="stretch")
