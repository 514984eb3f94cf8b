"""The field day on phones (390×844) against the demo server, through the real sign-in form (issue 22).

One office address signs every demo role in and out, with typos; the mediator double-taps 随手调; the police
liaison opens the hand-over form. At the end nobody was locked out, the double tap made one case, the case page
shows its China time, and no page visited showed Streamlit's English or a raw message key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from models import Case, LoginThrottle, User
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, sign_in, wait_for_app
from services.access.accounts import load_actor
from services.cases import referrals
from services.core.clock import format_local
from services.core.i18n import catalogue
from services.demo.people import ROLES
from tests.e2e.test_case_flow import _db_read
from tests.e2e.test_chinese_ui import VISIBLE_TEXT_JS, _problems

Shot = Callable[[Page, str], Path]


class Walk:
    """Pages visited, each checked for English widget text and raw keys as it is shown."""

    def __init__(self) -> None:
        self.keys = set(catalogue())
        self.problems: list[str] = []
        self.pages = 0

    def check(self, page: Page, what: str) -> None:
        wait_for_app(page)
        self.pages += 1
        self.problems += [f"{what}: {p}" for p in _problems(page.evaluate(VISIBLE_TEXT_JS), self.keys)]


def _sign_out(page: Page) -> None:
    page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible(timeout=60_000)


def test_a_field_day_on_phones_from_one_office_address(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    walk = Walk()

    def phone() -> Page:
        page = browser.new_context(**PHONE_CONTEXT).new_page()
        page.set_default_timeout(60_000)
        return page

    # every role signs in at the office (one address) and out again, some after a typo (the service half of the
    # scenario signs 30 mediators in twice; this is the same through the real form)
    for i, role in enumerate(ROLES):
        page = phone()
        if i % 3 == 0:
            page.goto(live_server.url + "/workbench")  # signed out: the light sign-in page
            page.locator('input[name="username"]').fill(role)
            page.locator('input[type="password"]').fill(DEMO_PASSWORD + "typo")
            page.get_by_role("button", name="登录").click()
            expect(page.locator(".box.bad")).to_contain_text("用户名或密码")
        sign_in(page, live_server.url, role, DEMO_PASSWORD)
        walk.check(page, f"{role} home")
        _sign_out(page)
        page.context.close()
    locked = _db_read(
        live_server, lambda s: s.exec(select(LoginThrottle).where(col(LoginThrottle.locked_until).is_not(None))).all()
    )
    assert [row.key for row in locked] == []

    # the mediator records an on-the-spot dispute and taps 登记并结案 twice
    def on_the_spot() -> list[Case]:
        return _db_read(
            live_server,
            lambda s: list(s.exec(select(Case).where(col(Case.on_the_spot).is_(True)).order_by(col(Case.id))).all()),
        )

    before = len(on_the_spot())
    page = phone()
    sign_in(page, live_server.url, "mediator", DEMO_PASSWORD)
    page.get_by_role("button", name="随手调").click()
    wait_for_app(page)
    walk.check(page, "mediator quick case")
    parties = "场景甲、场景乙"
    page.get_by_role("textbox", name="双方当事人").fill(parties)
    page.get_by_role("textbox", name="口头协议内容").fill("场景乙当场道歉并修好院墙，双方和好")
    page.get_by_role("button", name="登记并结案").dblclick()  # a double tap
    expect(page.get_by_text("已登记：")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    shot(page, "scenario-quick-case-saved")
    walk.check(page, "mediator quick case saved")
    made = on_the_spot()[before:]
    assert len(made) == 1, f"{len(made)} cases from one 随手调 form"
    # the saved form is not a form any more: a late second tap finds nothing to send
    expect(page.get_by_role("button", name="登记并结案")).to_have_count(0)

    # its case page shows the China time it was received, and its documents one tap away
    page.get_by_role("button", name="查看该案件").click()
    wait_for_app(page)
    expect(page.get_by_text(format_local(made[0].received_at)[:16]).first).to_be_visible()
    shot(page, "scenario-case-page")
    walk.check(page, "mediator case page")
    page.context.close()

    # the police liaison's hand-over form has the liaison's own room chosen
    page = phone()
    sign_in(page, live_server.url, "police", DEMO_PASSWORD, "/handovers")
    walk.check(page, "police handovers")

    def own_room(s):  # type: ignore[no-untyped-def]
        user = s.exec(select(User).where(User.username == "police")).one()
        first = referrals.handover_targets(s, actor=load_actor(s, user.id))[0]
        return first.name if first.own else ""

    room = _db_read(live_server, own_room)
    assert room, "the demo liaison has a stationed room"
    chosen = page.get_by_role("combobox", name="移交给（调解组织）")
    expect(chosen).to_have_value(room)
    shot(page, "scenario-police-handover")
    page.context.close()

    print(f"\nfield day: {walk.pages} pages checked for English and raw keys")
    assert not walk.problems, "\n".join(walk.problems)
