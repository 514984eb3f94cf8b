"""/rules on a phone: the rate table, the permission checkboxes, a change with its history and a rollback."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scripts.screenshots import DEMO_PASSWORD, sign_in, wait_for_app


def _pick(page: Page, label: str, option: str) -> None:
    """Choose in a selectbox; a rerun that lands while the list is open closes it, so open it again then."""
    wait_for_app(page)
    for _ in range(3):
        page.get_by_test_id("stSelectbox").filter(has_text=label).click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(state="visible", timeout=10_000)
        except PlaywrightTimeout:
            wait_for_app(page)
            continue
        choice.click()
        break
    wait_for_app(page)


def test_edit_rules_on_a_phone(page: Page, live_server, shot):
    page.goto(live_server.url)  # the very first deep link of a session may land on the home page
    wait_for_app(page)
    sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD, path="/rules")
    expect(page.get_by_role("heading", name="规则设置")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    shot(page, "rules")

    _pick(page, "规则", "角色与权限")
    _pick(page, "角色", "调解员")
    expect(page.get_by_test_id("stMainBlockContainer").get_by_text("登记纠纷", exact=True)).to_be_visible()
    shot(page, "rules-roles")

    _pick(page, "规则", "办理期限")
    box = page.get_by_label("受理期限（天）")
    box.fill("5")
    page.get_by_role("button", name="保存为新版本").click()
    wait_for_app(page)
    expect(page.get_by_text("受理期限（天）: 3 → 5")).to_be_visible()
    page.get_by_role("button", name="回退到此版本").last.click()
    wait_for_app(page)
    expect(page.get_by_text("确定把规则恢复为第 0 版吗", exact=False)).to_be_visible()
    shot(page, "rules-history")
    page.get_by_role("button", name="确认回退").click()
    wait_for_app(page)
    expect(page.get_by_text("已回退", exact=False)).to_be_visible()
    expect(page.get_by_text("回退到第 0 版")).to_be_visible()

    _pick(page, "规则", "角色与权限")
    page.get_by_text("所有角色权限一览").click()
    expect(page.get_by_test_id("stExpander").get_by_test_id("stDataFrame")).to_be_visible()
    shot(page, "rules-matrix")
