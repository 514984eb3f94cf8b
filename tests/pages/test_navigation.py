"""Every page × every role renders without an exception; each role sees exactly its pages."""

from __future__ import annotations

import pytest
import streamlit as st

from models import User
from pages.nav import PAGES
from services.access import accounts
from services.access.permissions import BUILTIN_ROLES
from services.access.signin import session_key, start_session
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text

ROLE_ORG = {
    "mediator": "v1",
    "police": "police",
    "court": "court",
    "justice": "justice",
    "coordinator": "county",
    "admin": "root",
}


def _user(db, role):
    with db.write() as s:
        tree = make_tree(s)
        return make_user(s, tree[ROLE_ORG[role]], [role], username=f"{role}_user")


def test_signed_out_sees_only_public_pages(db, make_app):
    at = make_app()
    at.run()
    assert not at.exception
    for spec in PAGES:
        if spec.permission is None:
            at.switch_page(f"pages/{spec.file}").run()
            assert not at.exception, spec.key
        else:
            with pytest.raises(ValueError):  # the staff page file is not registered while signed out
                at.switch_page(f"pages/{spec.file}")
            # its URL is a sign-in page instead, showing no data
            at.switch_page("pages/public/signin.py").run()
            assert not at.exception
            assert [b.proto.label for b in at.get("link_button")] == ["前往登录页"]  # the light /signin
            assert not at.metric and not at.text_input


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_every_page_renders_for_role(db, make_app, role):
    user = _user(db, role)
    perms = BUILTIN_ROLES[role][2]
    at = make_app(user=user)
    at.run()
    assert not at.exception
    for spec in PAGES:
        path = f"pages/{spec.file}"
        if spec.permission is None or spec.permission in perms:
            at.switch_page(path).run()
            assert not at.exception, (role, spec.key, at.exception)
            assert "Traceback" not in page_text(at)
        else:
            with pytest.raises(ValueError):
                at.switch_page(path)


def test_workbench_signed_in_shows_counts(db, make_app):
    user = _user(db, "mediator")
    at = make_app(user=user)
    at.run()
    at.switch_page("pages/staff/workbench.py").run()
    assert not at.exception
    assert "工作台" in page_text(at)
    assert [m.label for m in at.metric][:2] == ["待办", "待受理"]


def test_english_switch(db, make_app):
    at = make_app(lang="en")
    at.run()
    assert "Mediation Hub" in page_text(at)


def _switch(at, lang):
    """Pick a language with the sidebar's zh/EN switch, as a person does."""
    at.sidebar.segmented_control(key="ui.lang_switch").set_value(lang).run()
    assert not at.exception


def _new_session(db, make_app, user, n, **kw):
    """Another browser signed in as `user` (make_app starts one session per user)."""
    at = make_app(**kw)
    key = session_key(user.username, 2.0e9 + n)
    with db.write() as s:
        start_session(s, user_id=user.id or 0, key=key, client="apptest")
    at.session_state["auth.session_key"] = key
    return at


def test_language_picked_signed_in_is_restored_on_the_next_sign_in(db, make_app):
    user = _user(db, "mediator")
    at = make_app(user=user)
    at.run()
    _switch(at, "en")
    assert at.session_state["ui.lang"] == "en"
    with db.read() as s:
        assert accounts.saved_language(s, user.id or 0) == "en"
        assert s.get(User, user.id).language == "en"

    # a new session (the app's default language, Chinese) signed in as the same person opens in English
    again = _new_session(db, make_app, user, 1)
    again.run()
    assert not again.exception
    assert again.session_state["ui.lang"] == "en"
    assert "Mediation Hub" in page_text(again)
    assert again.sidebar.segmented_control(key="ui.lang_switch").value == "en"

    # switching back to Chinese is remembered too
    _switch(again, "zh-CN")
    with db.read() as s:
        assert s.get(User, user.id).language == "zh"
    third = _new_session(db, make_app, user, 2, lang="en")
    third.run()
    assert third.session_state["ui.lang"] == "zh-CN"
    assert "调解联动平台" in page_text(third)


def test_language_never_picked_keeps_the_sessions_language_and_saves_nothing(db, make_app):
    user = _user(db, "mediator")
    at = make_app(user=user, lang="en")
    at.run()
    assert not at.exception
    assert at.session_state["ui.lang"] == "en"
    with db.read() as s:
        assert s.get(User, user.id).language is None


def test_whole_menu_is_shown_without_view_more(db, make_app, monkeypatch):
    """No "View 9 more" hides the intake queue or the documents page: the menu is always fully expanded."""
    calls = []
    real = st.navigation

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(st, "navigation", spy)
    at = make_app(user=_user(db, "coordinator"))
    at.run()
    assert not at.exception
    assert calls and all(c.get("expanded") is True for c in calls)
