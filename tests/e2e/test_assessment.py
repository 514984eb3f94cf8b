"""目标考核 and 卷宗评查 on a phone (issue 19): save the default scheme, compute the towns' scorecards, open one
with the records behind its numbers, and draw a dossier sample."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from scripts.screenshots import DEMO_PASSWORD, sign_in, wait_for_app


def test_assess_towns_and_draw_dossiers_on_a_phone(page: Page, live_server, shot):
    page.goto(live_server.url)  # the very first deep link of a session may land on the home page
    wait_for_app(page)
    sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD, path="/assessment")
    expect(page.get_by_role("heading", name="目标考核")).to_be_visible()

    page.get_by_text("新建考核方案（或新版本）").click()
    page.get_by_role("button", name="保存方案").click()
    wait_for_app(page)
    expect(page.get_by_text("已保存方案第1版")).to_be_visible()

    page.get_by_role("button", name="计算/重新计算").click()
    wait_for_app(page)
    expect(page.get_by_text("已计算", exact=False).first).to_be_visible()
    page.get_by_role("link", name="未公布", exact=False).first.click()
    wait_for_app(page)
    expect(page.get_by_text("调解成功率 = 成功", exact=False).first).to_be_visible()
    expect(page.get_by_text("依据记录", exact=False).first).to_be_visible()
    shot(page, "assessment-card")

    page.goto(f"{live_server.url}/dossier-review")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="卷宗评查")).to_be_visible()
    page.get_by_role("button", name="随机抽取").click()
    wait_for_app(page)
    expect(page.get_by_text("已抽取", exact=False)).to_be_visible()
    expect(page.get_by_text("已评查 0 /", exact=False)).to_be_visible()
    shot(page, "dossier-review")
