"""Mediation Hub (调解联动平台) — the frame: page config, sign-in, navigation by permission."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.ui.auth import resolve_actor
from pages.ui.db import require_db
from pages.ui.i18n import t
from pages.ui.navigation import build_navigation
from pages.ui.widgets import run_page
from services.admin.hooks import register_admin_extensions
from services.core.config import ConfigError, get_settings

ICON = str(Path(__file__).resolve().parent / "assets" / "icon.png")  # served by the app: the CSP allows no font CDN
# "auto": the menu starts open on a desk and closed on a phone; each page's layout is set by the navigation
st.set_page_config(page_title=t("app.title"), page_icon=ICON, initial_sidebar_state="auto")

try:
    settings = get_settings()
    settings.check_keys()
except ConfigError as err:  # a value that cannot be read (cfg.E005), or a missing or weak key
    key = "error.config_value" if err.code == "cfg.E005" else "error.config_keys"
    st.error(t(key, code=err.code), icon=":material/key_off:")
    st.stop()

register_admin_extensions()  # the hooks and computed columns the admin specs name (idempotent)
require_db()  # a storage failure at start-up gets the storage message, not a generic error page
actor = resolve_actor(settings)
run_page(build_navigation(actor))  # errors: a translated message with a log reference
