"""The real sign-in form in AppTest: success, one message for every failure, lock, sign-out."""

from __future__ import annotations

from sqlmodel import select

from models import AuthSession
from tests.factories import PASSWORD, make_tree, make_user
from tests.pages.conftest import page_text


def _signin(at, username, password):
    at.switch_page("pages/public/signin.py").run()
    at.text_input(key="auth.username").input(username)
    at.text_input(key="auth.password").input(password)
    at.button[0].click().run()


def test_signin_form_creates_session_and_reaches_workbench(db, make_app):
    with db.write() as s:
        user = make_user(s, make_tree(s)["v1"], ["mediator"], username="li")
    at = make_app()
    at.run()
    _signin(at, "li", PASSWORD)
    assert not at.exception
    assert "工作台" in page_text(at)
    with db.read() as s:
        rows = s.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert len(rows) == 1 and rows[0].revoked_at is None
    # sign out through the sidebar button (on the workbench, where the browser is now): the row is revoked
    at.switch_page("pages/staff/workbench.py").run()
    at.sidebar.button(key="nav.signout").click().run()
    assert not at.exception
    with db.read() as s:
        assert s.exec(select(AuthSession).where(AuthSession.user_id == user.id)).one().revoked_at is not None
    assert at.session_state["authentication_status"] is None


def test_signin_form_same_message_unknown_and_wrong(db, make_app):
    with db.write() as s:
        make_user(s, make_tree(s)["v1"], ["mediator"], username="li")
    messages = []
    for name in ("li", "ghost"):
        at = make_app()
        at.run()
        _signin(at, name, "not the password")
        messages.append([e.value for e in at.error])
    assert messages[0] == messages[1] == ["用户名或密码不正确。"]


def test_signin_form_locks_after_five(db, make_app):
    with db.write() as s:
        make_user(s, make_tree(s)["v1"], ["mediator"], username="li")
    at = make_app()
    at.run()
    for i in range(5):
        _signin(at, "li", f"wrong password {i}")
    _signin(at, "li", PASSWORD)
    assert "登录失败次数过多" in at.error[0].value
    assert "工作台" not in page_text(at)
