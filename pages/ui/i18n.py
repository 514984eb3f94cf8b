"""`t()` — the one translation function every page uses; the language lives in session state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from services.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, label, translate

LANG_KEY = "ui.lang"
SWITCH_KEY = "ui.lang_switch"
PICKED_KEY = "ui.lang_picked"  # set once the person picked a language with the switch in this session


def current_language() -> str:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: Any) -> str:
    return translate(key, current_language(), **params)


def dl(zh: str, en: str) -> str:
    """A bilingual data label (dictionary entry, role name) in the current language."""
    return label(zh, en, current_language())


def set_language(lang: str) -> None:
    """Show the UI in `lang` from now on in this session (the switch follows; call before it is drawn)."""
    if lang in LANGUAGES:
        st.session_state[LANG_KEY] = lang
        st.session_state[SWITCH_KEY] = lang


def language_switch(remember: Callable[[str], None] | None = None) -> None:
    """A compact zh/EN switch; changing it reruns the page in the other language.

    `remember(lang)` keeps a signed-in person's pick on their record, so their next sign-in opens in it."""
    if SWITCH_KEY not in st.session_state:
        st.session_state[SWITCH_KEY] = current_language()
    choice = st.segmented_control(
        t("ui.language"),
        options=list(LANGUAGES),
        format_func=lambda c: "中文" if c == "zh-CN" else "EN",
        key=SWITCH_KEY,
        label_visibility="collapsed",
    )
    if choice and choice != current_language():
        st.session_state[LANG_KEY] = choice
        st.session_state[PICKED_KEY] = True
        if remember is not None:
            remember(choice)
        st.rerun()
