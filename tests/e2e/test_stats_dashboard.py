"""The statistics dashboard on a phone: numbers in two columns, no sideways scroll, a number opens its cases."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from scripts.screenshots import DEMO_PASSWORD, sign_in, wait_for_app


def test_dashboard_on_a_phone_opens_the_cases_behind_a_number(page: Page, live_server, shot):
    sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD)
    page.goto(live_server.url + "/stats")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="统计分析")).to_be_visible()
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    cards = page.get_by_test_id("stMetric").all()[:2]
    boxes = [c.bounding_box() for c in cards]
    assert boxes[0] and boxes[1] and abs(boxes[0]["y"] - boxes[1]["y"]) < 2, "two number cards side by side"
    shot(page, "stats-dashboard")

    page.get_by_role("tab", name="纠纷类型").click()
    chart = page.get_by_test_id("stVegaLiteChart").nth(1)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = chart.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + 14)  # the longest bar comes first
    wait_for_app(page)
    # which category leads depends on the demo data's dates relative to today
    expect(page.get_by_role("link", name=re.compile(r"^查看“.+”的案件$"))).to_be_visible()
    shot(page, "stats-dashboard-chart")

    page.get_by_role("link", name="查看案件").first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="登记纠纷数")).to_be_visible()
    expect(page.get_by_text("共计（件）")).to_be_visible()
    shot(page, "stats-cases")
