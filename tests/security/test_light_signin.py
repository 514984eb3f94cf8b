"""SIGNIN-1..8: the light staff sign-in (/signin, issue 24), driven through its ASGI middleware on both engines.

The password is checked and the sign-in cookie set by the server: no browser component. Covered: the cookie's
flags and what it names, one message for an unknown user and a wrong password with the username kept and the
password never echoed, the login-CSRF defences (pre-sign-in cookie, signed token, Origin), open redirects,
staff pages loaded without a live session sent to /signin (and a dead cookie deleted there), thirty good
sign-ins behind one office address, the 50-payload corpus in the username, and an oversized body.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from models import AuthSession, Organisation
from services.access import cookie
from services.access.signin import end_session
from services.core.config import get_settings
from tests.factories import PASSWORD, make_tree, make_user
from tests.security.payloads import PAYLOADS
from tests.security.test_light_public import PASS_THROUGH, Reply, _inner, call, old_token
from web.public import LightPublic

STAFF_PATHS = frozenset({"workbench", "cases"})


@pytest.fixture
def app(db, monkeypatch) -> Any:
    with db.write() as s:
        make_user(s, make_tree(s)["v1"], ["mediator"], username="li")
    return LightPublic(_inner, get_db=lambda: db, staff_paths=lambda: STAFF_PATHS)


def _cookies(reply: Reply) -> str:
    return reply.headers.get("set-cookie", "")


def open_form(app: Any, next_path: str = "/workbench") -> tuple[str, str]:
    """GET /signin: (the pre-sign-in value from its cookie, the page's signed token)."""
    reply = call(app, "GET", f"/signin?next={next_path}")
    assert reply.status == 200
    pre = re.search(r"mh_signin=([A-Za-z0-9_-]+);", _cookies(reply))
    token = re.search(r'name="token" value="([^"]+)"', reply.text)
    assert pre and token
    assert f'name="pre" value="{pre.group(1)}"' in reply.text
    return pre.group(1), html.unescape(token.group(1))


def post(app: Any, fields: dict[str, str], *, pre: str | None, **kw: Any) -> Reply:
    body = urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()
    headers = {"content-type": "application/x-www-form-urlencoded", **kw.pop("headers", {})}
    if pre is not None:
        headers["cookie"] = f"mh_signin={pre}"
    return call(app, "POST", "/signin", body=body, headers=headers, **kw)


def sign_in(
    app: Any, username: str = "li", password: str = PASSWORD, next_path: str = "/workbench", **kw: Any
) -> Reply:
    pre, _ = open_form(app)
    fields = {"token": old_token(), "pre": pre, "next": next_path, "username": username, "password": password}
    return post(app, fields, pre=pre, **kw)


def auth_cookie(reply: Reply) -> str:
    found = re.search(r"mh_auth=([^;]+);", _cookies(reply))
    assert found, reply.headers
    return found.group(1)


def sessions(db) -> list[AuthSession]:
    with db.read() as s:
        return list(s.exec(select(AuthSession)).all())


def test_sign_in_sets_an_httponly_cookie_naming_a_live_session(app, db):
    """SIGNIN-1: the page is light and script-free; success → 303 to the page asked for, with the cookie."""
    page = call(app, "GET", "/signin?next=/workbench")
    assert "<script" not in page.text and len(page.body) < 8_000 and "工作人员登录" in page.text
    assert (
        page.headers["cache-control"] == "no-store" and "default-src 'none'" in page.headers["content-security-policy"]
    )
    reply = sign_in(app)
    assert reply.status == 303 and reply.headers["location"] == "/workbench"
    line = next(c for c in _cookies(reply).split("\n") if c.startswith("mh_auth="))
    assert "HttpOnly" in line and "SameSite=Strict" in line and "Path=/" in line
    claims = cookie.read(get_settings(), auth_cookie(reply))
    assert claims is not None and claims.username == "li"
    assert [r.token_hash for r in sessions(db)] == [claims.session_key]
    # the cookie reaches the full app: staff pages and the staff view of /intake pass through to Streamlit
    jar = {"cookie": f"mh_auth={auth_cookie(reply)}"}
    assert call(app, "GET", "/workbench", headers=jar).body == PASS_THROUGH
    assert call(app, "GET", "/intake?org=V1", headers=jar).body == PASS_THROUGH
    again = call(app, "GET", "/signin?next=/cases", headers=jar)  # already signed in: straight on
    assert again.status == 303 and again.headers["location"] == "/cases"


def test_one_message_for_unknown_and_wrong_keeping_the_username(app, db):
    """SIGNIN-2: the same words for both; the username is kept, the password never comes back."""
    bodies = []
    for name in ("li", "ghost"):
        reply = sign_in(app, username=name, password="not the password 7Q")
        assert reply.status == 401 and "mh_auth=" not in _cookies(reply)
        assert "用户名或密码不正确。" in reply.text and f'value="{name}"' in reply.text
        assert "not the password" not in reply.text
        bodies.append(re.sub(r'value="[^"]*"', "", reply.text))
    assert bodies[0] == bodies[1]
    assert sessions(db) == []
    empty = sign_in(app, password="")
    assert empty.status == 400 and "请输入用户名和密码。" in empty.text


def test_refuse_login_csrf(app, db):
    """SIGNIN-3: no pre-sign-in cookie, another one, a forged or stale token, a foreign Origin → no session."""
    pre, _ = open_form(app)
    good = {"token": old_token(), "pre": pre, "next": "/", "username": "li", "password": PASSWORD}
    refused = [
        post(app, good, pre=None),  # a form posted from another site brings no SameSite=Strict cookie
        post(app, good, pre="A" * 24),
        post(app, {**good, "token": old_token()[:-3] + "xyz"}, pre=pre),
        post(app, {**good, "token": old_token(seconds=3 * 86400)}, pre=pre),
        post(app, good, pre=pre, headers={"origin": "https://evil.example"}),
    ]
    assert [r.status for r in refused] == [403] * 5
    assert all("mh_auth=" not in _cookies(r) for r in refused)
    assert "登录页已过期" in refused[0].text and 'value="li"' in refused[0].text
    assert sessions(db) == []
    assert post(app, good, pre=pre).status == 303


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/signin?next=/x",
        "/\t/evil.example",
    ],
)
def test_go_only_to_this_sites_pages(app, target):
    """SIGNIN-4: `next` is a path of this site, else the workbench (no open redirect)."""
    reply = sign_in(app, next_path=target)
    assert reply.status == 303 and reply.headers["location"] == "/workbench"
    assert cookie.signin_address(target) == "/signin?next=/workbench"


def test_send_staff_pages_to_signin_until_signed_in(app, db):
    """SIGNIN-5: a page load of a staff page or /login without a live session goes to /signin, keeping the page;
    a dead cookie (signed out) is deleted there; public pages and assets pass through."""
    first = call(app, "GET", "/workbench?case=12")
    assert first.status == 303 and first.headers["location"] == "/signin?next=/workbench%3Fcase%3D12"
    assert call(app, "GET", "/login").headers["location"] == "/signin?next=/workbench"
    for passing in ("/", "/board", "/static/js/index.js", "/_stcore/health"):
        assert call(app, "GET", passing).body == PASS_THROUGH
    token = auth_cookie(sign_in(app))
    jar = {"cookie": f"mh_auth={token}"}
    assert call(app, "GET", "/workbench", headers=jar).body == PASS_THROUGH
    with db.write() as s:
        end_session(s, key=sessions(db)[0].token_hash)
    assert call(app, "GET", "/workbench", headers=jar).status == 303
    assert call(app, "GET", "/intake?org=V1", headers=jar).body != PASS_THROUGH  # the light form again
    page = call(app, "GET", "/signin?next=/workbench", headers=jar)
    assert page.status == 200 and "mh_auth=; Path=/; Max-Age=0" in _cookies(page)


def test_thirty_colleagues_behind_one_office_address(app, db):
    """SIGNIN-6: good sign-ins never count against the address they share (the afternoon's lock-out)."""
    with db.write() as s:
        village = s.exec(select(Organisation).where(Organisation.code == "V1")).one()
        for i in range(30):
            make_user(s, village, ["mediator"], username=f"m{i:02d}")
    statuses = [sign_in(app, username=f"m{i:02d}", client="198.51.100.9").status for i in range(30)]
    assert statuses == [303] * 30 and len(sessions(db)) == 30


def test_lock_after_five_failures_with_a_chinese_message(app):
    """SIGNIN-7: the database throttle of the account, said in Chinese."""
    for i in range(5):
        assert sign_in(app, password=f"wrong password {i}").status == 401
    locked = sign_in(app)
    assert locked.status == 429 and "登录失败次数过多" in locked.text and "mh_auth=" not in _cookies(locked)


def test_payloads_in_the_username_are_refused_and_shown_escaped(app, db):
    """SIGNIN-8: 50 hostile usernames → refused, echoed only as escaped text; an oversized body → a message."""
    for payload in PAYLOADS[:50]:
        reply = sign_in(app, username=payload, password="whatever it is 9")
        assert reply.status in (400, 401, 429), payload[:40]  # 400: a body over the form's 16 KB
        assert "<" not in payload or payload not in reply.text
    assert sessions(db) == []
    pre, _ = open_form(app)
    huge = post(app, {"pre": pre, "username": "li", "password": "x" * 40_000}, pre=pre)
    assert huge.status == 400 and "没能读取您提交的内容" in huge.text


def test_an_address_that_is_no_page_gets_a_chinese_404_and_streamlit_keeps_its_own(db) -> None:
    """A mistyped or old address (a bookmark of /dashboard) opened Streamlit's main page under an English
    "Page not found" box; a browser's page load of it is answered in Chinese with the way home. Pages, the
    sign-in paths, Streamlit's own routes and files, and anything not asking for HTML still pass through."""
    pages = frozenset({"home", "workbench", "stats", "board"})
    app = LightPublic(
        _inner, get_db=lambda: db, staff_paths=lambda: frozenset({"workbench", "stats"}), page_paths=lambda: pages
    )
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for target in ("/dashboard", "/dashboard/", "/workbenc?case=1", "/no/such/page"):
        reply = call(app, "GET", target, headers=browser)
        assert reply.status == 404, target
        assert "找不到这个页面" in reply.text and 'href="/"' in reply.text and "Page not found" not in reply.text
    for target in (
        "/",
        "/board",
        "/home?x=1",
        "/_stcore/health",
        "/static/js/main.js",
        "/favicon.ico",
        "/component/x/index.html",
        "/media/abc.png",
    ):
        assert call(app, "GET", target, headers=browser).body == PASS_THROUGH, target
    assert call(app, "GET", "/dashboard").body == PASS_THROUGH  # not a page load (no text/html asked)
    assert call(app, "POST", "/dashboard", headers=browser).body == PASS_THROUGH
    bare = LightPublic(_inner, get_db=lambda: db)  # no page list given: nothing is refused here
    assert call(bare, "GET", "/dashboard", headers=browser).body == PASS_THROUGH
