"""Mediation Hub (调解联动平台) — the frame: page config, sign-in, navigation by permission."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.ui.auth import build_authenticator, resolve_actor
from pages.ui.db import require_db
from pages.ui.i18n import t
from pages.ui.navigation import build_navigation
from pages.ui.widgets import run_page
from services.core.config import ConfigError, get_settings

ICON = str(Path(__file__).resolve().parent / "assets" / "icon.png")  # served by the app: the CSP allows no font CDN
st.set_page_config(page_title=t("app.title"), page_icon=ICON, layout="centered", initial_sidebar_state="collapsed")

settings = get_settings()
try:
    settings.check_keys()
except ConfigError as err:
    st.error(t("error.config_keys", code=err.code), icon=":material/key_off:")
    st.stop()

require_db()  # a storage failure at start-up gets the storage message, not a generic error page
authenticator = build_authenticator(settings)
actor = resolve_actor(settings)
run_page(build_navigation(actor, authenticator))  # errors: a translated message with a log reference
