"""Sign-in through the real form on a phone; a captured cookie stops working after sign-out (AUTH-2)."""

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

    # the cookie alone signs a new browser in while the session lives
    other = _open_with_cookie(browser, live_server.url, cookie)
    expect(other.get_by_role("heading", name="工作台")).to_be_visible()
    other.context.close()

    # sign out from the phone's sidebar
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("button", name="退出登录").click()
    page.locator('input[type="password"]').wait_for(timeout=30_000)

    # the captured cookie replayed in a fresh browser no longer signs in
    replay = _open_with_cookie(browser, live_server.url, cookie)
    expect(replay.locator('input[type="password"]')).to_be_visible()
    expect(replay.get_by_role("heading", name="工作台")).to_have_count(0)
    shot(replay, "signin-after-replay")
    replay.context.close()


def test_wrong_password_message(page: Page, live_server):
    page.goto(live_server.url + "/login")
    wait_for_app(page)
    page.locator('input:not([type="password"])').first.fill("mediator")
    page.locator('input[type="password"]').fill("definitely wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码不正确。")).to_be_visible()
