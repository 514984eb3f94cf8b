"""The one adapter around streamlit-authenticator: cookie in the browser, sessions and checks in our database.

The library signs and stores the re-authentication cookie (JWT over username and expiry). We never let
it check passwords (it cannot take passphrases over 72 bytes) nor count attempts in memory: the form is
ours, the throttle and the session table live in the database, and a cookie only signs someone in while
the session it names is alive there.
"""

from __future__ import annotations

import contextlib
import time

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from pages.ui.db import get_db
from pages.ui.i18n import t
from services.access import signin as auth_service
from services.access.authz import Actor
from services.core.config import Settings, get_settings
from services.core.errors import DomainError
from services.core.ratelimit import client_address

COOKIE_NAME = "mh_auth"
COOKIE_DAYS = 0.5
Authenticator = stauth.Authenticate
KEY_STATE = "auth.session_key"
ACTOR_STATE = "auth.actor"


AUTHENTICATOR_STATE = "auth.authenticator"


def build_authenticator(settings: Settings) -> stauth.Authenticate:
    """Construct the authenticator once per script run (it renders its cookie component).

    It is kept in this session's own state for the pages of the same run, never in a shared cache."""
    authenticator = stauth.Authenticate(
        {"usernames": {}},
        cookie_name=COOKIE_NAME,
        cookie_key=settings.auth_cookie_key,
        cookie_expiry_days=COOKIE_DAYS,
        auto_hash=False,
        login_sleep_time=0,
    )
    st.session_state[AUTHENTICATOR_STATE] = authenticator
    return authenticator


def current_authenticator() -> stauth.Authenticate:
    return st.session_state[AUTHENTICATOR_STATE]


def client_id() -> str:
    """The client address: the connecting peer's, or what a trusted proxy (MEDIATION_TRUSTED_PROXIES) forwards."""
    forwarded = st.context.headers.get("X-Forwarded-For", "") if st.context.headers else ""
    ip = st.context.ip_address
    return client_address(
        ip if isinstance(ip, str) else "",
        forwarded if isinstance(forwarded, str) else "",
        get_settings().trusted_proxies,
    )


def _cookie_claims(settings: Settings) -> tuple[str, float] | None:
    raw = st.context.cookies.get(COOKIE_NAME) if st.context.cookies else None
    if not isinstance(raw, str) or not raw:
        return None
    try:
        claims = jwt.decode(raw, settings.auth_cookie_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, exp = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or not isinstance(exp, int | float) or exp < time.time():
        return None
    return username, float(exp)


def resolve_actor(settings: Settings) -> Actor | None:
    """Who is signed in on this rerun, checked against the session table every time."""
    key = st.session_state.get(KEY_STATE)
    if key is None and not st.session_state.get("logout") and (claims := _cookie_claims(settings)) is not None:
        key = auth_service.session_key(*claims)
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
        st.session_state["authentication_status"] = None
        return None
    st.session_state[KEY_STATE] = key
    st.session_state[ACTOR_STATE] = actor
    st.session_state.update(
        authentication_status=True,
        username=actor.username,
        name=actor.display_name,
        roles=sorted(actor.roles),
        logout=None,
    )
    return actor


def current_actor() -> Actor | None:
    """The actor resolved by app.py on this rerun (pages never trust anything else)."""
    actor = st.session_state.get(ACTOR_STATE)
    return actor if isinstance(actor, Actor) else None


def _pause_then_rerun() -> None:
    delay = get_settings().rerun_delay
    if delay > 0:
        time.sleep(delay)  # lets the cookie component write or delete the cookie first
    st.rerun()


def sign_in_form(authenticator: stauth.Authenticate) -> None:
    """Our own sign-in form; on success the library writes the cookie and a session row is created."""
    settings = get_settings()
    st.subheader(t("auth.title"))
    with st.form("auth.form", border=True):
        username = st.text_input(t("auth.username"), key="auth.username", max_chars=60, autocomplete="username")
        password = st.text_input(
            t("auth.password"), type="password", key="auth.password", max_chars=256, autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("auth.submit"), type="primary", width="stretch", icon=":material/login:")
    if not submitted:
        return
    if not username.strip() or not password:
        st.error(t("error.signin_empty"))
        return
    try:
        result = auth_service.authenticate(get_db(), settings, username=username, password=password, client=client_id())
    except DomainError as err:
        st.error(t(err.key, **err.params))
        return
    st.session_state.update(username=result.username, name=result.display_name, logout=None)
    authenticator.cookie_controller.set_cookie()
    exp = authenticator.cookie_controller.cookie_model.exp_date or time.time()
    key = auth_service.session_key(result.username, exp)
    with get_db().write() as s:
        auth_service.start_session(s, user_id=result.user_id, key=key, client=client_id())
    st.session_state[KEY_STATE] = key
    st.success(t("auth.welcome", name=result.display_name))
    _pause_then_rerun()


def sign_out(authenticator: stauth.Authenticate) -> None:
    """End the server-side session, delete the cookie and rerun signed out."""
    key = st.session_state.get(KEY_STATE)
    if key:
        with get_db().write() as s:
            auth_service.end_session(s, key=key)
    with contextlib.suppress(Exception):  # a missing cookie is fine: the server-side session is already dead
        authenticator.cookie_controller.delete_cookie()
    for k in (KEY_STATE, ACTOR_STATE, "username", "name", "roles"):
        st.session_state.pop(k, None)
    st.session_state.update(authentication_status=None, logout=True)
    _pause_then_rerun()
