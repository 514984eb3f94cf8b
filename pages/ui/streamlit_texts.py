"""Streamlit's own English widget texts in the Chinese UI: hidden or replaced by one constant stylesheet.

Streamlit 1.67 draws some texts itself and cannot translate them: the uploader's "Upload" button, "Drag and drop
files here" and "10MB per file • JPG", a refused file's red icon, the select placeholders ("Choose an option",
"Choose options", "No options to select"), "Press Enter to submit form" and the "Skip to main content" link.
In the Chinese UI `hide_streamlit_english()` injects, once per run, a stylesheet made only of constants and catalogue
texts (never stored data) that hides them or shows the Chinese text instead. The uploaders' accepted types and size
limit are in a Chinese caption next to each (pages/ui/widgets.upload_files), and our code, not the browser, refuses a
file with a Chinese reason: .streamlit/config.toml lets the browser send up to SERVER_UPLOAD_LIMIT_MB.
"""

from __future__ import annotations

from functools import lru_cache

import streamlit as st

from pages.ui.i18n import current_language
from services.core.i18n import translate

# server.maxUploadSize in .streamlit/config.toml: above every limit our code checks, so only a file larger than
# this is refused by the browser (its chip then says so in Chinese, from the stylesheet)
SERVER_UPLOAD_LIMIT_MB = 50
ZH = "zh-CN"
STREAMLIT_PLACEHOLDERS = ("Choose an option", "Choose options", "No options to select")


def _css_text(key: str, **params: object) -> str:
    """A catalogue text as a CSS string literal (catalogue texts are ours and constant; quotes are escaped)."""
    text = translate(key, ZH, **params)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The constant stylesheet for the Chinese UI."""
    inputs = [f'input[placeholder="{p}"]' for p in STREAMLIT_PLACEHOLDERS]
    choose = ", ".join(f":has(> {i}:placeholder-shown)::after" for i in inputs[:2])
    none = f":has(> {inputs[2]})::after"
    box = (
        "position: absolute; left: 0.5rem; top: 50%; transform: translateY(-50%); pointer-events: none;"
        " color: rgba(27, 36, 48, 0.6); font-size: 0.875rem; white-space: nowrap;"
    )
    return "\n".join(
        [
            # uploader: no "Drag and drop …", no "200MB per file • PNG" (our caption says it), a Chinese button
            '[data-testid="stFileUploaderDropzone"] > div > span, [data-testid="stFileUploaderDropzoneInstructions"],'
            ' [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]'
            " { display: none !important; }",
            '[data-testid="stFileChip"] [role="alert"], [data-testid="stFileUploaderDropzone"]'
            ' button[kind="borderlessIcon"] [data-has-shortcut] > span:first-child:not(:has([data-testid]))'
            " { display: none !important; }",
            '[data-testid="stFileUploaderDropzone"] button [data-has-shortcut]::after'
            f" {{ content: {_css_text('ui.upload_button')}; }}",
            # a file the browser refused (over the server limit): the reason in words, not only a red icon
            '[data-testid="stFileChip"]:has([data-testid="stFileChipIconError"])::after'
            f" {{ content: {_css_text('ui.upload_refused_chip', mb=SERVER_UPLOAD_LIMIT_MB)};"
            " display: block; color: #B42318; font-size: 0.875rem; }",
            # select placeholders: the English one is see-through and 请选择 is drawn over the empty input
            ", ".join(f"{i}::placeholder" for i in inputs) + " { color: transparent !important; }",
            ", ".join(f":has(> {i})" for i in inputs) + " { position: relative; }",
            f"{choose} {{ content: {_css_text('ui.choose')}; {box} }}",
            f"{none} {{ content: {_css_text('ui.no_options')}; {box} }}",
            # "Press Enter to submit form" / "Press Ctrl+Enter to apply" (and the n/max counter beside it)
            '[data-testid="InputInstructions"] { display: none !important; }',
            # the keyboard-only "Skip to main content" link
            '[data-testid="stSkipToContent"] { display: none !important; }',
        ]
    )


# the wall display: Streamlit's header, toolbar, menu and sidebar away; the page fits 1920×1080 without scrolling
BIG_SCREEN_CHROME = (
    '[data-testid="stHeader"]',
    '[data-testid="stToolbar"]',
    '[data-testid="stDecoration"]',
    '[data-testid="stStatusWidget"]',
    '[data-testid="stSidebar"]',
    '[data-testid="stSidebarCollapsedControl"]',
    '[data-testid="stExpandSidebarButton"]',
    '[data-testid="stMainMenu"]',
    "footer",
)


@lru_cache(maxsize=1)
def big_screen_stylesheet() -> str:
    """The constant stylesheet of the wall display (constants only, no stored data)."""
    return "\n".join(
        [
            ", ".join(BIG_SCREEN_CHROME) + " { display: none !important; }",
            'html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"]'
            " { overflow: hidden !important; }",
            '[data-testid="stMainBlockContainer"]'
            " { padding: 1rem 2rem 0 2rem !important; max-width: 100% !important; }",
            '[data-testid="stMainBlockContainer"] h1 { padding: 0 0 0.5rem 0 !important; }',
        ]
    )


def hide_streamlit_chrome() -> None:
    """On the wall display, inject the big-screen stylesheet (header, toolbar, sidebar hidden; no scrolling)."""
    st.html(f"<style>{big_screen_stylesheet()}</style>")


def hide_streamlit_english() -> None:
    """In the Chinese UI, inject the constant stylesheet (call once per run, from the navigation)."""
    if current_language() == ZH:
        st.html(f"<style>{stylesheet()}</style>")
