"""Issue 22 in a real browser on a phone: a double tap on 登记并结案 saves one case, and after saving the filled-in form
is replaced by what was saved (the browser kept the typed text before, and a later tap saved a twin)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlmodel import func, select

from models import Case
from scripts.screenshots import LiveServer, wait_for_app
from tests.e2e.test_case_flow import _db_read, _phone

PARTIES = "钱秀梅、孙志强"


def _count(server: LiveServer) -> int:
    return int(
        _db_read(
            server,
            lambda s: s.exec(select(func.count()).select_from(Case).where(Case.title.startswith("钱某与孙某"))).one(),
        )
    )


def test_second_tap_on_quick_case_saves_one_case(browser: Browser, live_server: LiveServer) -> None:
    context, page = _phone(browser, live_server, "mediator")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="随手调").click()
    wait_for_app(page)
    expect(page.get_by_role("textbox", name="双方当事人")).to_be_visible(timeout=30_000)
    page.get_by_role("textbox", name="双方当事人").fill(PARTIES)
    page.get_by_role("textbox", name="口头协议内容").fill("孙志强当场道歉并赔偿损坏的花盆80元")
    submit = page.get_by_role("button", name="登记并结案")
    submit.dblclick()  # the impatient double tap
    expect(page.get_by_text("已登记：")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_role("button", name="登记并结案")).to_have_count(0)  # nothing left to tap again
    assert _count(live_server) == 1
    page.get_by_role("button", name="再登记一件").click()
    wait_for_app(page)
    expect(page.get_by_role("textbox", name="双方当事人")).to_have_value("", timeout=30_000)  # a new, empty form
    page.get_by_role("button", name="登记并结案").click()  # empty: refused, nothing saved
    wait_for_app(page)
    assert _count(live_server) == 1
    context.close()
