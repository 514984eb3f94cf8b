"""Verifiable documents at 390×844 (issue 20): a mediator's agreement carries a QR code; zbarimg reads it from the
DOCX; /verify shows 有效 with the parties masked; the same file matches, one changed character does not; after the
agreement is re-issued the old code says 已被新版本取代. Also the party's booking and recusal panels."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from models import Agreement, Case, Party, User
from scripts.screenshots import PHONE_CONTEXT, LiveServer, wait_for_app
from services.access.accounts import load_actor
from services.cases import party_links
from services.core.db import make_database
from services.core.security import normalise_phone
from services.documents import catalog as documents
from tests.e2e.test_party_flow import _pick_case

Shot = Callable[[Page, str], Path]
pytestmark = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) is not installed")


def _qr(content: bytes, tmp_path: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        image = [n for n in zf.namelist() if n.startswith("word/media/")][-1]
        (tmp_path / "qr.png").write_bytes(zf.read(image))
    done = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")], capture_output=True, text=True)
    return done.stdout.strip()


def _open_case(s, org_id: int) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    """An open case of the demo mediator's organisation with a mediator and a first party with a phone."""
    for case in s.exec(
        select(Case)
        .where(
            Case.org_id == org_id,
            col(Case.status).in_(("accepted", "in_mediation")),
            col(Case.mediator_id).is_not(None),
        )
        .order_by(col(Case.id))
    ).all():
        party = s.exec(select(Party).where(Party.case_id == case.id).order_by(col(Party.id))).first()
        if party is not None and len(normalise_phone(party.phone)) == 11:
            return case.id or 0, party.id or 0, normalise_phone(party.phone)
    raise AssertionError("no open demo case with a mediator and a party phone")


def _compare(page: Page, name: str, content: bytes) -> None:
    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        {"name": name, "mimeType": documents.DOCX_MIME, "buffer": content}
    )
    expect(page.get_by_text(name)).to_be_visible()
    page.get_by_role("button", name="比对").click()
    wait_for_app(page)


def test_verify_an_agreement_by_its_qr_code(browser: Browser, live_server: LiveServer, shot: Shot, tmp_path) -> None:
    db = make_database(live_server.db_url)
    try:
        case_id, case_no, _, _ = _pick_case(db)
        with db.read() as s:
            user = s.exec(select(User).where(User.username == "mediator")).one()
            mediator = load_actor(s, user.id or 0)
        choices = documents.list_documents(db, actor=mediator, case_id=case_id).choices
        key = next(c.key for c in choices if c.kind in ("agreement", "oral_agreement") and c.available)
        doc = documents.generate_document(db, actor=mediator, case_id=case_id, key=key)
        url = _qr(doc.content, tmp_path)
        assert "/verify?code=" in url
        code = url.split("code=", 1)[1]

        page = browser.new_context(**PHONE_CONTEXT).new_page()
        page.goto(f"{live_server.url}/verify?code={code}")
        wait_for_app(page)
        expect(page.get_by_text("有效", exact=False).first).to_be_visible()
        facts = page.get_by_test_id("stVerticalBlock").filter(has_text=case_no).last
        expect(facts).to_contain_text("某")
        with db.read() as s:
            names = [p.name for p in s.exec(select(Party).where(Party.case_id == case_id)).all()]
        body = page.locator("body").inner_text()
        assert not any(n in body for n in names if len(n) > 1)  # only 张某-like masks on the page
        shot(page, "verify_valid")

        _compare(page, "received.docx", doc.content)
        expect(page.get_by_text("一致：该文件与出具时的文件完全相同")).to_be_visible()
        changed = bytearray(doc.content)
        changed[len(changed) // 2] ^= 0x01  # one character changed
        _compare(page, "changed.docx", bytes(changed))
        expect(page.get_by_text("不一致", exact=False).first).to_be_visible()
        shot(page, "verify_mismatch")

        with db.write() as s:  # the agreement is amended and printed again: a new issue supersedes the old
            agreement = s.exec(
                select(Agreement).where(Agreement.case_id == case_id).order_by(col(Agreement.version).desc())
            ).first()
            agreement.terms += "（补充）"
            s.add(agreement)
        documents.generate_document(db, actor=mediator, case_id=case_id, key=key)
        page.goto(f"{live_server.url}/verify?code={code}")
        wait_for_app(page)
        expect(page.get_by_text("已被新版本取代", exact=False).first).to_be_visible()
        shot(page, "verify_superseded")
    finally:
        db.dispose()


def test_party_books_a_time_and_asks_for_another_mediator(
    browser: Browser, live_server: LiveServer, shot: Shot
) -> None:
    db = make_database(live_server.db_url)
    try:
        with db.write() as s:
            user = s.exec(select(User).where(User.username == "mediator")).one()
            case_id, party_id, phone = _open_case(s, user.org_id or 0)
            link = party_links.issue_link(
                s, actor=load_actor(s, user.id or 0), case_id=case_id, party_id=party_id, base_url=live_server.url
            )
        page = browser.new_context(**PHONE_CONTEXT).new_page()
        page.goto(link.url)
        wait_for_app(page)
        page.get_by_label("手机号码后四位").fill(phone[-4:])
        page.get_by_role("button", name="打开").click()
        wait_for_app(page)
        expect(page.get_by_text("预约调解时间")).to_be_visible()
        page.get_by_role("button", name="确认预约").scroll_into_view_if_needed()
        assert page.get_by_test_id("stAlertContentError").count() == 0
        shot(page, "party_booking")
        page.get_by_role("button", name="确认预约").click()
        wait_for_app(page)
        expect(page.get_by_text("待确认", exact=False).first).to_be_visible()
        page.get_by_text("申请调解员回避").click()
        page.get_by_label("申请理由").fill("调解员与对方当事人是亲戚")
        shot(page, "party_recusal_request")
        page.get_by_role("button", name="提交回避申请").click()
        wait_for_app(page)
        expect(page.get_by_text("等待组织负责人决定", exact=False)).to_be_visible()
        assert page.get_by_test_id("stAlertContentError").count() == 0
        shot(page, "party_recusal_sent")
    finally:
        db.dispose()
