"""Builds `st.navigation` from the page registry for the current actor (or for a signed-out visitor)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.nav import HOME, PAGES_DIR, PageSpec, layout_for, public_pages, staff_pages, staff_url_paths
from pages.ui.auth import after_sign_out, sign_out
from pages.ui.db import get_db
from pages.ui.i18n import PICKED_KEY, current_language, language_switch, set_language, t
from pages.ui.inbox_nav import inbox_title, start_dispatcher
from pages.ui.streamlit_texts import hide_streamlit_english
from pages.ui.widgets import attempt
from services.access import accounts
from services.access.authz import Actor

SIGNIN = PAGES_DIR / "public" / "signin.py"
URL_PATH_KEY = "ui.url_path"
RESTORED_KEY = "ui.lang_restored_for"  # the user whose saved language this session has taken up
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


def _save_language(user_id: int, lang: str) -> None:
    def save() -> None:
        with get_db().write() as s:
            accounts.save_language(s, user_id=user_id, lang=lang)

    attempt(save)


def restore_language(actor: Actor | None) -> None:
    """On the first run of a session signed in as this person, take up the language saved on their record.

    A person who never chose one keeps what this session shows; a pick made before signing in is saved."""
    if actor is None:
        st.session_state.pop(RESTORED_KEY, None)
        return
    if st.session_state.get(RESTORED_KEY) == actor.user_id:
        return
    with get_db().read() as s:
        saved = accounts.saved_language(s, actor.user_id)
    st.session_state[RESTORED_KEY] = actor.user_id
    if saved is not None:
        set_language(saved)
    elif st.session_state.get(PICKED_KEY):
        _save_language(actor.user_id, current_language())


def _sidebar(actor: Actor | None) -> None:
    with st.sidebar:
        uid = actor.user_id if actor is not None else None
        language_switch(None if uid is None else lambda lang: _save_language(uid, lang))
        if actor is not None:
            st.caption(t("nav.signed_in_as", name=actor.display_name))
            if st.button(t("nav.signout"), key="nav.signout", icon=":material/logout:", width="stretch"):
                sign_out()


def build_navigation(actor: Actor | None) -> Any:
    """Public pages for everyone; staff pages by permission; staff URLs become sign-in pages when signed out."""
    restore_language(actor)
    hide_streamlit_english()
    sections: dict[str, list[st.Page]] = {t(SECTION_KEYS["public"]): [_page(p) for p in public_pages()]}
    login = _sign_in_page("login", hidden=actor is not None)
    if actor is None:
        sections[t(SECTION_KEYS["public"])].append(login)
        sections[t(SECTION_KEYS["public"])] += [_sign_in_page(u, hidden=True) for u in staff_url_paths()]
    else:
        for spec in staff_pages(actor.permissions):
            title = inbox_title(actor) if spec.key == "inbox" else None  # "消息 (3)": the unread count
            sections.setdefault(t(SECTION_KEYS[spec.section]), []).append(_page(spec, title=title))
        sections[t(SECTION_KEYS["public"])].append(login)
    _sidebar(actor)
    nav = st.navigation(sections, expanded=True)  # the whole menu: no "View 9 more" hiding the intake queue
    after_sign_out(login)
    # office pages use the desk's width (report tables no longer scroll sideways); phones stack columns anyway
    st.set_page_config(layout=layout_for(nav.url_path, signed_in=actor is not None))
    st.session_state[URL_PATH_KEY] = nav.url_path  # where a signed-out tab's sign-in link comes back to
    # Webhook messages go out from one background thread per process. Started only after st.navigation():
    # started before it, the first visitor of a fresh server lost their deep link (/workbench → home).
    start_dispatcher()
    return nav
