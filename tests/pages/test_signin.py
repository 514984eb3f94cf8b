"""The Streamlit side of signing in: a signed-out tab shows the way to the light /signin, keeping its page;
signing out from the sidebar ends the server-side session. (The form itself: tests/security/test_light_signin.py.)"""

from __future__ import annotations

from sqlmodel import select

from models import AuthSession
from tests.factories import make_tree, make_user
from tests.pages.conftest import page_text


def test_signed_out_tab_links_to_the_light_signin_keeping_the_page(db, make_app):
    at = make_app()
    at.switch_page("pages/staff/workbench.py").run()
    assert not at.exception
    assert "工作人员登录" in page_text(at) and "请先登录" in page_text(at)
    (link,) = list(at.get("link_button"))
    assert link.proto.label == "前往登录页" and link.proto.url == "/signin?next=/workbench"
    assert "工作台" not in [t.value for t in at.title]


def test_sign_out_ends_the_session_and_says_so(db, make_app):
    with db.write() as s:
        user = make_user(s, make_tree(s)["v1"], ["mediator"], username="li")
    at = make_app(user=user)
    at.switch_page("pages/staff/workbench.py").run()
    assert "工作台" in page_text(at)
    at.sidebar.button(key="nav.signout").click().run()
    assert not at.exception
    with db.read() as s:
        assert s.exec(select(AuthSession).where(AuthSession.user_id == user.id)).one().revoked_at is not None
    assert "您已退出登录。" in page_text(at) and "auth.session_key" not in at.session_state
    at.run()  # and stays signed out on the next rerun
    assert "您已退出登录。" in page_text(at)
