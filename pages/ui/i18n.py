"""`t()` — the one translation function every page uses; the language lives in session state."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, label, translate

LANG_KEY = "ui.lang"


def current_language() -> str:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **params: Any) -> str:
    return translate(key, current_language(), **params)


def dl(zh: str, en: str) -> str:
    """A bilingual data label (dictionary entry, role name) in the current language."""
    return label(zh, en, current_language())


def language_switch() -> None:
    """A compact zh/EN switch; changing it reruns the page in the other language."""
    choice = st.segmented_control(
        t("ui.language"),
        options=list(LANGUAGES),
        format_func=lambda c: "中文" if c == "zh-CN" else "EN",
        default=current_language(),
        key="ui.lang_switch",
        label_visibility="collapsed",
    )
    if choice and choice != current_language():
        st.session_state[LANG_KEY] = choice
        st.rerun()
