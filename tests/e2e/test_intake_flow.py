"""A resident's whole path on a phone (390×844): poster → QR code → form → tracking code → /track."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from models import Case, CaseEvent
from scripts.screenshots import LiveServer, horizontal_overflow, wait_for_app
from services.core.db import make_database
from services.intake import posters as qr

MIN_FILL_SECONDS = 3.5  # the server's minimum fill time is 3 s by default; a person takes longer anyway


def _demo_poster(server: LiveServer, out: Path) -> tuple[str, str]:
    """The poster PNG of demo village V001 as the office would print it; (org name, file)."""
    db = make_database(server.db_url)
    try:
        with db.read() as s:
            orgs = qr.poster_orgs(s, code="V001")
    finally:
        db.dispose()
    assert orgs, "the demo data has no organisation V001"
    out.write_bytes(qr.poster_png(orgs[0], qr.intake_url("V001", server.env["PUBLIC_BASE_URL"])))
    return orgs[0].name, str(out)


def _thumb_sized(page: Page, name: str) -> None:
    box = page.get_by_role("button", name=name).bounding_box()
    assert box is not None and box["height"] >= 40 and box["width"] >= 300, (name, box)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg missing (apt-get install zbar-tools)")
def test_file_a_dispute_from_a_poster_and_track_it(
    page: Page, live_server: LiveServer, tmp_path: Path, shot: Callable[[Page, str], Path]
) -> None:
    if not live_server.seeded:
        pytest.skip("no demo data (services/demo/seed.py) to provide organisation V001")
    org_name, poster = _demo_poster(live_server, tmp_path / "V001.png")
    decoded = subprocess.run(["zbarimg", "--raw", "-q", poster], capture_output=True, text=True, timeout=60)
    url = decoded.stdout.strip()
    assert url == f"{live_server.url}/intake?org=V001"

    page.goto(url + "&ui=full")  # the Streamlit intake; the poster's own address serves the light page
    wait_for_app(page)
    shown_at = time.monotonic()
    expect(page.get_by_text(org_name, exact=True).first).to_be_visible()
    assert page.get_by_text("Traceback").count() == 0 and horizontal_overflow(page) <= 1
    _thumb_sized(page, "提交申请")
    shot(page, "intake")

    phone = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
    page.get_by_role("textbox", name="您的姓名", exact=True).fill("王秀英")
    page.get_by_role("textbox", name="手机号码", exact=True).fill(phone)
    page.get_by_role("textbox", name="发生了什么", exact=True).fill(
        "邻居在我家承包地边上修围墙，占了大约半米宽的地，多次商量没有结果。"
    )
    page.get_by_role("textbox", name="发生地点（选填）", exact=True).fill("东村三组")
    page.get_by_text("我已阅读并同意上述个人信息处理说明").click()
    time.sleep(max(0.0, MIN_FILL_SECONDS - (time.monotonic() - shown_at)))
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交。")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    code = page.get_by_test_id("stMetricValue").first.inner_text().strip()
    assert len(code) == 14 and code.count("-") == 2
    shot(page, "intake_result")

    db = make_database(live_server.db_url)
    try:
        with db.read() as s:
            case = s.exec(select(Case).where(Case.tracking_code == code.replace("-", ""))).one()
            quarantined = s.exec(
                select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.kind == "intake.quarantined")
            ).first()
    finally:
        db.dispose()
    assert (case.status, case.source, case.place) == ("submitted", "qr", "东村三组")
    assert quarantined is None  # a person filling the form is not mistaken for a bot

    page.get_by_role("link", name="查询办理进度").click()  # the result's own link carries the code
    # the page changes when the server starts the new page's run, which may be after the old page settled
    page.wait_for_url(lambda u: u.startswith(f"{live_server.url}/track"), timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_role("textbox", name="查询码", exact=True)).to_have_value(code)
    page.get_by_role("textbox", name="手机号码后四位", exact=True).fill(phone[-4:])
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.get_by_text("调解组织正在审核您的申请")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_text("待受理", exact=True)).to_be_visible()
    expect(page.get_by_text(org_name, exact=True).first).to_be_visible()
    assert "王秀英" not in page.locator("body").inner_text()
    shot(page, "track")
