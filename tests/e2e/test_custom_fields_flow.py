"""The office adds a required field to the public intake form; on a phone (390×844) /intake asks for it, refuses
without it, files with it; the mediator sees it on the case page and the office's case export has its column."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, func, select

from models import Case, FormSpec, User
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, horizontal_overflow, sign_in, wait_for_app
from services.access.accounts import load_actor
from services.cases import export as case_export
from services.core.db import make_database
from services.stats.sql import Filters, Period

Shot = Callable[[Page, str], Path]
LABEL, VALUE = "所在村民小组", "东村二组"
MIN_FILL_SECONDS = 3.5


@pytest.fixture
def intake_field(live_server: LiveServer) -> Iterator[int]:
    """A new version of the 'intake' spec with one required field; retired afterwards (the server is shared)."""
    if not live_server.seeded:
        pytest.skip("no demo data (services/demo/seed.py) to provide organisation V001")
    db = make_database(live_server.db_url)
    with db.write() as s:
        newest = s.exec(select(func.max(FormSpec.version)).where(FormSpec.code == "intake")).one() or 0
        spec = FormSpec(
            code="intake",
            version=newest + 1,
            title_zh="扫码申请表",
            title_en="Public intake form",
            fields=[
                {
                    "key": "village_group",
                    "type": "text",
                    "label_zh": LABEL,
                    "label_en": "Village group",
                    "required": True,
                }
            ],
        )
        s.add(spec)
        s.flush()
        spec_id = spec.id or 0
    try:
        yield spec_id
    finally:
        with db.write() as s:
            row = s.get(FormSpec, spec_id)
            if row is not None:
                row.status = "retired"
        db.dispose()


def _submit(page: Page, shown_at: float) -> None:
    time.sleep(max(0.0, MIN_FILL_SECONDS - (time.monotonic() - shown_at)))
    page.get_by_role("button", name="提交申请").click()
    wait_for_app(page)


def test_add_required_intake_field_and_see_it_on_case(
    page: Page, browser: Browser, live_server: LiveServer, intake_field: int, shot: Shot
) -> None:
    for _ in range(2):  # a just-started server answers its very first visit with the home page (as the sweep knows)
        page.goto(f"{live_server.url}/intake?org=V001&ui=full")
        wait_for_app(page)
        if "/intake" in page.url:
            break
    shown_at = time.monotonic()
    field = page.get_by_role("textbox", name=LABEL, exact=True)
    expect(field).to_be_visible()
    page.get_by_role("textbox", name="您的姓名", exact=True).fill("王秀英")
    page.get_by_role("textbox", name="手机号码", exact=True).fill("13987654321")
    story = "邻居在我家承包地边上修围墙，占了大约半米宽的地，多次商量没有结果。"
    page.get_by_role("textbox", name="发生了什么", exact=True).fill(story)
    page.get_by_text("我已阅读并同意上述个人信息处理说明").click()
    _submit(page, shown_at)
    expect(page.get_by_text("请填写此项。").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("textbox", name="发生了什么", exact=True)).to_have_value(story)  # nothing typed is lost
    assert page.get_by_text("Traceback").count() == 0 and horizontal_overflow(page) <= 1
    field.scroll_into_view_if_needed()
    shot(page, "custom_field_required")

    field.fill(VALUE)
    _submit(page, shown_at)
    expect(page.get_by_text("申请已提交。")).to_be_visible(timeout=30_000)
    code = page.get_by_test_id("stMetricValue").first.inner_text().strip().replace("-", "")
    shot(page, "custom_field_filed")

    db = make_database(live_server.db_url)
    try:
        with db.read() as s:
            case = s.exec(select(Case).where(Case.tracking_code == code)).one()
            office = s.exec(select(User).where(User.username == "coordinator")).one()
            actor = load_actor(s, office.id or 0)
            assert actor is not None
            year = case.received_at.year
            data = case_export.export_cases_xlsx(
                s, actor=actor, filters=Filters(period=Period.months(year * 100 + 1, year * 100 + 12))
            )
            assert (
                s.exec(
                    select(FormSpec.id).where(FormSpec.code == "intake").order_by(col(FormSpec.version).desc())
                ).first()
                == intake_field
            )
    finally:
        db.dispose()
    assert case.custom == {"village_group": VALUE}
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]
    column = rows[0].index(LABEL)
    assert [r[column] for r in rows[1:] if r[0] == case.case_no] == [VALUE]

    context = browser.new_context(**PHONE_CONTEXT)
    staff = context.new_page()
    try:
        sign_in(staff, live_server.url, "mediator", DEMO_PASSWORD, f"/case?case={case.id}")
        staff.goto(f"{live_server.url}/case?case={case.id}")
        wait_for_app(staff)
        expect(staff.get_by_text(f"{LABEL}：{VALUE}")).to_be_visible(timeout=30_000)
        assert staff.get_by_test_id("stException").count() == 0 and horizontal_overflow(staff) <= 1
        shot(staff, "custom_field_case_page")
    finally:
        context.close()
