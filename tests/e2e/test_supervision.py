"""Supervision (督办) on phones (390×844): the county coordinator puts a village case under supervision; the village
mediator sees it first on the workbench, files two progress reports and asks for an extension, which the town
approves; the mediator asks to de-list, the coordinator refuses once with a reason, then approves; the timeline
shows every step in China time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import col, select

from models import Case, CaseEvent, Organisation
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, sign_in, wait_for_app
from services.access.accounts import create_user
from services.cases.create import CaseInput, PartyInput, create_case
from services.core.clock import format_local, today
from services.core.db import make_database

Shot = Callable[[Page, str], Path]


def _setup(server: LiveServer) -> tuple[int, str]:
    """A new open case in the demo village, and a town coordinator (the level above the village)."""
    db = make_database(server.db_url)
    try:
        with db.write() as s:
            village = s.exec(select(Organisation).where(Organisation.code == "V001")).one()
            town = s.get(Organisation, village.parent_id)
            create_user(
                s,
                username="town",
                display_name="镇综治办",
                password=DEMO_PASSWORD,
                org_code=town.code,
                roles=["coordinator"],
            )
            parties = [
                PartyInput(side="applicant", name="钱七", phone="13566667777"),
                PartyInput(side="respondent", name="孙八"),
            ]
            data = CaseInput(
                org_id=village.id,
                source="walk_in",
                category="neighbour",
                description="两户因排水沟长期争执",
                parties=parties,
            )
            case = create_case(s, data=data, actor_id=None)
            return case.id or 0, case.case_no
    finally:
        db.dispose()


def _phone(browser: Browser, server: LiveServer, user: str, case_id: int) -> Page:
    page = browser.new_context(**PHONE_CONTEXT).new_page()
    sign_in(page, server.url, user, DEMO_PASSWORD, "/workbench")
    if user != "mediator":
        _to_case(page, server, case_id)
    return page


def _to_case(page: Page, server: LiveServer, case_id: int) -> None:
    page.goto(f"{server.url}/case?case={case_id}")
    wait_for_app(page)


def _form(page: Page, label: str) -> Locator:
    """Open the expander `label` and return it."""
    box = page.get_by_test_id("stExpander").filter(has=page.get_by_text(label, exact=True)).first
    box.get_by_text(label, exact=True).first.click()
    expect(box.get_by_test_id("stFormSubmitButton").first).to_be_visible()
    return box


def _send(page: Page, box: Locator, done: str) -> None:
    _tap(page, box.get_by_test_id("stFormSubmitButton").first.locator("button"), done)


def _tap(page: Page, button: Locator, done: str) -> None:
    """Tap; a tap that lands as a rerun starts is dropped, so a person taps again (once) when nothing happened."""
    button.click()
    try:
        expect(page.get_by_text(done)).to_be_visible(timeout=10_000)
    except AssertionError:
        wait_for_app(page)
        if not page.get_by_text(done).count():
            button.click()
        expect(page.get_by_text(done)).to_be_visible(timeout=30_000)
    wait_for_app(page)


def _decide(page: Page, server: LiveServer, case_id: int, approve: bool, reason: str, reload: bool = True) -> None:
    if reload:
        _to_case(page, server, case_id)
    page.get_by_label("审核意见（退回时必填）").fill(reason)
    _tap(page, page.get_by_role("button", name="同意" if approve else "退回", exact=True), "已审核。")


def _ask(page: Page, label: str, reason: str, day: str = "") -> None:
    box = _form(page, label)
    if day:  # a date field of year/month/day segments
        box.get_by_role("group", name="延期至", exact=True).get_by_role("spinbutton").first.click()
        page.keyboard.type(day)
        page.keyboard.press("Tab")
    box.get_by_label("申请理由").fill(reason)
    _send(page, box, "申请已提交")


def test_supervise_a_village_case_on_phones(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    case_id, case_no = _setup(live_server)
    coordinator = _phone(browser, live_server, "coordinator", case_id)
    box = _form(coordinator, "挂牌督办")
    box.get_by_label("督办要求").fill("请于期限内化解并每周反馈")
    _send(coordinator, box, "已挂牌督办")

    mediator = _phone(browser, live_server, "mediator", case_id)
    todo = mediator.get_by_text("督办待反馈（1 项）")
    expect(todo).to_be_visible()
    assert todo.bounding_box()["y"] < mediator.get_by_text("待办", exact=True).first.bounding_box()["y"]
    shot(mediator, "supervision-workbench")
    mediator.get_by_role("button", name="查看案件").first.click()
    wait_for_app(mediator)
    for n in (1, 2):
        box = _form(mediator, "填报反馈")
        box.get_by_label("办理进展").fill(f"第{n}次反馈：已上门走访双方")
        _send(mediator, box, "反馈已提交。")
    later = (today() + timedelta(days=60)).strftime("%Y%m%d")  # the order's deadline is 15 days away
    _ask(mediator, "申请延期", "当事人外出务工，春节前返乡", later)
    _ask(mediator, "申请摘牌", "双方已达成口头协议")

    town = _phone(browser, live_server, "town", case_id)
    _decide(town, live_server, case_id, True, "同意延期", reload=False)
    _decide(coordinator, live_server, case_id, False, "协议尚未履行，暂不摘牌")
    _to_case(mediator, live_server, case_id)
    _ask(mediator, "申请摘牌", "协议已履行完毕")
    _decide(coordinator, live_server, case_id, True, "同意摘牌")

    db = make_database(live_server.db_url)
    try:
        with db.read() as s:
            events = s.exec(
                select(CaseEvent).where(CaseEvent.case_id == case_id, col(CaseEvent.kind).startswith("supervision."))
            ).all()
            assert s.get(Case, case_id).case_no == case_no
    finally:
        db.dispose()
    assert [e.kind.split(".")[1] for e in events] == [
        "opened",
        "report",
        "report",
        "extend_requested",
        "delist_requested",
        "extend_approved",
        "delist_refused",
        "delist_requested",
        "delist_approved",
    ]
    main = coordinator.get_by_test_id("stMainBlockContainer")
    for text in ("挂牌督办：", "延期批准，办理期限改为", "摘牌申请被退回", "摘牌审核通过，已摘牌"):
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(main.get_by_text(format_local(events[0].at), exact=False).first).to_be_visible()  # China time
    shot(coordinator, "supervision-case")
