"""Sign-in through the real form on a phone (the light /signin, which sets an HttpOnly cookie); a captured
cookie stops working after sign-out (AUTH-2)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, sign_in, wait_for_app

COOKIE = "mh_auth"


def _open_with_cookie(browser: Browser, base_url: str, cookie: dict) -> Page:
    context = browser.new_context(**PHONE_CONTEXT)
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(base_url + "/workbench")
    wait_for_app(page)
    return page


def test_signin_signout_and_cookie_replay(page: Page, browser: Browser, live_server, shot):
    sign_in(page, live_server.url, "mediator", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    shot(page, "workbench-mediator")
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find(COOKIE) == -1  # no script on the page can read it

    # the cookie alone signs a new browser in while the session lives
    other = _open_with_cookie(browser, live_server.url, cookie)
    expect(other.get_by_role("heading", name="工作台")).to_be_visible()
    other.context.close()

    # sign out from the phone's sidebar
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("link", name="前往登录页")).to_be_visible()
    shot(page, "signed-out")

    # the captured cookie replayed in a fresh browser no longer signs in: the staff page sends it to /signin
    context = browser.new_context(**PHONE_CONTEXT)
    context.add_cookies([cookie])
    replay = context.new_page()
    replay.goto(live_server.url + "/workbench")
    expect(replay.locator('input[type="password"]')).to_be_visible()
    assert replay.url.endswith("/signin?next=/workbench")
    assert not [c for c in context.cookies() if c["name"] == COOKIE]  # the dead cookie was deleted there
    shot(replay, "signin-after-replay")
    context.close()


def test_wrong_password_message(page: Page, live_server, shot):
    page.goto(live_server.url + "/login")
    page.locator('input[name="username"]').fill("mediator")
    page.locator('input[type="password"]').fill("definitely wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码不正确。")).to_be_visible()
    expect(page.locator('input[name="username"]')).to_have_value("mediator")
    shot(page, "signin-refused")
