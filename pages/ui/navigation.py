"""Builds `st.navigation` from the page registry for the current actor (or for a signed-out visitor)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.nav import HOME, PAGES_DIR, PageSpec, public_pages, staff_pages, staff_url_paths
from pages.ui.auth import Authenticator, sign_out
from pages.ui.i18n import language_switch, t
from pages.ui.inbox_nav import inbox_title, start_dispatcher
from services.access.authz import Actor

SIGNIN = PAGES_DIR / "public" / "signin.py"
SECTION_KEYS = {
    "public": "nav.section_public",
    "work": "nav.section_work",
    "office": "nav.section_office",
    "admin": "nav.section_admin",
}


def _page(spec: PageSpec, *, hidden: bool = False, title: str | None = None) -> st.Page:
    return st.Page(
        spec.path,
        title=title or t(spec.title_key),
        icon=spec.icon,
        url_path=spec.url_path,
        default=spec is HOME,
        visibility="hidden" if hidden or not spec.visible else "visible",
    )


def _sign_in_page(url_path: str, *, hidden: bool) -> st.Page:
    return st.Page(
        SIGNIN,
        title=t("nav.signin"),
        icon=":material/login:",
        url_path=url_path,
        visibility="hidden" if hidden else "visible",
    )


def _sidebar(actor: Actor | None, authenticator: Authenticator) -> None:
    with st.sidebar:
        language_switch()
        if actor is not None:
            st.caption(t("nav.signed_in_as", name=actor.display_name))
            if st.button(t("nav.signout"), key="nav.signout", icon=":material/logout:", width="stretch"):
                sign_out(authenticator)


def build_navigation(actor: Actor | None, authenticator: Authenticator) -> Any:
    """Public pages for everyone; staff pages by permission; staff URLs become sign-in pages when signed out."""
    sections: dict[str, list[st.Page]] = {t(SECTION_KEYS["public"]): [_page(p) for p in public_pages()]}
    if actor is None:
        sections[t(SECTION_KEYS["public"])].append(_sign_in_page("login", hidden=False))
        sections[t(SECTION_KEYS["public"])] += [_sign_in_page(u, hidden=True) for u in staff_url_paths()]
    else:
        for spec in staff_pages(actor.permissions):
            title = inbox_title(actor) if spec.key == "inbox" else None  # "消息 (3)": the unread count
            sections.setdefault(t(SECTION_KEYS[spec.section]), []).append(_page(spec, title=title))
        sections[t(SECTION_KEYS["public"])].append(_sign_in_page("login", hidden=True))
    _sidebar(actor, authenticator)
    nav = st.navigation(sections)
    # Webhook messages go out from one background thread per process. Started only after st.navigation():
    # started before it, the first visitor of a fresh server lost their deep link (/workbench → home).
    start_dispatcher()
    return nav
