"""One case on phones (390×844), each step by the role that owns it, signing in through the real form:
police hand-over → accept → two sessions → written agreement → performance fulfilled → judicial
confirmation by a court user → follow-up → archive. And a 随手调 case in at most six taps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlmodel import col, select

from models import Agreement, Case, FollowUp, JudicialConfirmation, MediationSession, Organisation
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, horizontal_overflow, sign_in, wait_for_app
from services.core.db import make_database

Shot = Callable[[Page, str], Path]
APPLICANT, RESPONDENT = "王秀英", "赵德明"


def _db_read(server: LiveServer, fn):  # type: ignore[no-untyped-def]
    db = make_database(server.db_url)
    try:
        with db.read() as s:
            return fn(s)
    finally:
        db.dispose()


def _phone(browser: Browser, server: LiveServer, user: str, path: str = "/workbench") -> tuple[BrowserContext, Page]:
    context = browser.new_context(**PHONE_CONTEXT)
    page = context.new_page()
    sign_in(page, server.url, user, DEMO_PASSWORD, path)
    return context, page


def _expander(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stExpander").filter(has=page.get_by_text(label, exact=True)).first


def _open(page: Page, label: str) -> Locator:
    """The action's expander, opened (the case page opens the next action by itself)."""
    wait_for_app(page)
    box = _expander(page, label)
    expect(box).to_be_visible()
    details = box.locator("details")
    if details.count() and details.first.get_attribute("open") is None:
        box.get_by_text(label, exact=True).first.click()
        expect(box.get_by_test_id("stFormSubmitButton").first).to_be_visible()
    return box


def _submit(box: Locator, page: Page, done: str) -> None:
    button = box.get_by_test_id("stFormSubmitButton").first.locator("button")
    button.scroll_into_view_if_needed()
    button.click()
    expect(page.get_by_text(done)).to_be_visible(timeout=30_000)
    wait_for_app(page)
    assert page.get_by_test_id("stException").count() == 0


def _choose(page: Page, scope: Locator, label: str, option: str) -> None:
    scope.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.keyboard.type(option)  # long lists are virtualised: filter first
    page.get_by_role("option", name=option).first.click()


def _search_and_open(page: Page, case_no: str, button: str) -> None:
    page.get_by_placeholder("案号、当事人姓名或手机号").fill(case_no)
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("找到 1 件")).to_be_visible()
    page.get_by_role("button", name=button).first.click()
    wait_for_app(page)
    expect(page.get_by_text(case_no).first).to_be_visible()


def police_hands_over(page: Page, target: str, shot: Shot) -> None:
    page.goto(page.url.split("/workbench")[0] + "/handovers")
    wait_for_app(page)
    form = page.get_by_test_id("stForm").first
    _choose(page, form, "移交给", target)
    _choose(page, form, "纠纷类型", "房屋宅基地纠纷")
    names = form.get_by_role("textbox", name="姓名或名称")
    names.nth(0).fill(APPLICANT)
    names.nth(1).fill(RESPONDENT)
    form.get_by_role("textbox", name="手机号").nth(0).fill("13987654321")
    form.get_by_role("textbox", name="纠纷情况").fill("110接警：两户因宅基地边界的围墙发生争吵，民警到场劝开。")
    form.get_by_role("textbox", name="移交说明").fill("双方同意调解，请村调委会处理")
    shot(page, "handover_form")
    form.get_by_role("button", name="移交").click()
    expect(page.get_by_text("已移交：")).to_be_visible(timeout=30_000)
    wait_for_app(page)


def walk_case(browser: Browser, server: LiveServer, shot: Shot) -> int:
    """The whole life of one case; returns its id."""
    target = _db_read(server, lambda s: s.exec(select(Organisation.name).where(Organisation.code == "V001")).one())
    police, page = _phone(browser, server, "police")
    police_hands_over(page, target, shot)
    case_id, case_no, status = _db_read(
        server,
        lambda s: s.exec(
            select(Case.id, Case.case_no, Case.status)
            .where(col(Case.source).in_(("dispatch_110", "police_referral")))
            .order_by(col(Case.id).desc())
        ).first(),
    )
    assert status == "submitted"

    mediator, m = _phone(browser, server, "mediator")
    _search_and_open(m, case_no, "接收或退回移交")
    box = _open(m, "接收或退回移交")
    box.get_by_role("button", name="接收并受理").click()
    expect(m.get_by_text("已接收移交，案件已受理。")).to_be_visible(timeout=30_000)
    wait_for_app(m)
    sittings = ("双方陈述围墙位置的分歧，约定三日后现场测量。", "现场测量后双方同意按原界桩重砌围墙。")
    for i, notes in enumerate(sittings, start=1):
        box = _open(m, "记录调解")
        box.get_by_role("textbox", name="参加人员").fill(f"{APPLICANT}、{RESPONDENT}、调解员")
        box.get_by_role("textbox", name="调解记录").fill(notes)
        _submit(box, m, "调解记录已保存。")
        if i == 1:
            m.get_by_role("heading", name="案件详情").scroll_into_view_if_needed()
            shot(m, "case_page")
    box = _open(m, "调解成功：登记协议")
    terms = f"{RESPONDENT}于十日内按原界桩拆除重砌围墙，并赔偿{APPLICANT}菜地损失800元。"
    box.get_by_role("textbox", name="协议内容").fill(terms)
    box.get_by_label("金额（元）").fill("800")
    box.get_by_role("textbox", name="履行义务").fill("拆除重砌围墙；赔偿800元")
    _submit(box, m, "调解协议已登记，案件调解成功。")
    box = _open(m, "登记履行情况")
    _submit(box, m, "履行情况已更新。")  # 已履行, today
    box = _open(m, "申请司法确认")
    _submit(box, m, "已申请司法确认。")

    court, c = _phone(browser, server, "court")
    _search_and_open(c, case_no, "司法确认裁定")
    box = _open(c, "司法确认裁定")
    box.get_by_role("textbox", name="裁定书编号").fill("(2026)川1523民特88号")
    _submit(box, c, "裁定已登记。")
    c.get_by_role("heading", name="当事人").scroll_into_view_if_needed()
    seen = c.locator("body").inner_text()
    assert "王某" in seen and "13987654321" not in seen  # the court sees the parties masked
    shot(c, "case_page_court")
    court.close()

    m.goto(f"{server.url}/case?case={case_id}")  # back to the case after the court's ruling
    wait_for_app(m)
    box = _open(m, "回访")
    _submit(box, m, "回访已记录。")  # by phone, satisfaction 5, holding
    box = _open(m, "归档")
    _submit(box, m, "已归档。")
    assert horizontal_overflow(m) <= 1
    mediator.close()

    page.goto(server.url + "/handovers")  # the police see what became of their hand-over
    wait_for_app(page)
    page.get_by_role("tab", name="已移交").click()
    expect(page.get_by_text(case_no).first).to_be_visible()
    expect(page.get_by_text("已归档").first).to_be_visible()
    police.close()
    return int(case_id)


def test_case_from_police_handover_to_archive(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    if not live_server.seeded:
        pytest.skip("no demo data")
    case_id = walk_case(browser, live_server, shot)

    def facts(s):  # type: ignore[no-untyped-def]
        return (
            s.get(Case, case_id),
            s.exec(select(MediationSession).where(MediationSession.case_id == case_id)).all(),
            s.exec(select(Agreement).where(Agreement.case_id == case_id)).one(),
            s.exec(select(JudicialConfirmation).where(JudicialConfirmation.case_id == case_id)).one(),
            s.exec(select(FollowUp).where(FollowUp.case_id == case_id)).one(),
        )

    case, sittings, agreement, ruling, follow_up = _db_read(live_server, facts)
    assert case.status == "archived" and case.org_id != case.created_by
    assert len(sittings) == 2 and agreement.kind == "written" and agreement.amount_fen == 80_000
    assert agreement.performance == "fulfilled"
    assert ruling.result == "confirmed" and ruling.ruling_no == "(2026)川1523民特88号"
    assert follow_up.satisfaction == 5 and follow_up.agreement_holds


class Taps:
    """Counts every tap on the phone screen (typing on the keyboard is not a tap)."""

    def __init__(self, page: Page) -> None:
        self.page, self.count = page, 0

    def tap(self, target: Locator) -> None:
        target.tap()
        self.count += 1

    def type_into(self, target: Locator, text: str) -> None:
        self.tap(target)
        self.page.keyboard.type(text)


def test_quick_case_in_six_taps(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    context, page = _phone(browser, live_server, "mediator")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    shot(page, "workbench")
    taps = Taps(page)
    taps.tap(page.get_by_role("button", name="随手调"))
    wait_for_app(page)
    taps.type_into(page.get_by_role("textbox", name="双方当事人"), "孙桂兰、周建国")
    taps.tap(page.get_by_test_id("stButtonGroup").get_by_text("邻里纠纷"))
    taps.type_into(page.get_by_role("textbox", name="口头协议内容"), "周建国当场赔礼道歉，修好损坏的篱笆，双方和好")
    shot(page, "quick_case")
    box = page.get_by_role("button", name="登记并结案").bounding_box()
    assert box is not None and box["height"] >= 40 and box["width"] >= 300  # thumb-sized
    taps.tap(page.get_by_role("button", name="登记并结案"))
    expect(page.get_by_text("已登记：")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    assert taps.count <= 6, taps.count
    case = _db_read(
        live_server,
        lambda s: s.exec(
            select(Case)
            .where(Case.on_the_spot == True)  # noqa: E712
            .order_by(col(Case.id).desc())
        ).first(),
    )
    assert case is not None and case.status == "succeeded" and case.title.startswith("孙某与周某")
    context.close()
