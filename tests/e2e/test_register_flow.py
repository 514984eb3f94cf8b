"""A register built through the services, filled from its QR poster on a phone (390×844), exported to xlsx.

Also screenshots of the builder and the register list as the county coordination office sees them.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from models import FormSubmission, Organisation
from scripts.screenshots import DEMO_PASSWORD, PHONE_CONTEXT, LiveServer, horizontal_overflow, sign_in, wait_for_app
from services.access.authz import Actor
from services.access.permissions import P
from services.core.db import make_database
from services.lowcode import forms, register_views, registers
from services.lowcode import register_poster as register_qr
from services.lowcode.register_seed import system_actor

Shot = Callable[[Page, str], Path]
CODE = "village_survey"
FIELDS = [
    {"key": "day", "type": "date", "label_zh": "走访日期", "label_en": "Date", "required": True},
    {"key": "village", "type": "text", "label_zh": "村组名称", "label_en": "Village group", "required": True},
    {
        "key": "kind",
        "type": "choice",
        "label_zh": "走访方式",
        "label_en": "Kind",
        "required": True,
        "options": [
            {"code": "door", "label_zh": "入户走访", "label_en": "Door to door"},
            {"code": "meeting", "label_zh": "院坝会", "label_en": "Village meeting"},
        ],
    },
    {"key": "households", "type": "number", "label_zh": "走访户数", "label_en": "Households", "required": True},
    {"key": "problem", "type": "yes_no", "label_zh": "是否发现矛盾", "label_en": "Any dispute?", "required": True},
    {
        "key": "problem_note",
        "type": "long_text",
        "label_zh": "矛盾情况",
        "label_en": "The dispute",
        "required": True,
        "condition": {"field": "problem", "equals": "yes"},
    },
    {
        "key": "topics",
        "type": "multi_choice",
        "label_zh": "涉及事项",
        "label_en": "Topics",
        "options": ["土地", "邻里", "婚姻"],
    },
    {"key": "contact", "type": "phone", "label_zh": "联系电话", "label_en": "Phone"},
    {"key": "photos", "type": "photo", "label_zh": "现场照片", "label_en": "Photos"},
]


def _with_db(server: LiveServer, fn, write: bool = False):  # type: ignore[no-untyped-def]
    db = make_database(server.db_url)
    try:
        with db.write() if write else db.read() as s:
            return fn(s)
    finally:
        db.dispose()


def _build_register(s):  # type: ignore[no-untyped-def]
    root = s.exec(select(Organisation).where(Organisation.code == "ROOT")).one()
    if forms.current_form(s, CODE) is None:
        forms.create_form(
            s,
            actor=system_actor(root),
            draft=forms.FormDraft(
                code=CODE, title_zh="村组走访登记", title_en="Village visits", fields=FIELDS, public=True
            ),
        )
    return root


def _fill_entry(page: Page, *, village: str, households: str, problem: bool) -> str:
    """Fill the public form as a person would and send it; returns the reference shown."""
    day = page.get_by_role("group", name="走访日期", exact=True)  # a date field of year/month/day segments
    day.get_by_role("spinbutton").first.click()
    page.keyboard.type("20261102")
    page.keyboard.press("Tab")
    wait_for_app(page)
    page.get_by_label("村组名称", exact=True).fill(village)
    page.get_by_label("村组名称", exact=True).press("Tab")
    wait_for_app(page)
    page.get_by_test_id("stSelectbox").filter(has_text="走访方式").first.click()
    page.get_by_role("option", name="院坝会").click()
    wait_for_app(page)
    page.get_by_label("走访户数", exact=True).fill(households)
    page.get_by_label("走访户数", exact=True).press("Tab")
    wait_for_app(page)
    note = page.get_by_label("矛盾情况", exact=True)
    expect(note).to_have_count(0)  # shown only once "yes" is chosen
    radio = page.get_by_test_id("stRadio").filter(has_text="是否发现矛盾")
    radio.get_by_text("是" if problem else "否", exact=True).click()
    wait_for_app(page)
    if problem:
        expect(note).to_be_visible()
        note.fill("两户因宅基地边界发生争执")
        note.press("Tab")
        wait_for_app(page)
    assert page.get_by_text("Traceback").count() == 0 and horizontal_overflow(page) <= 1
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("提交成功，谢谢！")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    return page.get_by_test_id("stMetricValue").first.inner_text().strip()


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg missing (apt-get install zbar-tools)")
def test_file_register_entries_from_qr_and_export(
    page: Page, live_server: LiveServer, tmp_path: Path, shot: Shot
) -> None:
    if not live_server.seeded:
        pytest.skip("no demo data (services/demo/seed.py) to provide organisation V001")
    _with_db(live_server, _build_register, write=True)
    url = registers.register_url(CODE, "V001", live_server.env["PUBLIC_BASE_URL"])
    poster = tmp_path / "poster.png"
    poster.write_bytes(register_qr.register_poster_png("村组走访登记", "示范村", url))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(poster)], capture_output=True, text=True, timeout=60)
    assert decoded.stdout.strip() == f"{live_server.url}/register?f={CODE}&org=V001"

    page.goto(live_server.url)  # warm-up: the very first page a fresh server serves can fall back to home
    wait_for_app(page)
    page.goto(decoded.stdout.strip())
    wait_for_app(page)
    expect(page.get_by_text("村组走访登记").first).to_be_visible()
    shot(page, "register_public")
    first = _fill_entry(page, village="东坝一组", households="12", problem=True)
    shot(page, "register_public_done")
    page.get_by_role("button", name="再填一份").click()
    wait_for_app(page)
    second = _fill_entry(page, village="西坝二组", households="7", problem=False)
    assert first.startswith("DJ") and second.startswith("DJ") and first != second

    def check(s):  # type: ignore[no-untyped-def]
        rows = s.exec(select(FormSubmission).where(FormSubmission.form_code == CODE)).all()
        v001 = s.exec(select(Organisation).where(Organisation.code == "V001")).one()
        county = Actor(
            user_id=0,
            username="t",
            display_name="t",
            org_id=1,
            org_path="/",
            permissions=frozenset({str(P.REGISTER_USE)}),
        )
        return rows, v001.id, register_views.export_entries(s, actor=county, code=CODE, lang="zh-CN")

    rows, v001_id, xlsx = _with_db(live_server, check)
    by_village = {r.data["village"]: r for r in rows}
    assert set(by_village) == {"东坝一组", "西坝二组"} and {r.org_id for r in rows} == {v001_id}
    assert by_village["东坝一组"].data["problem_note"] == "两户因宅基地边界发生争执"
    assert "problem_note" not in by_village["西坝二组"].data and by_village["西坝二组"].data["households"] == 7
    sheet = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert sheet[0] == (
        "登记编号",
        "单位",
        "日期",
        "表单版本",
        "走访日期",
        "村组名称",
        "走访方式",
        "走访户数",
        "是否发现矛盾",
        "矛盾情况",
        "涉及事项",
        "联系电话",
        "现场照片",
        "提交时间",
        "填报渠道",
    )
    assert sorted(r[0] for r in sheet[1:]) == sorted([first, second])
    assert {r[5]: (r[6], r[7], r[8]) for r in sheet[1:]} == {
        "东坝一组": ("院坝会", 12, "是"),
        "西坝二组": ("院坝会", 7, "否"),
    }


def _wait_for_builder(page: Page, url: str) -> None:
    """The builder's preview is on the page; once, a fresh session that settled without it is opened again.

    A CI run (stop 17) saw the page settle with its title but without the builder for 30 s, and kept no more
    than that; the page's text goes into the log so a second sighting says what the page showed instead.
    """
    preview = page.get_by_text("预览表单")
    try:
        expect(preview).to_be_visible(timeout=20_000)
    except AssertionError:
        print("form builder without its preview; the page said:\n" + page.inner_text("body")[:2000])
        page.goto(url + "/forms")
        wait_for_app(page)
        expect(preview).to_be_visible()


def test_show_builder_and_registers_on_a_phone(browser: Browser, live_server: LiveServer, shot: Shot) -> None:
    if not live_server.seeded:
        pytest.skip("no demo data")
    context = browser.new_context(**PHONE_CONTEXT)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "coordinator", DEMO_PASSWORD, "/registers")
        expect(page.get_by_text("工作台账").first).to_be_visible()
        assert page.get_by_text("Traceback").count() == 0
        shot(page, "registers")
        page.get_by_role("button", name="导出Excel").scroll_into_view_if_needed()
        shot(page, "registers_table")
        page.get_by_role("tab", name="登记").click()
        expect(page.get_by_role("button", name="保存登记")).to_be_visible()
        shot(page, "registers_add")
        page.goto(live_server.url + "/registers?f=legal_education")
        wait_for_app(page)
        page.get_by_role("tab", name="二维码").click()
        expect(page.get_by_text("/register?f=legal_education").first).to_be_visible()
        shot(page, "registers_qr")
        page.goto(live_server.url + "/forms")
        wait_for_app(page)
        expect(page.get_by_text("表单设计").first).to_be_visible()
        _wait_for_builder(page, live_server.url)
        shot(page, "forms_top")
        page.get_by_text("预览表单").click()
        wait_for_app(page)
        assert page.get_by_test_id("stException").count() == 0
        shot(page, "forms")
    finally:
        context.close()
